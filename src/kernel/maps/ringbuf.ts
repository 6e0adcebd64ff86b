/**
 * BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a multi-producer, single-consumer byte ring.
 *
 * Record layout, as the kernel writes it and libbpf reads it:
 *
 *   +--------------------------------+------------------------------+-----------+
 *   | len: u32 (bit 31 BUSY,         | pg_off: u32 (pages from the  | data ...  |  padded to 8
 *   |   bit 30 DISCARD, low 30 size) |   ring struct to the header) |           |
 *   +--------------------------------+------------------------------+-----------+
 *
 * Positions (consumer, producer, pending) grow without bound; a record lives at
 * `pos & (size - 1)`. The kernel maps the data pages twice in a row so a record that wraps is
 * still contiguous; the emulation keeps a buffer of twice the size and copies the part past the
 * end back to the start when the record is committed. Reservations are refused (NULL) when the
 * producer would get `size` or more ahead of the consumer or of the oldest uncommitted record.
 */
import { ENOTSUPP } from '../errno';
import { PAGE_SIZE } from './flags';
import { BpfMap, hex, snapError, snapInt, unhex, type BytesOrErrno, type MapAttr, type MapEnv } from './map';

/** Ring buffer header bits and size (include/uapi/linux/bpf.h). */
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
/** `BPF_RINGBUF_DISCARD_BIT` (include/uapi/linux/bpf.h). */
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
/** `BPF_RINGBUF_HDR_SZ` (include/uapi/linux/bpf.h). */
export const BPF_RINGBUF_HDR_SZ = 8;
/** bpf_ringbuf_output/submit/discard flags. */
export const BPF_RB_NO_WAKEUP = 1;
/** `BPF_RB_FORCE_WAKEUP` (include/uapi/linux/bpf.h). */
export const BPF_RB_FORCE_WAKEUP = 2;
/** bpf_ringbuf_query flags. */
export const BPF_RB_AVAIL_DATA = 0;
/** `BPF_RB_RING_SIZE` (include/uapi/linux/bpf.h). */
export const BPF_RB_RING_SIZE = 1;
/** `BPF_RB_CONS_POS` (include/uapi/linux/bpf.h). */
export const BPF_RB_CONS_POS = 2;
/** `BPF_RB_PROD_POS` (include/uapi/linux/bpf.h). */
export const BPF_RB_PROD_POS = 3;
/** Pages before the data in `struct bpf_ringbuf` (meta page, consumer page, producer page). */
const RINGBUF_DATA_PGOFF = 3;
/** RINGBUF_MAX_RECORD_SZ: sizes must fit the 30 length bits. */
const RINGBUF_MAX_RECORD_SZ = (2 ** 32 - 1) / 4;

/** A ring buffer map. */
export class RingBufMap extends BpfMap {
  private buf: Uint8Array;
  private readonly dv: DataView;
  private readonly mask: number;
  consumerPos = 0;
  producerPos = 0;
  private pendingPos = 0;
  /** Live reservations: sample buffer → header offset in the ring. */
  private readonly reserved = new Map<Uint8Array, number>();

  constructor(id: number, attr: MapAttr, env: MapEnv) {
    super(id, attr, env);
    this.buf = new Uint8Array(2 * attr.maxEntries);
    this.dv = new DataView(this.buf.buffer);
    this.mask = attr.maxEntries - 1;
  }

  get size(): number {
    return 0;
  }

  /** Bytes of data area (max_entries). */
  get dataSize(): number {
    return this.mask + 1;
  }

  /** Bytes produced and not yet consumed (BPF_RB_AVAIL_DATA). */
  get availData(): number {
    return this.producerPos - this.consumerPos;
  }

  private hdrLen(pos: number): number {
    return this.dv.getUint32(pos & this.mask, true);
  }

  /**
   * __bpf_ringbuf_reserve: room for `size` bytes, or null. The returned buffer is the record's
   * data in the ring (stable until committed).
   */
  reserve(size: number): Uint8Array | null {
    if (size > RINGBUF_MAX_RECORD_SZ) return null;
    const len = (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    if (len > this.dataSize) return null;
    // Advance pending_pos past records already committed.
    let pend = this.pendingPos;
    while (pend < this.producerPos) {
      const l = this.hdrLen(pend);
      if (l & BPF_RINGBUF_BUSY_BIT) break;
      pend += ((l & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    }
    this.pendingPos = pend;
    const prod = this.producerPos;
    const next = prod + len;
    if (next - this.consumerPos > this.mask || next - pend > this.mask) return null;
    const off = prod & this.mask;
    this.dv.setUint32(off, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    this.dv.setUint32(off + 4, RINGBUF_DATA_PGOFF + Math.floor(off / PAGE_SIZE), true);
    this.producerPos = next;
    // Not zeroed: like the kernel, a reservation holds whatever earlier records left there.
    const sample = this.buf.subarray(off + BPF_RINGBUF_HDR_SZ, off + BPF_RINGBUF_HDR_SZ + size);
    if (off + BPF_RINGBUF_HDR_SZ + size > this.dataSize) {
      // The wrapped part lives at the start of the ring; show it through the second mapping.
      this.buf.copyWithin(this.dataSize, 0, off + BPF_RINGBUF_HDR_SZ + size - this.dataSize);
    }
    this.reserved.set(sample, off);
    return sample;
  }

  /** bpf_ringbuf_commit: clears BUSY (and sets DISCARD); false if `sample` is not reserved here. */
  commit(sample: Uint8Array, discard: boolean): boolean {
    const off = this.reserved.get(sample);
    if (off === undefined) return false;
    this.reserved.delete(sample);
    const end = off + BPF_RINGBUF_HDR_SZ + sample.length;
    // The second mapping of the data pages: bytes past the end are the start of the ring.
    if (end > this.dataSize) this.buf.copyWithin(0, this.dataSize, end);
    let len = (this.dv.getUint32(off, true) ^ BPF_RINGBUF_BUSY_BIT) >>> 0;
    if (discard) len = (len | BPF_RINGBUF_DISCARD_BIT) >>> 0;
    this.dv.setUint32(off, len, true);
    return true;
  }

  /**
   * Discards every reservation still open, for the kernel to call after a run that faulted
   * (a verified program always submits or discards; an aborted one may not have).
   */
  discardOpen(): void {
    for (const s of [...this.reserved.keys()]) this.commit(s, true);
  }

  /** Whether `sample` is a live reservation of this ring. */
  owns(sample: Uint8Array): boolean {
    return this.reserved.has(sample);
  }

  /** bpf_ringbuf_output: reserve, copy, commit; false when there is no room (-EAGAIN). */
  output(data: Uint8Array): boolean {
    const s = this.reserve(data.length);
    if (!s) return false;
    s.set(data);
    this.commit(s, false);
    return true;
  }

  /** bpf_ringbuf_query. */
  query(flags: number): number {
    switch (flags) {
      case BPF_RB_AVAIL_DATA:
        return this.availData;
      case BPF_RB_RING_SIZE:
        return this.dataSize;
      case BPF_RB_CONS_POS:
        return this.consumerPos;
      case BPF_RB_PROD_POS:
        return this.producerPos;
      default:
        return 0;
    }
  }

  /**
   * What a user-space consumer (libbpf ring_buffer__consume) reads: every committed record
   * from the consumer position up to the first busy one, skipping discarded ones; advances the
   * consumer position.
   */
  consume(limit = Infinity): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.consumerPos < this.producerPos && out.length < limit) {
      const l = this.hdrLen(this.consumerPos);
      if (l & BPF_RINGBUF_BUSY_BIT) break;
      const size = l & ~BPF_RINGBUF_DISCARD_BIT;
      const off = (this.consumerPos & this.mask) + BPF_RINGBUF_HDR_SZ;
      if (!(l & BPF_RINGBUF_DISCARD_BIT)) out.push(this.buf.slice(off, off + size));
      this.consumerPos += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7;
    }
    return out;
  }

  /** The raw data area (`max_entries` bytes) as a consumer's mmap shows it. */
  rawData(): Uint8Array {
    return this.buf.slice(0, this.dataSize);
  }

  protected override sysLookup(): BytesOrErrno {
    return -ENOTSUPP;
  }

  protected override sysUpdate(): number {
    return -ENOTSUPP;
  }

  protected override sysDelete(): number {
    return -ENOTSUPP;
  }

  override getNextKey(): BytesOrErrno {
    return -ENOTSUPP;
  }

  protected snapshotData(): unknown {
    const empty = this.producerPos === 0;
    return {
      consumer: this.consumerPos,
      producer: this.producerPos,
      pending: this.pendingPos,
      data: empty ? '' : hex(this.buf.subarray(0, this.dataSize)),
    };
  }

  restoreData(data: unknown): void {
    const d = data as { consumer?: unknown; producer?: unknown; pending?: unknown; data?: unknown } | null;
    const consumer = snapInt(d?.consumer, 'ringbuf consumer');
    const producer = snapInt(d?.producer, 'ringbuf producer');
    const pending = snapInt(d?.pending, 'ringbuf pending');
    if (consumer > producer || producer - consumer > this.dataSize)
      throw snapError('ringbuf positions are inconsistent');
    this.buf.fill(0);
    if (d?.data !== '') this.buf.set(unhex(d?.data, this.dataSize, 'ringbuf data'));
    this.buf.copyWithin(this.dataSize, 0, this.dataSize);
    this.consumerPos = consumer;
    this.producerPos = producer;
    this.pendingPos = Math.min(Math.max(pending, consumer), producer);
    this.reserved.clear();
  }
}
