/**
 * `xdpts build FILE` — the clang / llvm-mc role: assembly (LLVM or uBPF syntax, or what
 * `clang -S` writes) to an ELF64 EM_BPF object or bare instructions; C handed to an installed
 * clang with the flags the tutorial uses (-O2 -g -target bpf).
 */
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { basename, extname, join, dirname } from 'node:path';
import { assemble } from '../../asm';
import { loadObject, SHF_EXECINSTR, SHT_NOBITS, writeElf } from '../../object';
import { UsageError } from '../../util/errors';
import { CliFailure, EXIT_FAIL, err, out, outJson, runCommand, type CommonOptions } from '../output';
import type { RegisterCommand } from './index';

interface BuildOptions extends CommonOptions {
  output?: string;
  raw?: boolean;
  target?: string;
  dialect?: string;
  cc?: string;
  cflags?: string;
  verbose?: boolean;
  /** False with --no-btf. */
  btf?: boolean;
}

/** Reads a file the user named, turning a missing file into a usage error (exit 2). */
export function readInput(path: string): Buffer {
  if (!existsSync(path)) throw new UsageError(`${path}: No such file or directory`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${path}: ${(e as Error).message}`);
  }
}

/** The clang to use: --cc, $CC when it is a clang, then clang-19, clang-18, ..., clang. */
export function findClang(explicit?: string): string | undefined {
  const candidates = explicit ? [explicit] : ['clang-19', 'clang-20', 'clang-18', 'clang-17', 'clang-16', 'clang-15', 'clang-14', 'clang'];
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8' });
    if (r.status === 0) return c;
  }
  return undefined;
}

/** Compiles C with clang into `output`; throws CliFailure with clang's diagnostics on failure. */
export function compileC(input: string, output: string, endian: 'le' | 'be', cc?: string, cflags: string[] = []): void {
  const clang = findClang(cc);
  if (!clang) {
    throw new CliFailure(
      `cannot compile ${input}: no clang found (install one, e.g. \`apt-get install clang-19\`, or pass --cc PATH)`,
      EXIT_FAIL,
    );
  }
  const triple = endian === 'be' ? 'bpfeb' : 'bpfel';
  const args = ['-O2', '-g', '-target', triple, `-I/usr/include/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, ...cflags, '-c', input, '-o', output];
  const r = spawnSync(clang, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new CliFailure(`${clang} failed to compile ${input}:\n${(r.stderr || r.stdout || '').trimEnd()}`, EXIT_FAIL);
  }
}

function parseTarget(t: string | undefined): 'le' | 'be' {
  if (t === undefined || t === 'bpfel' || t === 'bpf') return 'le';
  if (t === 'bpfeb') return 'be';
  throw new UsageError(`unknown target '${t}' (expected bpfel or bpfeb)`);
}

function parseDialect(d: string | undefined): 'llvm' | 'ubpf' | undefined {
  if (d === undefined) return undefined;
  if (d === 'llvm' || d === 'ubpf') return d;
  throw new UsageError(`unknown dialect '${d}' (expected llvm or ubpf)`);
}

/** Builds one input file; returns what was written, for text and JSON output. */
export function buildFile(input: string, opts: BuildOptions): Record<string, unknown> {
  const endian = parseTarget(opts.target);
  const dialect = parseDialect(opts.dialect);
  const ext = extname(input).toLowerCase();
  const stem = join(dirname(input), basename(input, extname(input)));
  if (ext === '.c') {
    if (opts.raw) throw new UsageError('--raw applies to assembly input, not C');
    const output = opts.output ?? `${stem}.o`;
    if (!existsSync(input)) throw new UsageError(`${input}: No such file or directory`);
    compileC(input, output, endian, opts.cc, opts.cflags ? opts.cflags.split(/\s+/).filter(Boolean) : []);
    return summarize(output, 'elf', readFileSync(output));
  }
  const source = readInput(input).toString('utf8');
  const readSource = (path: string): string | undefined => {
    for (const p of [path, join(dirname(input), path)]) if (existsSync(p) && statSync(p).isFile()) return readFileSync(p, 'latin1');
    return undefined;
  };
  const result = assemble(source, { file: input, endian, ...(dialect ? { dialect } : {}), raw: opts.raw === true, btf: opts.btf !== false, readSource });
  if (result.kind === 'raw') {
    const output = opts.output ?? `${stem}.bin`;
    writeFileSync(output, result.bytes);
    return { output, format: 'raw', size: result.bytes.length, insns: result.bytes.length / 8, ...noInsnsWarning(input, result.bytes.length) };
  }
  const bytes = writeElf(result.elf);
  const output = opts.output ?? `${stem}.o`;
  writeFileSync(output, bytes);
  const code = result.elf.sections.filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.type !== SHT_NOBITS).reduce((n, s) => n + s.size, 0);
  return { ...summarize(output, 'elf', bytes), ...noInsnsWarning(input, code) };
}

/**
 * llvm-mc and clang accept a source with no instructions silently; the output then holds nothing
 * to load, which is almost always a mistake (an empty or wrong file), so xdpts warns (exit stays 0).
 */
function noInsnsWarning(input: string, codeBytes: number): { warnings?: string[] } {
  return codeBytes === 0 ? { warnings: [`${input}: no instructions: the output holds no program`] } : {};
}

function summarize(output: string, format: string, bytes: Uint8Array): Record<string, unknown> {
  const spec = loadObject(bytes, output);
  return {
    output,
    format,
    size: bytes.length,
    endian: spec.endian === 'le' ? 'bpfel' : 'bpfeb',
    programs: spec.programs.map((p) => ({ name: p.name, section: p.section, insns: p.insns.length })),
    maps: spec.maps.map((m) => ({ name: m.name, type: m.type, key_size: m.keySize, value_size: m.valueSize, max_entries: m.maxEntries })),
  };
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('build')
    .description('assemble .asm/.s (LLVM or uBPF syntax) or compile .c into an ELF64 BPF object')
    .argument('<file>', 'source: .asm/.s (assembly) or .c (handed to clang)')
    .option('-o, --output <file>', 'output path (default: the input name with .o, or .bin with --raw)')
    .option('--raw', 'write bare 8-byte instructions, no ELF')
    .option('--no-btf', "assembly: write only what llvm-mc writes (no .BTF/.BTF.ext function and line info, which clang -g writes and libxdp's dispatcher needs)")
    .option('--target <target>', 'bpfel (little-endian, default) or bpfeb (big-endian)')
    .option('--dialect <dialect>', 'force the assembly syntax: llvm or ubpf (default: detected per file)')
    .option('--cc <clang>', 'the clang to use for C input')
    .option('--cflags <flags>', 'extra flags for clang')
    .option('-v, --verbose', 'say what was written')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: BuildOptions) =>
      runCommand(opts.json, setExit, () => {
        const r = buildFile(file, opts);
        if (!opts.json) for (const w of (r['warnings'] as string[] | undefined) ?? []) err(`xdpts: warning: ${w}`);
        // Like clang and llvm-mc, a successful build prints nothing unless asked (--json, -v).
        if (opts.json) outJson(r);
        else if (opts.verbose) {
          const what = r['format'] === 'raw' ? `${r['insns']} instructions` : `${(r['programs'] as unknown[]).length} program(s), ${(r['maps'] as unknown[]).length} map(s)`;
          out(`${file} -> ${r['output']} (${r['size']} bytes, ${what})`);
        }
      }),
    );
};
