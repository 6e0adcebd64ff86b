/**
 * `xdpts verify prog.o [-s SEC] [-n NAME] [--log-level 0|1|2] [--json]` — the kernel verifier's
 * verdict on a program, with the kernel's wording and log. Exit 0 accepted, 1 rejected.
 */
import type { Command } from 'commander';
import { loadObject } from '../../object';
import { SET_FLAGS, SET_HELP, applySets, collectSet } from './set-option';
import { UsageError } from '../../util/errors';
import { verifyProgram } from '../../verifier';
import { EXIT_FAIL, EXIT_OK, err, out, outJson, runCommand, type CommonOptions } from '../output';
import { readInput } from './build';
import { pickProgram } from './run';
import type { RegisterCommand } from './index';

interface VerifyCliOptions extends CommonOptions {
  section?: string;
  progName?: string;
  logLevel?: string;
  unprivileged?: boolean;
  set?: string[];
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
    .argument('<file>', 'ELF object')
    .option('-s, --section <section>', 'the program section')
    .option('-n, --prog-name <name>', 'the program (function) name')
    .option('--log-level <n>', '0: verdict only, 1: the path to the error, 2: every instruction', '0')
    .option(SET_FLAGS, SET_HELP, collectSet)
    .option('--unprivileged', 'verify with the rules for an unprivileged loader')
    .option('--json', 'print {"accepted","error","insn","log"} as JSON')
    .action((file: string, opts: VerifyCliOptions) =>
      runCommand(opts.json, setExit, () => {
        const level = parseLogLevel(opts.logLevel);
        const spec = applySets(loadObject(new Uint8Array(readInput(file)), file), opts.set);
        const prog = pickProgram(spec, opts.section, opts.progName);
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
