/**
 * A whole run kept for a debugger: every step's registers and packet bounds, and a log of every
 * memory write with the bytes before and after, so the machine can be shown at any step,
 * forwards and backwards (the step API and the playground's debugger stand on it). It wraps a
 * {@link Tracer}, whose per-step records (registers written, memory touched) it shares.
 *
 * Stores of the program are logged from the instruction's operands; a helper call may write the
 * stack or the packet itself (bpf_fib_lookup's params, bpf_xdp_store_bytes), so around calls both
 * regions are compared whole. Writes to other regions by helpers (map storage) are not logged.
 */
import { OP_LDDW, type Instruction } from '../isa';
import type { RegionImpl as Region } from './space';
import { Tracer, type StepObserver } from './trace';
import { MAX_BPF_STACK, MAX_CALL_FRAMES, TAG_CTX, TAG_FUNC, TAG_MAP, TAG_PACKET, TAG_STACK } from './types';

/** One logged write: the region's bytes at `off` before and after step `step`. */
interface Write {
  readonly step: number;
  readonly tag: number;
  readonly off: number;
  readonly before: Uint8Array;
  after: Uint8Array;
}

/** A register at a recorded step: its 64 bits and the region its high half names. */
export interface RecordedReg {
  readonly value: bigint;
  /** `packet`, `stack`, `ctx`, `map value NAME`, `map`, `func`, or `` (a scalar). */
  readonly region: string;
  /** `pkt+14`, `fp-8`, or the unsigned decimal value. */
  readonly text: string;
}

/** Packet bounds at a step, as offsets in the packet region. */
export interface PacketBounds {
  readonly meta: number;
  readonly data: number;
  readonly end: number;
}

const GROW = 1024;

/** Records a run for stepping; give it as the kernel's observer (via a late binding if needed). */
export class Recorder implements StepObserver {
  /** The per-step records (registers written, memory touched), capped like the trace's. */
  readonly tracer: Tracer;
  private regs = new Int32Array(22 * GROW);
  /** data_meta, data, data_end per step. */
  private bounds = new Int32Array(3 * GROW);
  private readonly writes: Write[] = [];
  private readonly insnAt: (Instruction | undefined)[] = [];
  private regions: readonly (Region | undefined)[] = [];
  private final = new Map<number, Uint8Array>();
  /**
   * Name and bytes of every region a register pointed into, kept when seen: regions exposed
   * during the run (map values) are gone from the table once it returns.
   */
  private readonly seen = new Map<number, { name: string; u8: Uint8Array }>();
  private data = -1;
  /** Registers the program names (bit r): the interpreter leaves the others stale. */
  private readonly named: number;
  private open: { step: number; ins: Instruction | undefined; pc: number; pending: Write[]; whole: Map<number, Uint8Array> } | undefined;

  constructor(insns: readonly Instruction[], readonly maxSteps = Infinity) {
    this.tracer = new Tracer(insns, maxSteps);
    let named = 0;
    for (const ins of insns) {
      named |= (1 << ins.dst) | (1 << ins.src);
      if (ins.opcode === 0x85 || ins.opcode === 0x8d) named |= 0x3f;
      this.insnAt.push(ins);
      if (ins.opcode === OP_LDDW) this.insnAt.push(undefined);
    }
    this.named = named & 0x7ff;
  }

  /** Steps recorded. */
  get length(): number {
    return this.tracer.steps.length;
  }

  step(pc: number, R: Int32Array, regions: readonly (Region | undefined)[]): void {
    this.close(R);
    this.tracer.step(pc, R, regions);
    const n = this.tracer.executed - 1;
    if (n >= this.maxSteps) return;
    this.regions = regions;
    if (this.regs.length < 22 * (n + 1)) {
      this.regs = grow(this.regs, 22);
      this.bounds = grow(this.bounds, 3);
    }
    this.regs.set(R.subarray(0, 22), 22 * n);
    for (let r = 0; r < 11; r++) {
      const t = R[2 * r + 1]!;
      const reg = t > 0 && t < regions.length && !this.seen.has(t) ? regions[t] : undefined;
      if (reg && reg.name !== 'no region') this.seen.set(t, { name: reg.name, u8: reg.u8 });
    }
    const pkt = regions[TAG_PACKET];
    if (pkt && this.data < 0) this.data = pkt.start;
    this.bounds.set(pkt ? [pkt.start, this.data, pkt.len] : [0, 0, 0], 3 * n);
    const ins = this.insnAt[pc];
    const open = { step: n, ins, pc, pending: [] as Write[], whole: new Map<number, Uint8Array>() };
    this.open = open;
    if (!ins) return;
    const cls = ins.opcode & 7;
    if (ins.opcode === 0x85) {
      // A call: the helper may write the stack or the packet; compare them whole afterwards.
      for (const tag of [TAG_STACK, TAG_PACKET]) {
        const r = regions[tag];
        if (r) open.whole.set(tag, r.u8.slice());
      }
    } else if ((cls === 2 || cls === 3) && [0x60, 0xc0].includes(ins.opcode & 0xe0)) {
      const size = [4, 2, 1, 8][(ins.opcode >> 3) & 3]!;
      const tag = R[2 * ins.dst + 1]!;
      const off = R[2 * ins.dst]! + ins.off;
      const r = regions[tag];
      if (r && off >= 0 && off + size <= r.u8.length) open.pending.push({ step: n, tag, off, before: r.u8.slice(off, off + size), after: new Uint8Array(0) });
    }
  }

  /** Call once the run returned (after {@link Tracer.finish} is not needed: this calls it). */
  finish(): void {
    this.close(undefined);
    this.tracer.finish();
    for (const tag of [TAG_STACK, TAG_PACKET, ...new Set(this.writes.map((w) => w.tag))]) {
      const u8 = this.seen.get(tag)?.u8 ?? this.regions[tag]?.u8;
      if (u8 && !this.final.has(tag)) this.final.set(tag, u8.slice());
    }
  }

  /**
   * The registers before step `k` ran (r0..r10); undefined for a register no instruction of the
   * program names (the interpreter does not set those up, and no instruction can see them).
   */
  registers(k: number): (RecordedReg | undefined)[] {
    const R = this.regs.subarray(22 * k, 22 * k + 22);
    const out: (RecordedReg | undefined)[] = [];
    for (let r = 0; r < 11; r++) {
      if ((this.named & (1 << r)) === 0) {
        out.push(undefined);
        continue;
      }
      const value = (BigInt(R[2 * r + 1]! >>> 0) << 32n) | BigInt(R[2 * r]! >>> 0);
      // A pointer moved below its region's start borrowed from the tag: (tag - 1, 0x8...).
      const hi = R[2 * r + 1]!;
      const tag = R[2 * r]! < 0 && !this.seen.has(hi) && this.seen.has(hi + 1) ? hi + 1 : hi;
      const name = this.seen.get(tag)?.name ?? regionName(tag);
      out.push({ value, region: name, text: name && name !== 'map' && name !== 'func' ? Tracer.pointerText(name, tag, R[2 * r]!, R, this.packetBounds(k).data) : value.toString() });
    }
    return out;
  }

  /** Packet bounds before step `k`. */
  packetBounds(k: number): PacketBounds {
    const b = this.bounds.subarray(3 * k, 3 * k + 3);
    return { meta: b[0]!, data: b[1]!, end: b[2]! };
  }

  /** Region offset of call frame `frameno`'s r10. */
  static fp(frameno: number): number {
    return (MAX_CALL_FRAMES - frameno) * MAX_BPF_STACK;
  }

  /** A region's bytes (`TAG_STACK`, `TAG_PACKET` or a region a store wrote) before step `k`. */
  memory(tag: number, k: number): Uint8Array | undefined {
    const fin = this.final.get(tag);
    if (!fin) return undefined;
    const m = fin.slice();
    for (let i = this.writes.length - 1; i >= 0 && this.writes[i]!.step >= k; i--) {
      const w = this.writes[i]!;
      if (w.tag === tag) m.set(w.before, w.off);
    }
    return m;
  }

  /** The 512 bytes of the stack frame whose r10 is `r10` (a stack region offset) before step `k`. */
  stack(k: number, r10: number): Uint8Array {
    const m = this.memory(TAG_STACK, k);
    return m ? m.slice(Math.max(0, r10 - MAX_BPF_STACK), r10) : new Uint8Array(0);
  }

  /** The packet (data .. data_end) before step `k`. */
  packet(k: number): Uint8Array {
    const m = this.memory(TAG_PACKET, k);
    const b = this.packetBounds(k);
    return m ? m.slice(b.data, b.end) : new Uint8Array(0);
  }

  /** Finishes the open step: its stores' new bytes, a call's changes, a ctx->data load. */
  private close(R: Int32Array | undefined): void {
    const o = this.open;
    if (!o) return;
    this.open = undefined;
    for (const w of o.pending) {
      const r = this.regions[w.tag]!;
      w.after = r.u8.slice(w.off, w.off + w.before.length);
      this.writes.push(w);
    }
    for (const [tag, before] of o.whole) {
      const now = this.regions[tag]!.u8;
      for (let i = 0; i < before.length; i++) {
        if (before[i] === now[i]) continue;
        let j = i;
        while (j < before.length && before[j] !== now[j]) j++;
        this.writes.push({ step: o.step, tag, off: i, before: before.slice(i, j), after: now.slice(i, j) });
        i = j;
      }
    }
    // `rX = *(u32 *)(ctx + 0)` loads xdp_md->data: where packet pointers count from.
    const ins = o.ins;
    if (R && ins && (ins.opcode & 7) === 1 && ins.off === 0 && R[2 * ins.dst + 1] === TAG_PACKET && this.regsAt(o.step, ins.src) === TAG_CTX) this.data = R[2 * ins.dst]!;
    // bpf_xdp_adjust_head (44) moves data and data_meta together; adjust_meta moves only meta.
    const pkt = this.regions[TAG_PACKET];
    if (ins?.opcode === 0x85 && ins.src === 0 && ins.imm === 44 && pkt) this.data += pkt.start - this.bounds[3 * o.step]!;
  }

  private regsAt(k: number, r: number): number {
    return this.regs[22 * k + 2 * r + 1]!;
  }
}

function grow(a: Int32Array, per: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(a.length * 2, per * GROW));
  b.set(a);
  return b;
}

/** The name of a tag that is no region: map handles and code addresses, else `` (a number). */
function regionName(tag: number): string {
  if (tag === TAG_MAP) return 'map';
  if (tag === TAG_FUNC) return 'func';
  return '';
}
