/**
 * `xdpts gen IDENT OBJ` — the bpf2go role: TypeScript bindings for an object (its maps and
 * programs typed from BTF, the object embedded). OBJ may be a built object or a source (`.c`,
 * `.asm`, `.s`), which is built first for each target, so one command goes from source to
 * bindings as `go generate` + bpf2go do.
 */
import type { Command } from 'commander';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, isAbsolute, join } from 'node:path';
import { generateBindings, validateIdent, type GenTarget } from '../../gen';
import { loadObject } from '../../object';
import { UsageError } from '../../util/errors';
import { err, out, outJson, runCommand, type CommonOptions } from '../output';
import { buildFile, readInput } from './build';
import type { RegisterCommand } from './index';

interface GenOptions extends CommonOptions {
  outDir?: string;
  type?: string[];
  target?: string;
  cc?: string;
  cflags?: string;
  stem?: string;
  runtime?: string;
}

const SOURCE_EXTS = new Set(['.c', '.asm', '.s', '.S']);

/** The byte orders asked for: `bpfel`, `bpfeb` or `both` (bpf2go's default pair). */
function parseTargets(t: string | undefined): ('bpfel' | 'bpfeb')[] | undefined {
  if (t === undefined) return undefined;
  if (t === 'bpfel' || t === 'bpf') return ['bpfel'];
  if (t === 'bpfeb') return ['bpfeb'];
  if (t === 'both' || t === 'bpfel,bpfeb' || t === 'bpfeb,bpfel') return ['bpfel', 'bpfeb'];
  throw new UsageError(`unknown target '${t}' (expected bpfel, bpfeb or both)`);
}

/** Reads or builds the object(s) to bind. */
function collectTargets(input: string, opts: GenOptions): GenTarget[] {
  const targets = parseTargets(opts.target);
  const ext = extname(input);
  if (!SOURCE_EXTS.has(ext)) {
    const bytes = new Uint8Array(readInput(input));
    const spec = loadObject(bytes, input);
    const own = spec.endian === 'le' ? 'bpfel' : 'bpfeb';
    if (targets && (targets.length !== 1 || targets[0] !== own)) {
      throw new UsageError(`${input} is a ${own} object; --target ${opts.target} needs the source (a .c or .asm file) to build other byte orders`);
    }
    return [{ spec, bytes, objectName: basename(input) }];
  }
  readInput(input); // a missing source is a usage error before anything is built
  const dir = mkdtempSync(join(tmpdir(), 'xdpts-gen-'));
  try {
    return (targets ?? ['bpfel']).map((target) => {
      const objectName = `${basename(input, ext)}_${target}.o`;
      const output = join(dir, objectName);
      buildFile(input, { output, target, ...(opts.cc ? { cc: opts.cc } : {}), ...(opts.cflags ? { cflags: opts.cflags } : {}) });
      const bytes = new Uint8Array(readFileSync(output));
      return { spec: loadObject(bytes, objectName), bytes, objectName };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `gen`: generates and writes the files; returns the JSON summary. */
export function genBindings(ident: string, input: string, opts: GenOptions): Record<string, unknown> {
  validateIdent(ident);
  const targets = collectTargets(input, opts);
  // The header records how to regenerate, without absolute paths (output must not depend on the machine).
  const shown = isAbsolute(input) ? basename(input) : input;
  const command = ['xdpts gen', ident, shown, ...(opts.type ?? []).map((t) => `--type ${t}`), ...(opts.target ? [`--target ${opts.target}`] : [])].join(' ');
  const files = generateBindings(targets, {
    ident,
    command,
    ...(opts.type ? { types: opts.type } : {}),
    ...(opts.runtime ? { runtime: opts.runtime } : {}),
    ...(opts.stem ? { stem: opts.stem } : {}),
  });
  const dir = opts.outDir ?? '.';
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f.path), f.contents);
  const warnings = [...new Set(files.flatMap((f) => f.module.warnings))];
  return {
    files: files.map((f) => ({
      path: join(dir, f.path),
      target: f.target,
      maps: f.module.maps,
      programs: f.module.programs,
      types: f.module.types,
    })),
    warnings,
  };
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('gen')
    .description('generate TypeScript bindings (typed maps and programs, object embedded) for a BPF object, like bpf2go')
    .argument('<ident>', 'stem of generated names: counter → loadCounterObjects, CounterObjects, counter.ts')
    .argument('<obj>', 'an ELF BPF object, or a .c/.asm/.s source built first')
    .option('--out-dir <dir>', 'where to write the files (default: the current directory)')
    .option('--type <name>', 'also emit this BTF type (repeatable; struct:NAME, union:NAME, enum:NAME, typedef:NAME pick a kind)', collect)
    .option('--target <target>', 'bpfel, bpfeb or both (one file per byte order); default: the object\'s own, bpfel for sources')
    .option('--cc <clang>', 'the clang to use for a .c source')
    .option('--cflags <flags>', 'extra clang flags for a .c source')
    .option('--stem <stem>', 'file name stem (default: IDENT lower-cased)')
    .option('--runtime <spec>', 'import specifier of the runtime library (default: xdpts)')
    .option('--json', 'print the files written as JSON')
    .action((ident: string, obj: string, opts: GenOptions) =>
      runCommand(opts.json, setExit, () => {
        const r = genBindings(ident, obj, opts);
        if (opts.json) return outJson(r);
        for (const w of r['warnings'] as string[]) err(`xdpts: warning: ${w}`);
        for (const f of r['files'] as { path: string; maps: unknown[]; programs: unknown[]; types: unknown[] }[]) {
          out(`wrote ${f.path} (${f.maps.length} map(s), ${f.programs.length} program(s), ${f.types.length} type(s))`);
        }
      }),
    );
};
