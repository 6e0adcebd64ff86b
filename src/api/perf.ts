/**
 * `PerfReader`: reads the samples programs send with bpf_perf_event_output, like cilium/ebpf's
 * `perf.Reader` (perf.NewReader(map, perCPUBuffer)) and libbpf's perf_buffer: opening it puts
 * a ring of `perCPUBuffer` bytes (rounded up to a power-of-two number of pages) in the slot of
 * every CPU; `read` returns the records in arrival order per CPU, a lost-samples record where
 * the ring overflowed. Closing empties the slots, so programs get -ENOENT again.
 */
import { PERF_RECORD_SAMPLE, PerfEventArrayMap, type BpfMap as KernelMap, type PerfRecord } from '../kernel';
import { MapError } from '../util/errors';

/** One record, as cilium/ebpf's `perf.Record`. */
export interface PerfSample {
  /** The CPU the sample was written on. */
  readonly cpu: number;
  /** The sample's bytes, padded with zeros to keep the kernel's 8-byte alignment. */
  readonly rawSample: Uint8Array;
  /** Samples the ring had no room for (then rawSample is empty). */
  readonly lostSamples: number;
}

const PAGE = 4096;

/** Runs a function on the live kernel map in one write transaction. */
export type PerfMapAccess = <T>(fn: (m: KernelMap) => T) => T;

/** A reader of one PERF_EVENT_ARRAY. */
export class PerfReader {
  private queue: PerfSample[] = [];
  private closed = false;

  constructor(
    private readonly mapName: string,
    private readonly access: PerfMapAccess,
    opts: { perCPUBuffer?: number } = {},
  ) {
    const bytes = opts.perCPUBuffer ?? PAGE;
    if (!Number.isInteger(bytes) || bytes < 1) throw new MapError('EINVAL', `perf reader of ${mapName}: perCPUBuffer must be a positive number of bytes`);
    let pages = 1;
    while (pages * PAGE < bytes) pages *= 2;
    this.access((m) => this.perf(m).openBuffers({ pages, withTime: false }));
  }

  private perf(m: KernelMap): PerfEventArrayMap {
    if (!(m instanceof PerfEventArrayMap)) throw new MapError('EINVAL', `map ${this.mapName} is not a perf event array`);
    return m;
  }

  /** The next record, or undefined when none is waiting (the emulation never blocks). */
  read(): PerfSample | undefined {
    if (this.closed) throw new MapError('EBADF', `perf reader of ${this.mapName} is closed`);
    if (this.queue.length === 0) this.queue = this.access((m) => this.perf(m).drain()).map(toSample);
    return this.queue.shift();
  }

  /** Every record waiting now. */
  readAll(): PerfSample[] {
    const out: PerfSample[] = [];
    for (let r = this.read(); r; r = this.read()) out.push(r);
    return out;
  }

  /** Closes the per-CPU events: the slots become empty. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.access((m) => this.perf(m).closeBuffers());
  }
}

function toSample(r: PerfRecord): PerfSample {
  return r.type === PERF_RECORD_SAMPLE
    ? { cpu: r.cpu, rawSample: r.data, lostSamples: 0 }
    : { cpu: r.cpu, rawSample: new Uint8Array(0), lostSamples: r.lost };
}
