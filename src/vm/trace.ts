/**
 * Execution tracing: an optional observer of the interpreter ({@link CompileOptions.observer}).
 * The interpreter calls {@link StepObserver.step} before every instruction it runs (only when an
 * observer is given: the test shares the coverage branch, so untraced runs pay nothing new);
 * {@link Tracer} turns those calls into records of what each instruction did: the registers it
 * wrote with their new values and the memory it read or wrote. It knows only the VM's view
 * (slots, regions, 64-bit values); printing instructions and source lines is the caller's job.
 */
import { OP_LDDW, type Instruction } from '../isa';
import type { RegionImpl as Region } from './space';
import { TAG_PACKET, TAG_STACK } from './types';

/** Sees the machine before each instruction runs. */
export interface StepObserver {
  /** `pc` is the slot about to run; `R` the registers as lo/hi int32 halves; `regions` by tag. */
  step(pc: number, R: Int32Array, regions: readonly (Region | undefined)[]): void;
}

/** A register an instruction wrote. */
export interface TraceReg {
  readonly reg: number;
  /** The 64-bit value (a pointer's low half is its offset, its high half the region tag). */
  readonly value: bigint;
  /** `pkt+14`, `fp-8`, `map_value+0` for pointers, else the unsigned decimal value. */
  readonly text: string;
}

/** A memory access of an instruction. */
export interface TraceMem {
  readonly kind: 'read' | 'write';
  /** `pkt+12`, `fp-8`, `map_value+4`. */
  readonly addr: string;
  readonly size: number;
  /** The bytes' value (little-endian), after the instruction for writes; absent for the context. */
  readonly value?: bigint;
}

/** One executed instruction. */
export interface TraceStep {
  /** Running count from 0. */
  readonly step: number;
  /** Instruction slot (lddw takes two). */
  readonly slot: number;
  /** Index in the instruction array (lddw counts once), the key of BTF line info. */
  readonly index: number;
  readonly regs: TraceReg[];
  readonly mem: TraceMem[];
}

const SHORT: Record<string, string> = { packet: 'pkt', context: 'ctx', stack: 'fp' };

const u64 = (R: Int32Array, r: number): bigint => (BigInt(R[2 * r + 1]! >>> 0) << 32n) | BigInt(R[2 * r]! >>> 0);

/** Records every step of a run (up to `maxSteps`, after which it counts without recording). */
export class Tracer implements StepObserver {
  readonly steps: TraceStep[] = [];
  /** Instructions run, recorded or not. */
  executed = 0;
  private readonly indexOf: number[] = [];
  private readonly insnAt: (Instruction | undefined)[] = [];
  private snap = new Int32Array(22);
  private open: TraceStep | undefined;
  private pendingWrites: { region: Region; off: number; size: number; mem: TraceMem[]; at: number }[] = [];

  constructor(insns: readonly Instruction[], readonly maxSteps = Infinity) {
    insns.forEach((ins, i) => {
      this.indexOf.push(i);
      this.insnAt.push(ins);
      if (ins.opcode === OP_LDDW) {
        this.indexOf.push(i);
        this.insnAt.push(undefined);
      }
    });
  }

  /** True when steps were left out because of `maxSteps`. */
  get truncated(): boolean {
    return this.executed > this.steps.length;
  }

  step(pc: number, R: Int32Array, regions: readonly (Region | undefined)[]): void {
    this.close(R, regions);
    const n = this.executed++;
    if (n >= this.maxSteps) return;
    const rec: TraceStep = { step: n, slot: pc, index: this.indexOf[pc] ?? pc, regs: [], mem: [] };
    this.steps.push(rec);
    this.open = rec;
    this.snap.set(R.subarray(0, 22));
    const ins = this.insnAt[pc];
    if (ins) this.memoryOf(ins, R, regions, rec);
  }

  /**
   * Call once the run returned: the last instruction (an exit, or the one that faulted) changed
   * no register, but a store before a fault still has its bytes to read.
   */
  finish(): void {
    this.close(undefined, []);
  }

  /** Text of a 64-bit register value: a pointer by region, or the unsigned number. */
  static valueText(v: bigint, R: Int32Array | undefined, regions: readonly (Region | undefined)[]): string {
    const tag = Number(v >> 32n);
    const lo = Number(v & 0xffffffffn) | 0;
    const r = tag > 0 && tag !== 4 ? regions[tag] : undefined;
    // Unused tags hold a filler region (`no region`): the value is a number, not a pointer.
    if (r !== undefined && r.name !== 'no region' && lo >= -0x10000 && lo <= r.u8.length + 0x10000) return pointerText(r, tag, lo, R);
    return v.toString();
  }

  /**
   * A pointer as text: `fp-8` (from the current r10 in `R`), `pkt+14` (from `data`, a packet
   * region offset), `map_value+4`.
   */
  static pointerText(region: string, tag: number, off: number, R: Int32Array | undefined, data: number): string {
    if (tag === TAG_STACK && R !== undefined) {
      const d = off - R[20]!;
      return d === 0 ? 'fp' : `fp${d < 0 ? d : `+${d}`}`;
    }
    if (tag === TAG_PACKET) off -= data;
    const name = SHORT[region] ?? region.replace(/ /g, '_');
    return off === 0 ? name : `${name}${off < 0 ? off : `+${off}`}`;
  }

  /** Finishes the open step: registers that changed, and the bytes its stores left. */
  private close(R: Int32Array | undefined, regions: readonly (Region | undefined)[]): void {
    const rec = this.open;
    if (!rec) return;
    this.open = undefined;
    if (R !== undefined) {
      for (let r = 0; r < 11; r++) {
        if (R[2 * r] === this.snap[2 * r] && R[2 * r + 1] === this.snap[2 * r + 1]) continue;
        const value = u64(R, r);
        rec.regs.push({ reg: r, value, text: Tracer.valueText(value, R, regions) });
      }
    }
    for (const w of this.pendingWrites) {
      const value = readLe(w.region, w.off, w.size);
      w.mem[w.at] = { ...w.mem[w.at]!, ...(value !== undefined ? { value } : {}) };
    }
    this.pendingWrites = [];
  }

  /** Loads are read now (memory holds the value the instruction will see); stores after it ran. */
  private memoryOf(ins: Instruction, R: Int32Array, regions: readonly (Region | undefined)[], rec: TraceStep): void {
    const cls = ins.opcode & 7;
    const mode = ins.opcode & 0xe0;
    if (cls < 1 || cls > 3 || (mode !== 0x60 && mode !== 0x80 && mode !== 0xc0)) return;
    const size = [4, 2, 1, 8][(ins.opcode >> 3) & 3]!;
    const base = cls === 1 ? ins.src : ins.dst;
    const tag = R[2 * base + 1]!;
    const off = R[2 * base]! + ins.off;
    const region = regions[tag];
    if (region === undefined) return;
    const addr = pointerText(region, tag, off, R);
    const inside = off >= region.start && off + size <= region.len;
    if (cls === 1 || mode === 0xc0) {
      const value = inside ? readLe(region, off, size) : undefined;
      rec.mem.push({ kind: 'read', addr, size, ...(value !== undefined ? { value } : {}) });
    }
    if (cls !== 1) {
      rec.mem.push({ kind: 'write', addr, size });
      if (inside) this.pendingWrites.push({ region, off, size, mem: rec.mem, at: rec.mem.length - 1 });
    }
  }
}

function pointerText(r: Region, tag: number, off: number, R: Int32Array | undefined): string {
  // Packet offsets count from data (the region starts at data_meta, below it the headroom).
  return Tracer.pointerText(r.name, tag, off, R, r.start);
}

function readLe(r: Region, off: number, size: number): bigint | undefined {
  if (off < 0 || off + size > r.u8.length) return undefined;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(r.u8[off + i]!);
  return v;
}
