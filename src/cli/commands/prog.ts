/**
 * `xdpts prog show [id N | name X | tag T | pinned P]`, `prog pin PROG FILE`, `prog tracelog`:
 * bpftool's `prog` object on the emulated kernel, plain text or `-j`/`--json`.
 */
import type { Command } from 'commander';
import { BPFTOOL_DATA_SIZE_OUT, bpftoolError, jsonwPretty, parseSelector, progPin, progShow, progTracelog, type ToolOutcome } from '../../kernel/index';
import { out } from '../output';
import { registerBpftoolObject } from './bpftool-object';
import { progRunOutput, type ProgRunOutputs } from './run-live';
import { BPFTOOL_PROG_USAGE } from './tool-help';
import { emit, readFileOrUndefined } from './tool-output';

/** Registers `xdpts prog`. */
export function register(program: Command, setExit: (code: number) => void): void {
  registerBpftoolObject(program, setExit, {
    name: 'prog',
    description: 'inspect loaded programs (bpftool prog show|pin|tracelog)',
    args: '{show|list} [PROG] | pin PROG FILE | tracelog | run PROG data_in FILE [data_out FILE|-] [data_size_out L] [ctx_in FILE] [ctx_out FILE|-] [ctx_size_out M] [repeat N]   (PROG: id N | name X | tag T | pinned P)',
    usage: BPFTOOL_PROG_USAGE,
    readonly: ['show', 'list'],
    run: (s, cmd, rest, { json, pretty }) => {
      const x = s.sys.xdp;
      if (cmd === 'show' || cmd === 'list') {
        const o = progShow(x, rest, json);
        // -p: the same JSON through bpftool's pretty writer.
        if (pretty && o.exit === 0) {
          out(`${jsonwPretty(JSON.parse(o.stdout.join('\n')) as unknown).join('\n')}\n`);
          return 0;
        }
        return emit(o, false);
      }
      if (cmd === 'pin') return emit(progPin(x, rest, json), false);
      if (cmd === 'tracelog') return emit(progTracelog(x, json), false);
      if (cmd === 'run') {
        const p = parseProgRun(rest, json);
        return 'exit' in p ? emit(p, json) : progRunOutput(s, p.sel, p.input, p.outputs, json);
      }
      return emit(bpftoolError(`unknown command '${cmd}' (prog show|list|pin|tracelog|run)`, json), false);
    },
  });
}

/**
 * bpftool's `prog run PROG data_in FILE [data_out FILE] [data_size_out L] [ctx_in FILE]
 * [ctx_out FILE] [ctx_size_out M] [repeat N]` words: the selector and the input, or bpftool's
 * error outcome. As bpftool does, ctx_out is only asked for with a ctx_in.
 */
function parseProgRun(argv: readonly string[], json: boolean): ToolOutcome | { sel: Parameters<typeof progRunOutput>[1]; input: Parameters<typeof progRunOutput>[2]; outputs: ProgRunOutputs } {
  if (argv.length < 4) return bpftoolError(`'run' needs at least 4 arguments, ${argv.length} found`, json);
  const s = parseSelector(argv, ['id', 'name', 'tag', 'pinned']);
  if ('error' in s) return bpftoolError(s.error, json);
  const files: Record<string, string> = {};
  const sizes: Record<string, number> = {};
  for (let i = s.used; i < argv.length; i += 2) {
    const [k, v] = [argv[i]!, argv[i + 1]];
    if (v === undefined) return bpftoolError(`missing value for ${k}`, json);
    if (k === 'data_in' || k === 'data_out' || k === 'ctx_in' || k === 'ctx_out') files[k] = v;
    else if (k === 'repeat' || k === 'data_size_out' || k === 'ctx_size_out') {
      if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) return bpftoolError(`can't parse ${v} as ${k === 'repeat' ? 'repeat' : 'output size'}`, json);
      sizes[k] = Number(v);
    } else return bpftoolError(`unknown keyword '${k}' (data_in, data_out, data_size_out, ctx_in, ctx_out, ctx_size_out, repeat)`, json);
  }
  const read = (what: string): Uint8Array | ToolOutcome => {
    const f = files[what]!;
    const b = f === '-' ? readFileOrUndefined('/dev/stdin') : readFileOrUndefined(f);
    return b ? new Uint8Array(b) : bpftoolError(`failed to open ${f}: No such file or directory`, json);
  };
  if (files['data_in'] === undefined) return bpftoolError('data_in is required', json);
  const packet = read('data_in');
  if (!(packet instanceof Uint8Array)) return packet;
  let ctx: Uint8Array | undefined;
  if (files['ctx_in'] !== undefined) {
    const c = read('ctx_in');
    if (!(c instanceof Uint8Array)) return c;
    ctx = c;
  }
  return {
    sel: s.sel,
    input: { packet, ...(sizes['repeat'] !== undefined ? { repeat: sizes['repeat'] } : {}), ...(ctx ? { ctxBytes: ctx } : {}), dataSizeOut: sizes['data_size_out'] ?? BPFTOOL_DATA_SIZE_OUT },
    outputs: { dataOut: files['data_out'], ctxOut: ctx ? files['ctx_out'] : undefined, ctxSizeOut: sizes['ctx_size_out'] ?? BPFTOOL_DATA_SIZE_OUT },
  };
}
