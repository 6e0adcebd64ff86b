/**
 * A seeded generator of random XDP programs for differential fuzzing of the verifier against the
 * kernel (test/heavy/verifier-fuzz.test.ts). Each program is a chain of segments that each test
 * one thing the verifier must get right, in a right and a wrong variant: packet bounds (checked,
 * off by one, missing; constant and variable offsets), stack accesses (constant and variable
 * offsets, aligned or not, initialised or not), map values (NULL-checked or not, offsets in and out
 * of the value), spills and fills of scalars and pointers at every width, helpers with right and
 * wrong arguments, bounded and unbounded loops, and bpf-to-bpf calls. The same seed always gives
 * the same programs. Atomics, ring-buffer records, tail calls and 32-bit compares before a
 * map-value access are segments too.
 */
import { type Instruction, helperId } from '../../src/isa';
import {
  BPF_ALU32_IMM, BPF_ALU64_IMM, BPF_ALU64_REG, BPF_CALL_REL, BPF_EMIT_CALL, BPF_EXIT_INSN,
  BPF_ATOMIC_OP, BPF_JMP32_IMM, BPF_JMP_IMM, BPF_JMP_REG, BPF_LDX_MEM, BPF_LDX_MEMSX, BPF_LD_MAP_FD, BPF_MOV32_REG, BPF_MOV64_IMM,
  BPF_MOV64_REG, BPF_NEG64, BPF_RAW_INSN, BPF_STX_MEM, BPF_ST_MEM, type Case, type CaseMap,
} from './builder';

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The maps every generated program gets: m0 ARRAY 4 x 48 bytes, m1 HASH u64 -> 16 bytes,
 * m2 RINGBUF 4 KiB, m3 PROG_ARRAY of 4.
 */
export const FUZZ_MAPS: CaseMap[] = [
  { type: 2, keySize: 4, valueSize: 48, maxEntries: 4 },
  { type: 1, keySize: 8, valueSize: 16, maxEntries: 16 },
  { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
  { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 },
];

type Size = 'b' | 'h' | 'w' | 'dw';
const BYTES: Record<Size, number> = { b: 1, h: 2, w: 4, dw: 8 };
const SIZES: Size[] = ['b', 'h', 'w', 'dw'];
const H = (n: string): number => helperId(n)!;

/** An instruction, a jump to a label (resolved at the end), or a label. */
type Item = Instruction | { to: string; make: (off: number) => Instruction } | { label: string };

class Gen {
  readonly items: Item[] = [];
  readonly sub: Item[] = [];
  private n = 0;
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  label(): string {
    return `L${this.n++}`;
  }
  emit(...i: Item[]): void {
    this.items.push(...i);
  }
  jmp(to: string, make: (off: number) => Instruction): Item {
    return { to, make };
  }
}

/** r2 = data, r3 = data_end (from the ctx saved in r6). */
function loadPkt(g: Gen): void {
  g.emit(BPF_LDX_MEM('w', 2, 6, 0), BPF_LDX_MEM('w', 3, 6, 4));
}

/** if r2 + len > r3 goto out (unless the check is left out). */
function pktCheck(g: Gen, len: number, reg = 2): void {
  const op = g.pick(['jgt', 'jgt', 'jge']);
  g.emit(BPF_MOV64_REG(4, reg), BPF_ALU64_IMM('add', 4, len), g.jmp('out', (o) => BPF_JMP_REG(op, 4, 3, o)));
}

/** A size, an offset within [0, len) where it fits, off by one, or anywhere. */
function accessIn(g: Gen, len: number): { sz: Size; off: number } {
  const sz = g.pick(SIZES);
  const b = BYTES[sz];
  const v = g.int(10);
  if (v < 6 && len >= b) return { sz, off: g.int(len - b + 1) };
  if (v < 8) return { sz, off: Math.max(0, len - b + 1) };
  return { sz, off: g.int(len + 8) - 4 };
}

const segments: ((g: Gen) => void)[] = [
  // packet: constant offset after a check (right, off by one, missing)
  (g) => {
    loadPkt(g);
    const len = 1 + g.int(64);
    if (!g.chance(0.1)) pktCheck(g, len);
    const { sz, off } = accessIn(g, len);
    if (g.chance(0.7)) g.emit(BPF_LDX_MEM(sz, g.pick([7, 8]), 2, off));
    else g.emit(BPF_STX_MEM(sz, 2, g.pick([7, 8]), off));
  },
  // packet: variable offset from a packet byte, masked, then re-checked (or not)
  (g) => {
    loadPkt(g);
    pktCheck(g, 1 + g.int(4));
    g.emit(BPF_LDX_MEM(g.pick(['b', 'h']), 5, 2, 0));
    const v = g.int(6);
    if (v === 0) g.emit(BPF_ALU64_IMM('and', 5, g.pick([7, 15, 63, 255, 0xffff])));
    else if (v === 1) g.emit(BPF_ALU64_IMM('and', 5, 15), BPF_ALU64_IMM('lsh', 5, 2));
    else if (v === 2) g.emit(BPF_JMP_IMM('jgt', 5, 40, 0));
    else if (v === 3) g.emit(BPF_ALU32_IMM('and', 5, 31));
    else if (v === 4) g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jgt', 5, 40, o)));
    g.emit(BPF_ALU64_REG('add', 2, 5));
    const len = 1 + g.int(16);
    if (!g.chance(0.15)) pktCheck(g, len);
    const { sz, off } = accessIn(g, len);
    g.emit(BPF_LDX_MEM(sz, 7, 2, off));
  },
  // stack: constant offset store then load (aligned or not, in the frame or not)
  (g) => {
    const sz = g.pick(SIZES);
    const b = BYTES[sz];
    const off = g.chance(0.85) ? -b * (1 + g.int(64 / b)) : g.pick([-3, -5, -6, -513, -520, 0, 4]);
    if (g.chance(0.8)) g.emit(g.chance(0.5) ? BPF_STX_MEM(sz, 10, g.pick([7, 8, 9]), off) : BPF_ST_MEM(sz, 10, off, g.int(100)));
    g.emit(BPF_LDX_MEM(g.chance(0.8) ? sz : g.pick(SIZES), 7, 10, g.chance(0.8) ? off : off + g.pick([-8, -4, 4])));
  },
  // stack: variable offset (bounded, unbounded, misaligned, through w-move)
  (g) => {
    g.emit(BPF_EMIT_CALL(H('get_prandom_u32')));
    const v = g.int(5);
    if (v === 0) g.emit(BPF_ALU64_IMM('and', 0, g.pick([7, 8, 15, 24, 31])));
    else if (v === 1) g.emit(BPF_ALU64_IMM('and', 0, 3), BPF_ALU64_IMM('mul', 0, -8));
    else if (v === 2) g.emit(BPF_ALU64_IMM('mul', 0, -8), BPF_MOV32_REG(0, 0));
    else if (v === 3) g.emit(BPF_JMP_IMM('jgt', 0, 16, 0));
    for (let k = 8; k <= 48; k += 8) g.emit(BPF_ST_MEM('dw', 10, -k, 0));
    g.emit(BPF_MOV64_REG(4, 10), BPF_ALU64_IMM('add', 4, g.pick([-48, -40, -32, -16])), BPF_ALU64_REG('add', 4, 0));
    const sz = g.pick(SIZES);
    if (g.chance(0.5)) g.emit(BPF_STX_MEM(sz, 4, 8, 0));
    else g.emit(BPF_LDX_MEM(sz, 7, 4, 0));
  },
  // map value: lookup (array or hash), NULL check or not, constant or variable offset
  (g) => {
    const m = g.chance(0.6) ? 0 : 1;
    if (m === 0) {
      const key = g.chance(0.8) ? g.int(4) : 4 + g.int(3);
      if (g.chance(0.5)) g.emit(BPF_ST_MEM('w', 10, -8, key));
      else g.emit(BPF_MOV64_IMM(1, key), BPF_STX_MEM('w', 10, 1, -8));
    } else g.emit(BPF_ST_MEM('dw', 10, -8, g.int(4)));
    g.emit(BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_LD_MAP_FD(1, m), BPF_EMIT_CALL(H('map_lookup_elem')));
    if (!g.chance(0.12)) g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jeq', 0, 0, o)));
    const vs = m === 0 ? 48 : 16;
    if (g.chance(0.5)) {
      const { sz, off } = accessIn(g, vs);
      g.emit(g.chance(0.6) ? BPF_LDX_MEM(sz, 7, 0, off) : BPF_STX_MEM(sz, 0, 8, off));
    } else {
      g.emit(BPF_MOV64_REG(9, 0), BPF_EMIT_CALL(H('get_prandom_u32')));
      const lim = vs - g.pick([1, 4, 8]) + g.pick([0, 0, 1, 8]);
      if (g.chance(0.5)) g.emit(BPF_ALU64_IMM('and', 0, g.pick([7, 15, 31, 63])));
      else {
        const op = g.pick(['jgt', 'jsgt', 'jgt']);
        g.emit(g.jmp('out', (o) => BPF_JMP_IMM(op, 0, lim, o)));
      }
      g.emit(BPF_ALU64_REG('add', 9, 0), BPF_LDX_MEM(g.pick(['b', 'w']), 7, 9, 0));
    }
  },
  // spill and fill: a bounded scalar or a pointer, at every width, then used
  (g) => {
    const sz = g.pick(SIZES);
    const off = -8 * (1 + g.int(4));
    if (g.chance(0.6)) {
      g.emit(BPF_MOV64_REG(5, 8), BPF_ALU64_IMM('and', 5, g.pick([7, 31, 255])), BPF_STX_MEM(sz, 10, 5, off));
      g.emit(BPF_LDX_MEM(g.chance(0.8) ? sz : g.pick(SIZES), 9, 10, off));
      g.emit(BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_lookup_elem')));
      g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jeq', 0, 0, o)), BPF_ALU64_REG('add', 0, 9), BPF_LDX_MEM('b', 7, 0, 0));
    } else {
      g.emit(BPF_STX_MEM(g.chance(0.85) ? 'dw' : sz, 10, g.pick([6, 10]), off), BPF_LDX_MEM(g.chance(0.85) ? 'dw' : sz, 1, 10, off));
      g.emit(BPF_LDX_MEM('w', 7, 1, g.pick([0, 4, 12, 16, -8])));
    }
  },
  // helpers with right and wrong arguments
  (g) => {
    const v = g.int(4);
    if (v === 0) {
      // bpf_csum_diff(from, from_size, to, to_size, seed)
      g.emit(BPF_ST_MEM('dw', 10, -16, 0), BPF_ST_MEM('dw', 10, -8, 0));
      if (g.chance(0.8)) g.emit(BPF_MOV64_REG(1, 10), BPF_ALU64_IMM('add', 1, g.pick([-16, -8, -4])));
      else g.emit(BPF_MOV64_IMM(1, 0));
      g.emit(BPF_MOV64_IMM(2, g.pick([0, 4, 8, 16, 20])), BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(4, 0), BPF_MOV64_IMM(5, 0), BPF_EMIT_CALL(H('csum_diff')));
    } else if (v === 1) {
      // bpf_map_update_elem(map, key, value, flags) with a value buffer of the right size or not
      g.emit(BPF_ST_MEM('dw', 10, -8, 1), BPF_ST_MEM('dw', 10, -16, 0));
      if (g.chance(0.7)) g.emit(BPF_ST_MEM('dw', 10, -24, 0));
      g.emit(BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, g.pick([-24, -16])));
      g.emit(BPF_LD_MAP_FD(1, 1), BPF_MOV64_IMM(4, g.pick([0, 0, 1, 2, 4])), BPF_EMIT_CALL(H('map_update_elem')));
    } else if (v === 2) {
      // a packet pointer kept across bpf_xdp_adjust_head/tail is no longer one
      loadPkt(g);
      pktCheck(g, 8);
      g.emit(BPF_MOV64_REG(9, 2), BPF_MOV64_REG(1, 6), BPF_MOV64_IMM(2, g.pick([-14, 0, 8])), BPF_EMIT_CALL(H(g.pick(['xdp_adjust_head', 'xdp_adjust_tail']))));
      if (g.chance(0.5)) g.emit(BPF_LDX_MEM('b', 7, 9, 0));
      else g.emit(BPF_MOV64_IMM(9, 0));
    } else {
      g.emit(BPF_MOV64_REG(1, g.chance(0.8) ? 6 : 10), BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -16));
      g.emit(BPF_ST_MEM('dw', 10, -16, 0), BPF_MOV64_IMM(4, g.pick([0, 8, 16, 24])), BPF_EMIT_CALL(H('xdp_load_bytes')));
    }
  },
  // loops: bounded counters, a bound from a masked value, an unbounded one
  (g) => {
    const top = g.label();
    const n = g.pick([3, 8, 20]);
    // a bound from a masked unknown value converges only with `<` (with `!=` it may never end)
    const unknown = g.chance(0.3);
    if (unknown) g.emit(BPF_EMIT_CALL(H('get_prandom_u32')), BPF_ALU64_IMM('and', 0, g.pick([7, 15])), BPF_MOV64_REG(9, 0));
    else g.emit(BPF_MOV64_IMM(9, n));
    g.emit(BPF_MOV64_IMM(5, 0), BPF_ST_MEM('dw', 10, -8, 0));
    g.emit({ label: top }, BPF_LDX_MEM('dw', 7, 10, -8), BPF_ALU64_IMM('add', 7, 1), BPF_STX_MEM('dw', 10, 7, -8), BPF_ALU64_IMM('add', 5, 1));
    const op = unknown ? 'jlt' : g.pick(['jlt', 'jlt', 'jne']);
    g.emit(g.jmp(top, (o) => BPF_JMP_REG(op, 5, 9, o)));
  },
  // bpf-to-bpf call into a subprogram that uses a pointer to the caller's stack
  (g) => {
    const name = g.label();
    g.emit(BPF_ST_MEM('dw', 10, -8, 3), BPF_MOV64_REG(1, 10), BPF_ALU64_IMM('add', 1, g.pick([-8, -8, -16, 0])));
    g.emit(g.jmp(name, (o) => BPF_CALL_REL(o)), BPF_MOV64_REG(7, 0));
    const frame = g.pick([8, 64, 256, 480]);
    g.sub.push({ label: name }, BPF_ST_MEM('dw', 10, -frame, 0), BPF_LDX_MEM(g.pick(SIZES), 0, 1, 0), BPF_EXIT_INSN());
  },
  // scalar ALU that shapes ranges: and, lsh/rsh, neg, movsx, 32-bit moves, div/mod
  (g) => {
    const d = g.pick([7, 8, 9]);
    const v = g.int(7);
    if (v === 0) g.emit(BPF_ALU64_IMM('and', d, g.pick([1, 15, 255])));
    else if (v === 1) g.emit(BPF_ALU64_IMM(g.pick(['lsh', 'rsh', 'arsh']), d, g.int(64)));
    else if (v === 2) g.emit(BPF_NEG64(d));
    else if (v === 3) g.emit(BPF_RAW_INSN(0xbf, d, d, g.pick([8, 16, 32]), 0));
    else if (v === 4) g.emit(BPF_MOV32_REG(d, d));
    else if (v === 5) g.emit(BPF_ALU64_IMM(g.pick(['div', 'mod']), d, 1 + g.int(10)));
    else g.emit(BPF_ALU64_REG(g.pick(['add', 'sub', 'mul', 'or', 'xor']), d, g.pick([7, 8, 9])));
  },
  // a forward branch over a segment, on a scalar's range
  (g) => {
    const skip = g.label();
    const [op, reg, imm] = [g.pick(['jgt', 'jlt', 'jeq', 'jsgt', 'jset']), g.pick([7, 8, 9]), g.int(64)];
    g.emit(g.jmp(skip, (o) => BPF_JMP_IMM(op, reg, imm, o)));
    g.pick(segments.slice(0, 6))(g);
    g.emit({ label: skip });
  },
  // sign-extending loads from the stack, used as an offset
  (g) => {
    g.emit(BPF_STX_MEM('dw', 10, 8, -8), BPF_LDX_MEMSX(g.pick(['b', 'h', 'w']), 9, 10, -8));
    if (g.chance(0.6)) g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jsgt', 9, 40, o)), g.jmp('out', (o) => BPF_JMP_IMM('jslt', 9, 0, o)));
    g.emit(BPF_ST_MEM('w', 10, -12, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -12), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_lookup_elem')));
    g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jeq', 0, 0, o)), BPF_ALU64_REG('add', 0, 9), BPF_LDX_MEM('b', 7, 0, 0));
  },
  // atomics on the stack or a map value: aligned or not, fetch results used as offsets
  (g) => {
    const onStack = g.chance(0.5);
    if (onStack) g.emit(BPF_ST_MEM('dw', 10, -16, 0), BPF_ST_MEM('dw', 10, -8, 0), BPF_MOV64_REG(9, 10), BPF_ALU64_IMM('add', 9, -16));
    else {
      g.emit(BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_lookup_elem')));
      g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jeq', 0, 0, o)), BPF_MOV64_REG(9, 0));
    }
    const sz = g.pick(['w', 'dw'] as const);
    const off = g.chance(0.8) ? g.pick([0, 8]) : g.pick([2, 4, 44, 16]);
    const op = g.pick(['add', 'or', 'fetch_add', 'fetch_xor', 'xchg', 'cmpxchg']);
    g.emit(BPF_MOV64_IMM(5, g.int(8)), BPF_MOV64_IMM(0, 0), BPF_ATOMIC_OP(sz, op, 9, 5, off));
    if (op.startsWith('fetch') || op === 'xchg') {
      g.emit(BPF_MOV64_REG(9, 5), BPF_ALU64_IMM('and', 9, g.pick([7, 31, 63])), BPF_ST_MEM('w', 10, -20, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -20));
      g.emit(BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_lookup_elem')), g.jmp('out', (o) => BPF_JMP_IMM('jeq', 0, 0, o)));
      g.emit(BPF_ALU64_REG('add', 0, 9), BPF_LDX_MEM('b', 7, 0, 0));
    }
  },
  // ringbuf reserve: NULL check, access within the record, submit or discard (or leak)
  (g) => {
    const size = g.pick([8, 16, 48]);
    g.emit(BPF_LD_MAP_FD(1, 2), BPF_MOV64_IMM(2, size), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('ringbuf_reserve')));
    if (!g.chance(0.1)) g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jeq', 0, 0, o)));
    const { sz, off } = accessIn(g, size);
    g.emit(BPF_STX_MEM(sz, 0, 7, off));
    if (!g.chance(0.1)) g.emit(BPF_MOV64_REG(1, 0), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H(g.pick(['ringbuf_submit', 'ringbuf_discard']))));
  },
  // tail call through the program array, with ctx in r1 or not, then more code
  (g) => {
    g.emit(BPF_MOV64_REG(1, g.chance(0.9) ? 6 : 10), BPF_LD_MAP_FD(2, g.chance(0.9) ? 3 : 0), BPF_MOV64_IMM(3, g.int(6)), BPF_EMIT_CALL(H('tail_call')));
  },
  // 32-bit moves and compares before a map-value access (w2 = w2; if w2 > N)
  (g) => {
    g.emit(BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_lookup_elem')));
    g.emit(g.jmp('out', (o) => BPF_JMP_IMM('jeq', 0, 0, o)), BPF_MOV64_REG(9, 0), BPF_MOV64_REG(5, 8));
    if (g.chance(0.5)) g.emit(BPF_MOV32_REG(5, 5));
    if (g.chance(0.3)) g.emit(BPF_ALU32_IMM('add', 5, g.pick([0, 1, -1])));
    const lim = g.pick([40, 44, 47, 48]);
    const op = g.pick(['jgt', 'jge', 'jsgt']);
    const jmp32 = g.chance(0.6);
    g.emit(g.jmp('out', (o) => (jmp32 ? BPF_JMP32_IMM(op, 5, lim, o) : BPF_JMP_IMM(op, 5, lim, o))));
    g.emit(BPF_ALU64_REG('add', 9, 5), BPF_LDX_MEM(g.pick(['b', 'w']), 7, 9, 0));
  },
];

/** Resolves labels into jump offsets; `out` is the common exit. */
function link(items: Item[]): Instruction[] {
  const at = new Map<string, number>();
  let pc = 0;
  for (const it of items) {
    if ('label' in it) at.set(it.label, pc);
    else pc += 'opcode' in it && it.opcode === 0x18 ? 2 : 1;
  }
  const out: Instruction[] = [];
  pc = 0;
  for (const it of items) {
    if ('label' in it) continue;
    const i = 'to' in it ? it.make(at.get(it.to)! - pc - 1) : it;
    out.push(i);
    pc += i.opcode === 0x18 ? 2 : 1;
  }
  return out;
}

/** The INDEX-th program of the stream for SEED. */
export function randomXdpProgram(seed: number, index: number): Case {
  const g = new Gen(rng((seed * 1_000_003 + index) | 0));
  g.emit(BPF_MOV64_REG(6, g.chance(0.97) ? 1 : 10), BPF_MOV64_IMM(7, g.int(64)));
  g.emit(BPF_LDX_MEM('w', 8, 1, g.pick([12, 16])), g.chance(0.9) ? BPF_MOV64_IMM(9, g.int(8)) : BPF_LDX_MEM('w', 9, 1, 16));
  const n = 1 + g.int(5);
  for (let k = 0; k < n; k++) g.pick(segments)(g);
  g.emit({ label: 'out' }, BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN());
  return { name: `fuzz_${seed}_${index}`, insns: link([...g.items, ...g.sub]), maps: FUZZ_MAPS };
}
