/**
 * Where the cases of a file run: a small interface of our own over an emulated kernel (maps
 * created, the program verified and compiled, BPF_PROG_TEST_RUN), so the runner does not depend
 * on how the kernel is made. The clock is virtual and the seed fixed, so runs repeat exactly.
 *
 * Events are read as a reader that is always running reads them: every perf event array gets a
 * bpf-output event with a 16-page ring on every CPU (what `bpftool map event_pipe` installs), and
 * after each run the perf samples and ring-buffer records it produced are taken out, so each
 * case sees its own.
 */
import { Kernel, PerfEventArrayMap, PERF_RECORD_SAMPLE, RingBufMap, TestRunError, type BpfMap, type LoadedProgram, type TestRunResult, type XdpMdIn } from '../kernel/index';
import { MapError, VerifierError, XdptsError } from '../util/index';
import { isPerCpu } from './load-util';
import { saveState, type Restore } from './reset';
import type { CompiledFile, MapWrite, PerCpu } from './model';

/** A record a run left in a ring buffer (no CPU) or a perf sample (from CPU `cpu`). */
export interface EventRecord {
  readonly data: Uint8Array;
  readonly cpu?: number;
}

/** What one run of the program gave. */
export interface RunOutcome {
  /** The test run, or the errno name it was refused with. */
  readonly result: TestRunResult | { readonly errno: string; readonly message: string };
  /** bpf_trace_printk messages of the run. */
  readonly trace: readonly string[];
  /** The redirect the program chose: bpf_redirect's ifindex, or a map id and key. */
  readonly redirect: { readonly ifindex?: number; readonly mapId?: number; readonly key?: number } | null;
  /** Ring-buffer records and perf samples of the run, by map name (maps of those types only). */
  readonly events: ReadonlyMap<string, readonly EventRecord[]>;
}

/** A loaded program and its maps, ready for cases. */
export interface Target {
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** Instruction coverage counters (when made with coverage). */
  readonly coverage: { readonly exec: Uint32Array; readonly taken: Uint32Array } | undefined;
  write(w: MapWrite): void;
  /** Back to the state right after the setup (`fresh: true`); false when a new target is needed. */
  reset(): boolean;
  run(packet: Uint8Array, ctx: XdpMdIn | undefined, repeat: number | undefined, cpu?: number): RunOutcome;
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
/** Pages of each CPU's perf ring (bpftool event_pipe's MMAP_PAGE_CNT). */
const PERF_PAGES = 16;

/**
 * A value as bpf(2) carries it: as given, or for a per-CPU map one slot of round_up(size, 8)
 * bytes per CPU — the same value in each (bpftool map update), or CPU by CPU with zeros where
 * a CPU is not listed.
 */
export function sysValue(m: BpfMap, v: Uint8Array | PerCpu<Uint8Array>): Uint8Array {
  if (!m.percpu) return isPerCpu(v) ? v.perCpu.get(0) ?? new Uint8Array(m.valueSize) : v;
  const out = new Uint8Array(m.sysValueSize);
  const step = m.sysValueSize / m.ncpus;
  for (let cpu = 0; cpu < m.ncpus; cpu++) {
    const x = isPerCpu(v) ? v.perCpu.get(cpu) : v;
    if (x) out.set(x.subarray(0, m.valueSize), cpu * step);
  }
  return out;
}

/** The value of one CPU in a per-CPU map's bpf(2) value (the whole value for other maps). */
export function cpuValue(m: BpfMap, sys: Uint8Array, cpu: number): Uint8Array {
  if (!m.percpu) return sys;
  const step = m.sysValueSize / m.ncpus;
  return sys.subarray(cpu * step, cpu * step + m.valueSize);
}

/** Loads the file's program on a new emulated kernel. */
export function openTarget(cf: CompiledFile, opts: TargetOptions = {}): Target | Rejection {
  const kernel = new Kernel({ seed: cf.seed, ncpus: cf.cpus, engine: opts.coverage ? 'interp' : cf.engine, clock: 'virtual', ...(opts.coverage ? { coverage: true } : {}) });
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
  const events = [...maps].filter(([, m]) => m instanceof PerfEventArrayMap || m instanceof RingBufMap);
  for (const [, m] of events) if (m instanceof PerfEventArrayMap) m.openBuffers({ pages: PERF_PAGES, withTime: true });
  let restore: Restore | undefined;
  const target: Target = {
    maps,
    reset: () => restore?.() ?? false,
    coverage: prog.vm.coverage,
    write(w) {
      const m = maps.get(w.map)!;
      try {
        if (w.value !== null) m.update(w.key, sysValue(m, w.value));
        else m.delete(w.key);
      } catch (e) {
        // Deleting an absent key is fine in a setup; an array's entries cannot be deleted (EINVAL), as with bpftool.
        if (e instanceof MapError && w.value === null) return;
        if (e instanceof MapError) throw new XdptsError(`${w.where}: error: writing map '${w.map}': ${e.message}`, 'usage');
        throw e;
      }
    },
    run(packet, ctx, repeat, cpu) {
      kernel.helpers.trace.read();
      let result: RunOutcome['result'];
      try {
        result = kernel.testRun(prog, { packet, ...(ctx ? { ctx } : {}), ...(repeat !== undefined ? { repeat } : {}), ...(cpu ? { cpu } : {}) });
      } catch (e) {
        if (!(e instanceof TestRunError)) throw e;
        result = { errno: e.errno, message: e.message };
      }
      const text = kernel.helpers.trace.read();
      const trace = text === '' ? [] : text.replace(/\n$/, '').split('\n').map((l) => l.replace(MSG, ''));
      const r = kernel.helpers.redirect;
      const redirect = r === null ? null : r.mapId === undefined ? { ifindex: r.index } : { mapId: r.mapId, key: r.index };
      const got = new Map<string, EventRecord[]>();
      for (const [name, m] of events) {
        if (m instanceof RingBufMap) got.set(name, m.consume().map((data) => ({ data })));
        else if (m instanceof PerfEventArrayMap) got.set(name, m.drain().flatMap((r) => (r.type === PERF_RECORD_SAMPLE ? [{ data: r.data, cpu: r.cpu }] : [])));
      }
      return { result, trace, redirect, events: got };
    },
  };
  for (const w of cf.setup) target.write(w);
  restore = saveState(kernel, maps);
  return target;
}
