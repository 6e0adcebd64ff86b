/**
 * Running a program already loaded in the shared state (by `xdpts load`, `bpftool`-style
 * `prog`, or an application through the library) with its live maps, as `bpftool prog run`
 * does on the real kernel: `xdpts run --pinned PATH | --id N | --name NAME --packet HEX`, and
 * bpftool's own spelling `xdpts prog run pinned PATH data_in FILE [data_out FILE] [repeat N]`.
 * Map writes the program makes stay (it is one write transaction on the state), as they do in
 * the kernel.
 */
import { writeFileSync } from 'node:fs';
import { selectProgramsBy, TestRunError, xdpMdFromBytes, type BpfMap, type LoadedProgram, type Selector, type TestRunResult, type ValueLayout, type XdpMdIn } from '../../kernel/index';
import { UsageError } from '../../util/errors';
import { CliFailure, EXIT_FAIL, EXIT_OK, err, out, outJson } from '../output';
import { withSystem, type SystemSession } from './net-wiring';
import { bpftoolHexdump, jsonResult, mapsJson, textMaps, textResult } from './run-output';
import type { MapLayouts } from './run-maps';

/** What to run a loaded program on. */
export interface LiveInput {
  readonly packet: Uint8Array;
  readonly repeat?: number;
  /** The context by field (`run --ctx`). */
  readonly ctx?: XdpMdIn;
  /** The context as a ctx_in file's bytes (`prog run ... ctx_in FILE`, `run --ctx-in`). */
  readonly ctxBytes?: Uint8Array;
  /** `data_size_out`: the output buffer's size. */
  readonly dataSizeOut?: number;
}

/** Where `prog run` writes data_out and ctx_out (a path, `-` for stdout) and ctx_out's buffer size. */
export interface ProgRunOutputs {
  readonly dataOut: string | undefined;
  readonly ctxOut: string | undefined;
  readonly ctxSizeOut: number;
}

/** The struct xdp_md a run takes: from ctx_in bytes, or by field. */
export function ctxOf(input: { ctx?: XdpMdIn; ctxBytes?: Uint8Array }): XdpMdIn | undefined {
  return input.ctxBytes !== undefined ? xdpMdFromBytes(input.ctxBytes) : input.ctx;
}

/** The program a selector names, or a CliFailure (none, or several with that name). */
function pick(s: SystemSession, sel: Selector): LoadedProgram {
  const found = selectProgramsBy(s.sys.xdp, sel);
  if (typeof found === 'string') throw new CliFailure(found, EXIT_FAIL, { errno: 'ENOENT' });
  const what = sel.by === 'name' ? `name ${sel.name}` : sel.by === 'tag' ? `tag ${sel.tag}` : '';
  if (found.length === 0) throw new CliFailure(`no loaded program with ${what}`, EXIT_FAIL, { errno: 'ENOENT' });
  if (found.length > 1) throw new UsageError(`${found.length} programs have ${what} (ids ${found.map((p) => p.id).join(', ')}): pick one with --id`);
  return found[0]!;
}

/** Runs the selected program on the input; returns it, the result and its maps by name. */
function runLoaded(s: SystemSession, sel: Selector, input: LiveInput): { prog: LoadedProgram; r: TestRunResult; maps: Map<string, BpfMap>; layouts: (n: string) => MapLayouts | undefined } {
  const prog = pick(s, sel);
  let r: TestRunResult;
  try {
    const ctx = ctxOf(input);
    r = s.sys.kernel.testRun(prog, {
      packet: input.packet,
      ...(input.repeat !== undefined ? { repeat: input.repeat } : {}),
      ...(ctx ? { ctx } : {}),
      ...(input.dataSizeOut !== undefined ? { dataSizeOut: input.dataSizeOut } : {}),
    });
  } catch (e) {
    if (e instanceof TestRunError) throw new CliFailure(`failed to run program ${prog.funcName || prog.name} (id ${prog.id}): ${e.message}`, EXIT_FAIL, { errno: e.errno });
    throw e;
  }
  const maps = new Map<string, BpfMap>();
  const byName = new Map<string, number>();
  for (const id of prog.mapIds) {
    const m = s.sys.kernel.map(id);
    if (m) {
      maps.set(m.name, m);
      byName.set(m.name, id);
    }
  }
  const stored = s.sys.xdp.state.mapLayouts;
  const layouts = (n: string): MapLayouts | undefined => {
    const l = stored[String(byName.get(n))];
    return l ? { key: l.key as ValueLayout, value: l.value as ValueLayout } : undefined;
  };
  return { prog, r, maps, layouts };
}

/** `xdpts run --pinned|--id|--name`: the output of `xdpts run` for a loaded program. */
export function runLive(sel: Selector, input: LiveInput, json: boolean, ctxOutFile?: string): Promise<number> {
  return withSystem((s) => {
    const { r, maps, layouts } = runLoaded(s, sel, input);
    if (ctxOutFile !== undefined && r.ctxOut) writeFileSync(ctxOutFile, r.ctxOut);
    if (json) outJson({ ...jsonResult(r, input.repeat), maps: mapsJson(maps, layouts) });
    else out([textResult(r, input.repeat), textMaps(maps)].filter(Boolean).join('\n'));
    return r.fault ? EXIT_FAIL : EXIT_OK;
  });
}

/**
 * `prog run PROG data_in FILE [data_out FILE|-] [ctx_in FILE] [ctx_out FILE|-] ...` as bpftool
 * prints it: the data_out and ctx_out dumps asked for on stdout, then `Return value: N,
 * duration: Nns`; with -j `{"data_out","ctx_out","retval","duration"}` (the dumps as lists of
 * byte values). A ctx_out buffer smaller than struct xdp_md fails with ENOSPC after the run, as
 * the kernel's bpf_ctx_finish does.
 */
export function progRunOutput(s: SystemSession, sel: Selector, input: LiveInput, outputs: ProgRunOutputs, json: boolean): number {
  const { prog, r } = runLoaded(s, sel, input);
  const ctxOut = r.ctxOut;
  if (ctxOut !== undefined && outputs.ctxOut !== undefined && outputs.ctxSizeOut < ctxOut.length)
    throw new CliFailure(`failed to run program ${prog.funcName || prog.name} (id ${prog.id}): ctx_out of ${ctxOut.length} bytes does not fit the ${outputs.ctxSizeOut}-byte buffer (ENOSPC)`, EXIT_FAIL, { errno: 'ENOSPC' });
  const { dataOut } = outputs;
  const ctxPath = ctxOut !== undefined ? outputs.ctxOut : undefined;
  if (dataOut !== undefined && dataOut !== '-') writeFileSync(dataOut, r.dataOut);
  if (ctxPath !== undefined && ctxPath !== '-') writeFileSync(ctxPath, ctxOut!);
  if (json) {
    outJson({ ...(dataOut === '-' ? { data_out: [...r.dataOut] } : {}), ...(ctxPath === '-' ? { ctx_out: [...ctxOut!] } : {}), retval: r.retval, duration: r.durationNs });
    return EXIT_OK;
  }
  const dur = input.repeat !== undefined && input.repeat > 1 ? 'duration (average)' : 'duration';
  if (dataOut === '-') out(bpftoolHexdump(r.dataOut));
  if (ctxPath === '-') out(bpftoolHexdump(ctxOut!));
  out(`Return value: ${r.retval}, ${dur}: ${r.durationNs}ns\n`);
  if (r.fault) err(`Fault: ${r.fault.message}\n`);
  return EXIT_OK;
}
