/**
 * Where the cases of a file run: a small interface of our own over an emulated kernel (maps
 * created, the program verified and compiled, BPF_PROG_TEST_RUN), so the runner does not depend
 * on how the kernel is made. The clock is virtual and the seed fixed, so runs repeat exactly.
 */
import { Kernel, TestRunError, type BpfMap, type LoadedProgram, type TestRunResult, type XdpMdIn } from '../kernel/index';
import { VerifierError } from '../util/index';
import type { CompiledFile, MapWrite } from './model';

/** What one run of the program gave. */
export interface RunOutcome {
  /** The test run, or the errno name it was refused with. */
  readonly result: TestRunResult | { readonly errno: string; readonly message: string };
  /** bpf_trace_printk messages of the run. */
  readonly trace: readonly string[];
  /** The redirect the program chose: bpf_redirect's ifindex, or a map id and key. */
  readonly redirect: { readonly ifindex?: number; readonly mapId?: number; readonly key?: number } | null;
}

/** A loaded program and its maps, ready for cases. */
export interface Target {
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** Instruction coverage counters (when made with coverage). */
  readonly coverage: { readonly exec: Uint32Array; readonly taken: Uint32Array } | undefined;
  write(w: MapWrite): void;
  run(packet: Uint8Array, ctx: XdpMdIn | undefined, repeat: number | undefined): RunOutcome;
}

/** The verifier's refusal of the program. */
export interface Rejection {
  readonly rejected: VerifierError;
}

/** Options of a target. */
export interface TargetOptions {
  readonly coverage?: boolean;
}

const MSG = /^.*?bpf_trace_printk: /;

/** Loads the file's program on a new emulated kernel. */
export function openTarget(cf: CompiledFile, opts: TargetOptions = {}): Target | Rejection {
  const kernel = new Kernel({ seed: cf.seed, engine: opts.coverage ? 'interp' : cf.engine, clock: 'virtual', ...(opts.coverage ? { coverage: true } : {}) });
  let prog: LoadedProgram;
  let maps: ReadonlyMap<string, BpfMap>;
  try {
    const obj = kernel.loadObject(cf.object, { programs: [cf.program.name], type: cf.program.type || 6 });
    prog = obj.programs[0]!;
    maps = obj.maps;
  } catch (e) {
    if (e instanceof VerifierError) return { rejected: e };
    throw e;
  }
  const target: Target = {
    maps,
    coverage: prog.vm.coverage,
    write(w) {
      const m = maps.get(w.map)!;
      if (w.value === null) {
        try {
          m.delete(w.key);
        } catch {
          // deleting an absent key is fine in a setup
        }
      } else m.update(w.key, w.value);
    },
    run(packet, ctx, repeat) {
      kernel.helpers.trace.read();
      let result: RunOutcome['result'];
      try {
        result = kernel.testRun(prog, { packet, ...(ctx ? { ctx } : {}), ...(repeat !== undefined ? { repeat } : {}) });
      } catch (e) {
        if (!(e instanceof TestRunError)) throw e;
        result = { errno: e.errno, message: e.message };
      }
      const text = kernel.helpers.trace.read();
      const trace = text === '' ? [] : text.replace(/\n$/, '').split('\n').map((l) => l.replace(MSG, ''));
      const r = kernel.helpers.redirect;
      const redirect = r === null ? null : r.mapId === undefined ? { ifindex: r.index } : { mapId: r.mapId, key: r.index };
      return { result, trace, redirect };
    },
  };
  for (const w of cf.setup) target.write(w);
  return target;
}
