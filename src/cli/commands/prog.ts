/**
 * `xdpts prog show [id N | name X | tag T | pinned P]`, `prog pin PROG FILE`, `prog tracelog`:
 * bpftool's `prog` object on the emulated kernel, plain text or `-j`/`--json`.
 */
import type { Command } from 'commander';
import { bpftoolError, parseSelector, progPin, progShow, progTracelog, type ToolOutcome } from '../../kernel/index';
import { err, runCommand } from '../output';
import { progRunOutput } from './run-live';
import { BPFTOOL_PROG_USAGE } from './tool-help';
import { readFileOrUndefined } from './tool-output';
import { emit, guarded } from './tool-output';
import { withSystem } from './net-wiring';

/** Splits bpftool's global flags (-j/--json, -p/--pretty) from the words. */
export function bpftoolArgs(args: readonly string[]): { words: string[]; json: boolean } {
  const words: string[] = [];
  let json = false;
  for (const a of args) {
    if (a === '-j' || a === '--json' || a === '-p' || a === '--pretty') json = true;
    else words.push(a);
  }
  return { words, json };
}

/** Registers `xdpts prog`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('prog')
    .description('inspect loaded programs (bpftool prog show|pin|tracelog)')
    .argument('[args...]', '{show|list} [PROG] | pin PROG FILE | tracelog | run PROG data_in FILE [data_out FILE|-] [repeat N]   (PROG: id N | name X | tag T | pinned P)')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const { words, json } = bpftoolArgs(args);
      await runCommand(json, setExit, () =>
        guarded(() => {
          const [cmd = 'show', ...rest] = words;
          // `bpftool prog help` (also -h, --help): the usage on stderr, status 0.
          if (cmd === 'help' || cmd === '-h' || cmd === '--help') {
            err(BPFTOOL_PROG_USAGE);
            return Promise.resolve(0);
          }
          const readonly = cmd === 'show' || cmd === 'list';
          return withSystem(
            (s) => {
              const x = s.sys.xdp;
              if (cmd === 'show' || cmd === 'list') return emit(progShow(x, rest, json), false);
              if (cmd === 'pin') return emit(progPin(x, rest, json), false);
              if (cmd === 'tracelog') return emit(progTracelog(x, json), false);
              if (cmd === 'run') {
                const p = parseProgRun(rest, json);
                return 'exit' in p ? emit(p, json) : progRunOutput(s, p.sel, p.input, p.dataOut, json);
              }
              return emit(bpftoolError(`unknown command '${cmd}' (prog show|list|pin|tracelog|run)`, json), false);
            },
            { readonly },
          );
        }),
      );
    });
}

/**
 * bpftool's `prog run PROG data_in FILE [data_out FILE] [repeat N]` words (ctx_in/ctx_out and
 * the size options are not taken): the selector and the input, or bpftool's error outcome.
 */
function parseProgRun(argv: readonly string[], json: boolean): ToolOutcome | { sel: Parameters<typeof progRunOutput>[1]; input: Parameters<typeof progRunOutput>[2]; dataOut: string | undefined } {
  if (argv.length < 4) return bpftoolError(`'run' needs at least 4 arguments, ${argv.length} found`, json);
  const s = parseSelector(argv, ['id', 'name', 'tag', 'pinned']);
  if ('error' in s) return bpftoolError(s.error, json);
  let dataIn: string | undefined;
  let dataOut: string | undefined;
  let repeat: number | undefined;
  for (let i = s.used; i < argv.length; i += 2) {
    const [k, v] = [argv[i]!, argv[i + 1]];
    if (v === undefined) return bpftoolError(`missing value for ${k}`, json);
    if (k === 'data_in') dataIn = v;
    else if (k === 'data_out') dataOut = v;
    else if (k === 'repeat') {
      if (!/^\d+$/.test(v)) return bpftoolError(`can't parse ${v} as repeat`, json);
      repeat = Number(v);
    } else return bpftoolError(`unknown keyword '${k}' (data_in, data_out, repeat)`, json);
  }
  if (dataIn === undefined) return bpftoolError('data_in is required', json);
  const packet = dataIn === '-' ? readFileOrUndefined('/dev/stdin') : readFileOrUndefined(dataIn);
  if (!packet) return bpftoolError(`failed to open ${dataIn}: No such file or directory`, json);
  return { sel: s.sel, input: { packet: new Uint8Array(packet), ...(repeat !== undefined ? { repeat } : {}) }, dataOut };
}
