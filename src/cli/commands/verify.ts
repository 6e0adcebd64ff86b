/**
 * `xdpts verify prog.o [-s SEC] [-n NAME] [--log-level 0|1|2] [--json]` — the kernel verifier's
 * verdict on a program, with the kernel's wording and log. Exit 0 accepted, 1 rejected. A raw
 * instruction file (--raw or a .bin name) is verified as one XDP program named `raw`.
 */
import type { Command } from 'commander';
import { decode } from '../../isa';
import { BPF_PROG_TYPE_XDP, loadObject, type ObjectSpec, type ProgramSpec } from '../../object';
import { SET_FLAGS, SET_HELP, applySets, collectSet } from './set-option';
import { UsageError } from '../../util/errors';
import { verifyProgram } from '../../verifier';
import { EXIT_FAIL, EXIT_OK, err, out, outJson, runCommand, type CommonOptions } from '../output';
import { readInput } from './build';
import { inputKind } from './input-kind';
import { explainCommand } from './explain';
import { pickProgram } from './run';
import type { RegisterCommand } from './index';

interface VerifyCliOptions extends CommonOptions {
  section?: string;
  progName?: string;
  logLevel?: string;
  unprivileged?: boolean;
  explain?: boolean;
  set?: string[];
  raw?: boolean;
}

/** Raw instructions as an object of one XDP program, `raw` in section `xdp`, GPL, no maps. */
function rawObject(bytes: Uint8Array): ObjectSpec {
  if (bytes.length % 8 !== 0) throw new UsageError(`raw instruction file size ${bytes.length} is not a multiple of 8`);
  const { insns, problem } = decode(bytes, 'le');
  if (problem) throw new UsageError(`raw instructions: ${problem.message} at byte ${problem.offset}`);
  const prog: ProgramSpec = {
    name: 'raw',
    section: 'xdp',
    type: BPF_PROG_TYPE_XDP,
    attachType: 0,
    insns,
    references: new Map(),
    lineInfo: new Map(),
    subprograms: [],
    license: 'GPL',
    btfFuncId: 0,
  };
  return { endian: 'le', programs: [prog], maps: [], license: 'GPL' };
}

function parseLogLevel(v: string | undefined): 0 | 1 | 2 {
  if (v === undefined) return 0;
  if (v === '0' || v === '1' || v === '2') return Number(v) as 0 | 1 | 2;
  throw new UsageError(`invalid --log-level '${v}' (expected 0, 1 or 2)`);
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('verify')
    .description("run the verifier on a program, as the kernel's BPF_PROG_LOAD would")
    .argument('<file>', 'ELF object (.o), or raw instructions (.bin or --raw)')
    .option('-s, --section <section>', 'the program section')
    .option('-n, --prog-name <name>', 'the program (function) name')
    .option('--log-level <n>', '0: verdict only, 1: the path to the error, 2: every instruction', '0')
    .option(SET_FLAGS, SET_HELP, collectSet)
    .option('--raw', 'read the file as raw instructions (implied by a .bin name)')
    .option('--unprivileged', 'verify with the rules for an unprivileged loader')
    .option('--explain', 'for a rejection: the category, causal chain and a fix (as `xdpts explain`)')
    .option('--json', 'print {"accepted","error","insn","log"} as JSON')
    .action((file: string, opts: VerifyCliOptions) =>
      runCommand(opts.json, setExit, () => {
        const level = parseLogLevel(opts.logLevel);
        const bytes = new Uint8Array(readInput(file));
        const spec = applySets(inputKind(file, bytes, opts.raw) === 'elf' ? loadObject(bytes, file) : rawObject(bytes), opts.set);
        const prog = pickProgram(spec, opts.section, opts.progName);
        if (opts.explain) return explainCommand(file, spec, prog, opts.json === true, opts.unprivileged !== true);
        const r = verifyProgram(prog, spec.maps, { logLevel: level, privileged: opts.unprivileged !== true });
        const line = r.insn !== undefined ? prog.lineInfo.get(r.insn) : undefined;
        if (opts.json) {
          outJson({
            program: prog.name,
            section: prog.section,
            accepted: r.accepted,
            ...(r.error !== undefined ? { error: r.error, messages: r.messages } : {}),
            ...(r.insn !== undefined ? { insn: r.insn } : {}),
            ...(line ? { source: { file: line.fileName, line: line.lineNum, col: line.lineCol, text: line.line } } : {}),
            log: r.log,
            stats: r.stats,
          });
          return r.accepted ? EXIT_OK : EXIT_FAIL;
        }
        if (level > 0 && r.log) out(r.log.trimEnd());
        if (r.accepted) {
          out(`${file}: ${prog.name} (section ${prog.section}): accepted, processed ${r.stats.processed} insns`);
          return EXIT_OK;
        }
        const where = line ? ` (${line.fileName}:${line.lineNum}: ${line.line.trim()})` : '';
        err(`${file}: ${prog.name} (section ${prog.section}): rejected at insn ${r.insn ?? '?'}${where}: ${r.error}`);
        // The kernel's earlier lines for the same fault carry the details (offsets, sizes).
        for (const m of (r.messages ?? []).slice(0, -1)) err(`  ${m}`);
        return EXIT_FAIL;
      }),
    );
};
