/**
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY (kernel/bpf/arraymap.c, kernel/events/ring_buffer.c): one slot
 * per CPU holding a perf event of type PERF_COUNT_SW_BPF_OUTPUT whose ring buffer receives
 * bpf_perf_event_output samples. User space (bpftool map event_pipe, libbpf's perf_buffer,
 * cilium/ebpf's perf.Reader) opens one event per CPU, mmaps its ring and stores its fd in the
 * slot. The emulation has no fds: {@link PerfEventArrayMap.openBuffers} stands for those steps
 * and a slot holds the buffer itself.
 *
 * A sample in the ring, as perf writes it (PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW, and with
 * PERF_SAMPLE_TIME when the reader asked for it, as bpftool does):
 *
 *   perf_event_header { u32 type; u16 misc; u16 size } | [u64 time] | u32 size | raw data...
 *
 * The raw size is rounded so `u32 size + data` is a multiple of 8 (the padding is zero and is
 * part of the sample the reader gets). A sample that does not fit is lost (-ENOSPC); the lost
 * count is written as a PERF_RECORD_LOST (header, u64 id, u64 lost) before the next sample that fits.
 */
import { E2BIG, EBADF, EINVAL, ENOSPC, ENOTSUPP } from '../errno';
import { PAGE_SIZE } from './flags';
import { FdArrayMap } from './prog-array';
import { hex, readU32, snapArray, snapInt, unhex, type BytesOrErrno } from './map';

/** `PERF_RECORD_LOST` and `PERF_RECORD_SAMPLE` (include/uapi/linux/perf_event.h). */
export const PERF_RECORD_LOST = 2;
/** `PERF_RECORD_SAMPLE`. */
export const PERF_RECORD_SAMPLE = 9;
const HEADER = 8;
const LOST_SIZE = 24;

/** One record read from a perf buffer. */
export type PerfRecord =
  | { readonly type: typeof PERF_RECORD_SAMPLE; readonly cpu: number; readonly time: bigint; readonly data: Uint8Array }
  | { readonly type: typeof PERF_RECORD_LOST; readonly cpu: number; readonly lost: number };

/** The ring of one perf event: bytes used by unread records, and the samples lost since. */
export class PerfBuffer {
  records: PerfRecord[] = [];
  used = 0;
  lost = 0;
  constructor(
    readonly cpu: number,
    /** Data bytes of the ring (pages × 4096). */
    readonly capacity: number,
    /** PERF_SAMPLE_TIME in sample_type. */
    readonly withTime: boolean,
  ) {}

  private static sampleSize(raw: number, withTime: boolean): number {
    return HEADER + (withTime ? 8 : 0) + 4 + raw;
  }

  /** perf_event_output: 0, or -ENOSPC when the sample does not fit (it is counted as lost). */
  output(data: Uint8Array, time: bigint): number {
    const raw = ((data.length + 4 + 7) & ~7) - 4;
    const size = PerfBuffer.sampleSize(raw, this.withTime) + (this.lost ? LOST_SIZE : 0);
    if (this.used + size > this.capacity) {
      this.lost++;
      return -ENOSPC;
    }
    if (this.lost) this.records.push({ type: PERF_RECORD_LOST, cpu: this.cpu, lost: this.lost });
    this.lost = 0;
    const padded = new Uint8Array(raw);
    padded.set(data);
    this.records.push({ type: PERF_RECORD_SAMPLE, cpu: this.cpu, time, data: padded });
    this.used += size;
    return 0;
  }

  /** Everything unread, oldest first; frees the ring. */
  drain(): PerfRecord[] {
    const r = this.records;
    this.records = [];
    this.used = 0;
    return r;
  }
}

/** A perf event array. */
export class PerfEventArrayMap extends FdArrayMap<PerfBuffer> {
  /** The buffer in slot `index`, for bpf_perf_event_output; undefined when the slot is empty. */
  bufferAt(index: number): PerfBuffer | undefined {
    return this.slots.get(index);
  }

  /**
   * What a reader does before reading: opens a bpf-output perf event on each CPU with a ring of
   * `pages` pages (a power of two, as perf_mmap requires) and stores it in the slot of the same
   * index (bpftool map event_pipe, perf.NewReader). Slots already holding a buffer keep it.
   */
  openBuffers(opts: { pages?: number; withTime?: boolean; cpus?: readonly number[]; index?: number } = {}): void {
    const pages = opts.pages ?? 8;
    if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) throw new RangeError(`perf buffer pages must be a power of two, not ${pages}`);
    const cpus = opts.cpus ?? Array.from({ length: Math.min(this.ncpus, this.maxEntries) }, (_, i) => i);
    for (const cpu of cpus) {
      // One CPU may be given a slot of its own (bpftool's `cpu N index M`).
      const slot = opts.index ?? cpu;
      if (slot >= this.maxEntries) throw new RangeError(`perf event array ${this.name} has no slot ${slot}`);
      if (!this.slots.has(slot)) this.slots.set(slot, new PerfBuffer(cpu, pages * PAGE_SIZE, opts.withTime ?? true));
    }
  }

  /** Closes the readers' events: every slot becomes empty (records not read are dropped). */
  closeBuffers(): void {
    this.slots.clear();
  }

  /** Every unread record of every buffer, by CPU then age; the rings are freed. */
  drain(): PerfRecord[] {
    return [...this.slots.keys()].sort((a, b) => a - b).flatMap((k) => this.slots.get(k)!.drain());
  }

  /** perf_event_array has no `map_fd_sys_lookup_elem`: lookups from user space are ENOTSUPP. */
  protected override sysLookup(): BytesOrErrno {
    return -ENOTSUPP;
  }

  /** A value is a perf event fd; the emulation has none to give, so every fd is EBADF. */
  protected override sysUpdate(key: Uint8Array, _value: Uint8Array, flags: number): number {
    if (flags !== 0) return -EINVAL;
    if (readU32(key) >= this.maxEntries) return -E2BIG;
    return -EBADF;
  }

  protected snapshotData(): unknown {
    return [...this.slots].sort((a, b) => a[0] - b[0]).map(([i, b]) => ({
      index: i, cpu: b.cpu, capacity: b.capacity, withTime: b.withTime, lost: b.lost, used: b.used,
      records: b.records.map((r) => (r.type === PERF_RECORD_SAMPLE ? { time: r.time.toString(), data: hex(r.data) } : { lost: r.lost })),
    }));
  }

  restoreData(data: unknown): void {
    this.slots.clear();
    for (const e of snapArray(data ?? [], 'perf event array slots')) {
      const s = e as Record<string, unknown>;
      const b = new PerfBuffer(snapInt(s['cpu'], 'cpu'), snapInt(s['capacity'], 'capacity'), s['withTime'] === true);
      b.lost = snapInt(s['lost'], 'lost');
      b.used = snapInt(s['used'], 'used');
      for (const r of snapArray(s['records'], 'perf records')) {
        const x = r as Record<string, unknown>;
        if ('lost' in x) b.records.push({ type: PERF_RECORD_LOST, cpu: b.cpu, lost: snapInt(x['lost'], 'lost') });
        else {
          const d = String(x['data'] ?? '');
          b.records.push({ type: PERF_RECORD_SAMPLE, cpu: b.cpu, time: BigInt(String(x['time'])), data: unhex(d, d.length / 2, 'perf sample') });
        }
      }
      this.slots.set(snapInt(s['index'], 'slot index'), b);
    }
  }
}
