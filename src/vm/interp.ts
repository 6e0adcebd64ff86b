/**
 * The interpreter: one flat loop over the pre-decoded program. Registers are an Int32Array of
 * lo/hi halves (R[2n] = low, R[2n+1] = high), so no BigInt and no boxing on the hot path.
 * Semantics: RFC 9669 §4-5 and the kernel interpreter (kernel/bpf/core.c ___bpf_prog_run).
 */
import {
  T, arsh64, bswap16, bswap32, lsh64, mul64, rsh64, scmp64, sdiv32, sdiv64, smod32, smod64,
  ucmp64, udiv32, udiv64, umod32, umod64,
} from './alu64';
import {
  OP_BE16, OP_BE32, OP_BE64, OP_BSWAP16, OP_BSWAP32, OP_BSWAP64, OP_CALLX, OP_CALL_HELPER, OP_CALL_KFUNC,
  OP_CALL_LOCAL, OP_CALL_TAIL, OP_EXIT, OP_JA, OP_LDDW, OP_LE16, OP_LE32, OP_LE64, OP_MAY_GOTO,
  OP_MOVSX32_16, OP_MOVSX32_8, OP_MOVSX64_16, OP_MOVSX64_32, OP_MOVSX64_8, OP_SDIV32K, OP_SDIV32X,
  OP_SDIV64K, OP_SDIV64X, OP_SMOD32K, OP_SMOD32X, OP_SMOD64K, OP_SMOD64X, specializedCalls, type Decoded,
} from './decode';
import type { Code, Run } from './runtime';
import type { Space } from './space';
import type { StepObserver } from './trace';
import { BPF_MAX_LOOPS, TAG_STACK, VmFault, type HelperFn, type HelperTable, type InlineLookup } from './types';

/** Builds the interpreter for a decoded program. */
export function interpCode(dec: Decoded, space: Space, helpers: HelperTable, maxSteps: number, coverage = false, observer?: StepObserver): Code {
  const { op, dst, src, off, imm, imm2, tgt, n } = dec;
  const H: (HelperFn | undefined)[] = helpers.helpers.slice();
  // The helper each call slot runs: the table's, or a specialised one (HelperTable.specialize).
  const HS: (HelperFn | undefined)[] = new Array<HelperFn | undefined>(n).fill(undefined);
  for (let pc = 0; pc < n; pc++) if (op[pc] === OP_CALL_HELPER) HS[pc] = H[imm[pc]!];
  // Call slots whose map lookup may be done inline (InlineLookup).
  const AL: (InlineLookup | undefined)[] = new Array<InlineLookup | undefined>(n).fill(undefined);
  for (const [pc, fn] of specializedCalls(dec, helpers)) {
    HS[pc] = fn;
    AL[pc] = fn.inline;
  }

  // The registers the program's instructions can read (bit N for rN): those named as dst or
  // src anywhere, and r1..r5 when it makes calls (helpers and tail calls read them). A run
  // sets up only these (Run.enterRegs); the rest are never observed.
  let named = 1;
  for (let pc = 0; pc < n; pc++) {
    named |= (1 << dst[pc]!) | (1 << src[pc]!);
    const o = op[pc]!;
    if (o === OP_CALL_HELPER || o === OP_CALLX || o === OP_CALL_TAIL || o === OP_CALL_KFUNC || o === OP_CALL_LOCAL) named |= 0x3e;
  }

  // Opcode, dst * 2 and src * 2 of each slot in one word (one load per instruction): the
  // opcode as a signed 12-bit field (bits 0-11; -1 marks an lddw's second slot), then 5 bits each.
  // Slot n holds OP_END: pc never passes n (jump targets are below n; only falling through
  // reaches it), so the loop needs no bounds test of its own.
  // An observer (tracing) rides on the same test: counters are kept for it but not returned.
  const OB = observer;
  const CE = coverage || OB ? new Uint32Array(n + 1) : undefined;
  const CT = CE ? new Uint32Array(n + 1) : undefined;
  const W = new Int32Array(n + 1);
  W[n] = OP_END;
  for (let pc = 0; pc < n; pc++) W[pc] = (op[pc]! & 0xfff) | ((dst[pc]! << 1) << 12) | ((src[pc]! << 1) << 17);
  // One superinstruction: `rX = rY; rX += imm` (pointer arithmetic: keys on the stack, packet
  // bounds checks) runs as one dispatch when nothing jumps to the add. Neither part can fault.
  const entered = new Uint8Array(n + 1);
  for (const e of dec.entries) entered[e] = 1;
  for (let pc = 0; pc < n; pc++) if (tgt[pc]! >= 0) entered[tgt[pc]!] = 1;
  // Coverage counts every slot, so it keeps the two instructions apart.
  for (let pc = 0; pc + 1 < n && !CE; pc++) {
    if (op[pc] === 0xbf && op[pc + 1] === 0x07 && dst[pc + 1] === dst[pc] && !entered[pc + 1]) W[pc] = (W[pc]! & ~0xfff) | OP_MOV_ADD;
  }

  function exec(run: Run, entry: number, args: ArrayLike<number>): void {
    const base = run.depth;
    const R = run.enterRegs(args, run.enterFrame(entry), named);
    const RG = run.regions;
    const A = run.args;
    // Saved state of callers: return pc, r6..r9 (8 halves), r10 lo, may_goto budget. Made on
    // the first local call only: most runs never make one.
    let frames: number[] = NO_FRAMES;
    let pc = entry;
    let budget = maxSteps;
    let mg = BPF_MAX_LOOPS;
    // Coverage (CompileOptions.coverage): the slot that ran last, to tell a taken jump from a
    // fall-through. Off, CE is undefined and the test below is the only cost.
    let last = -2;
    for (;;) {
      if (CE !== undefined) {
        CE[pc]++;
        if (pc !== last + 1 && last >= 0) CT![last]++;
        last = pc;
        if (OB !== undefined) OB.step(pc, R, RG);
      }
      const w = W[pc]!;
      const o = (w << 20) >> 20;
      const d = (w >>> 12) & 31;
      const s = w >>> 17;
      // The most frequent operations first, through one dense switch (a jump table): moves,
      // 64-bit add, loads and stores, 64-bit compares against 0/imm/reg, lddw. Everything
      // else (and every slow path) goes through the generic decoding below.
      switch (o) {
        case 0xb7: { const k = imm[pc]!; R[d] = k; R[d + 1] = k >> 31; pc++; continue; }
        case 0xbf: R[d] = R[s]!; R[d + 1] = R[s + 1]!; pc++; continue;
        case OP_END: throw new VmFault(pc, 'execution fell off the end of the program');
        case OP_MOV_ADD: {
          const al = R[s]!;
          const bl = imm[pc + 1]!;
          R[d + 1] = (R[s + 1]! + (bl >> 31) + ((al >>> 0) + (bl >>> 0) > 0xffffffff ? 1 : 0)) | 0;
          R[d] = (al + bl) | 0;
          pc += 2;
          continue;
        }
        case 0xb4: R[d] = imm[pc]!; R[d + 1] = 0; pc++; continue;
        case 0x07: {
          const al = R[d]!;
          const bl = imm[pc]!;
          const lo = (al + bl) | 0;
          R[d + 1] = (R[d + 1]! + (bl >> 31) + ((al >>> 0) + (bl >>> 0) > 0xffffffff ? 1 : 0)) | 0;
          R[d] = lo;
          pc++;
          continue;
        }
        case 0x0f: {
          const al = R[d]!;
          const bl = R[s]!;
          const lo = (al + bl) | 0;
          R[d + 1] = (R[d + 1]! + R[s + 1]! + ((al >>> 0) + (bl >>> 0) > 0xffffffff ? 1 : 0)) | 0;
          R[d] = lo;
          pc++;
          continue;
        }
        case 0x18: R[d] = imm[pc]!; R[d + 1] = imm2[pc]!; pc += 2; continue;
        case 0x85: {
          const al = AL[pc];
          if (al !== undefined) {
            // The helper's own steps, inline (InlineLookup); when the key is not readable the
            // call below does the same check and reports it.
            const r = RG[R[5]!];
            const a = R[4]!;
            if (al.kind === 'array') {
              if (r !== undefined && a >= r.start && a + 4 <= r.len) {
                const ix = r.dv.getUint32(a, true);
                const v = ix < al.maxEntries ? al.values[ix] : undefined;
                if (v !== undefined) {
                  R[0] = 0;
                  R[1] = run.expose(v, al.writable);
                  pc++;
                  continue;
                }
              }
            } else if (r !== undefined && a >= r.start && a + al.keySize <= r.len) {
              const e = al.entries.get(al.keySize === 4 ? r.dv.getUint32(a, true) : r.dv.getUint16(a, true));
              const v = e === undefined ? undefined : e.values[0];
              R[0] = 0;
              R[1] = v === undefined ? 0 : run.expose(v, al.writable);
              pc++;
              continue;
            }
          }
          A[0] = R[2]!; A[1] = R[3]!; A[2] = R[4]!; A[3] = R[5]!; A[4] = R[6]!;
          A[5] = R[7]!; A[6] = R[8]!; A[7] = R[9]!; A[8] = R[10]!; A[9] = R[11]!;
          run.pc = pc;
          run.rlo = 0;
          run.rhi = 0;
          HS[pc]!(run);
          R[0] = run.rlo;
          R[1] = run.rhi;
          pc++;
          continue;
        }
        case 0x05: {
          const t = tgt[pc]!;
          if (t <= pc && --budget < 0) stepLimit(pc, maxSteps);
          pc = t;
          continue;
        }
        case 0x47: { const k = imm[pc]!; R[d] |= k; R[d + 1] |= k >> 31; pc++; continue; }
        case 0x57: { const k = imm[pc]!; R[d] &= k; R[d + 1] &= k >> 31; pc++; continue; }
        case 0x4f: R[d] |= R[s]!; R[d + 1] |= R[s + 1]!; pc++; continue;
        case 0x5f: R[d] &= R[s]!; R[d + 1] &= R[s + 1]!; pc++; continue;
        case 0x1f: {
          const al = R[d]!;
          const bl = R[s]!;
          R[d + 1] = (R[d + 1]! - R[s + 1]! - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0;
          R[d] = (al - bl) | 0;
          pc++;
          continue;
        }
        case 0xdb: case 0xc3: {
          // lock add without fetch (imm BPF_ADD); other atomics take the generic path.
          if (imm[pc] !== 0) break;
          const r = RG[R[d + 1]!];
          const a = R[d]! + off[pc]!;
          if (r === undefined || a < r.start || a + (o === 0xdb ? 8 : 4) > r.wlen) break; // the generic path faults
          const v = r.dv;
          const ol = v.getInt32(a, true);
          const vl = R[s]!;
          v.setInt32(a, (ol + vl) | 0, true);
          if (o === 0xdb) v.setInt32(a + 4, (v.getInt32(a + 4, true) + R[s + 1]! + ((ol >>> 0) + (vl >>> 0) > 0xffffffff ? 1 : 0)) | 0, true);
          pc++;
          continue;
        }
        case 0x95:
          // exit from the invocation's own frame (a callee's exit takes the generic path).
          if (frames === NO_FRAMES || frames.length === 0) {
            run.xlo = R[0]!;
            run.xhi = R[1]!;
            run.depth = base;
            run.leaveRegs();
            return;
          }
          break;
        case 0x15: case 0x55: case 0x1d: case 0x5d: {
          const bl = o & 8 ? R[s]! : imm[pc]!;
          const bh = o & 8 ? R[s + 1]! : bl >> 31;
          const eq = R[d] === bl && R[d + 1] === bh;
          if (eq === (o < 0x50)) {
            const t = tgt[pc]!;
            if (t <= pc && --budget < 0) stepLimit(pc, maxSteps);
            pc = t;
          } else {
            pc++;
          }
          continue;
        }
        case 0x25: case 0x2d: case 0xa5: case 0xad: {
          // Unsigned 64-bit > (0x2x) or < (0xax).
          const bl = o & 8 ? R[s]! : imm[pc]!;
          const bh = o & 8 ? R[s + 1]! : bl >> 31;
          const c = ucmp64(R[d]!, R[d + 1]!, bl, bh);
          if (o < 0xa0 ? c > 0 : c < 0) {
            const t = tgt[pc]!;
            if (t <= pc && --budget < 0) stepLimit(pc, maxSteps);
            pc = t;
          } else {
            pc++;
          }
          continue;
        }
        case 0x61: case 0x69: case 0x71: case 0x79: {
          const lo = R[s]!;
          const r = RG[R[s + 1]!];
          const a = lo + off[pc]!;
          const sz = o === 0x61 ? 4 : o === 0x69 ? 2 : o === 0x71 ? 1 : 8;
          if (r === undefined || a < r.start || a + sz > r.len) break; // the generic path: ctx fields, faults
          const v = r.dv;
          if (o === 0x71) R[d] = r.u8[a]!;
          else if (o === 0x61) R[d] = v.getInt32(a, true);
          else if (o === 0x69) R[d] = v.getUint16(a, true);
          else {
            R[d] = v.getInt32(a, true);
            R[d + 1] = v.getInt32(a + 4, true);
            pc++;
            continue;
          }
          R[d + 1] = 0;
          pc++;
          continue;
        }
        case 0x63: case 0x6b: case 0x73: case 0x7b: case 0x62: case 0x6a: case 0x72: case 0x7a: {
          const r = RG[R[d + 1]!];
          const a = R[d]! + off[pc]!;
          const sz = (o & 0x18) === 0 ? 4 : (o & 0x18) === 8 ? 2 : (o & 0x18) === 0x10 ? 1 : 8;
          if (r === undefined || a < r.start || a + sz > r.wlen) break; // the generic path faults
          const vl = o & 1 ? R[s]! : imm[pc]!;
          const v = r.dv;
          if (sz === 4) v.setInt32(a, vl, true);
          else if (sz === 1) r.u8[a] = vl;
          else if (sz === 2) v.setInt16(a, vl, true);
          else {
            v.setInt32(a, vl, true);
            v.setInt32(a + 4, o & 1 ? R[s + 1]! : vl >> 31, true);
          }
          pc++;
          continue;
        }
      }
      if (o < 0x100) {
        const cls = o & 7;
        if (cls === 7 || cls === 4) {
          // ALU64 / ALU: the K form sign-extends imm to 64 bits (RFC 9669 §4.1).
          let bl: number, bh: number;
          if (o & 8) {
            bl = R[s]!;
            bh = R[s + 1]!;
          } else {
            bl = imm[pc]!;
            bh = bl >> 31;
          }
          const al = R[d]!;
          const ah = R[d + 1]!;
          if (cls === 7) {
            switch (o & 0xf0) {
              case 0x00: { const lo = (al + bl) | 0; R[d + 1] = (ah + bh + ((al >>> 0) + (bl >>> 0) > 0xffffffff ? 1 : 0)) | 0; R[d] = lo; break; }
              case 0x10: { const lo = (al - bl) | 0; R[d + 1] = (ah - bh - ((al >>> 0) < (bl >>> 0) ? 1 : 0)) | 0; R[d] = lo; break; }
              case 0x20: mul64(al, ah, bl, bh); R[d] = T[0]!; R[d + 1] = T[1]!; break;
              case 0x30: udiv64(al, ah, bl, bh); R[d] = T[0]!; R[d + 1] = T[1]!; break;
              case 0x40: R[d] = al | bl; R[d + 1] = ah | bh; break;
              case 0x50: R[d] = al & bl; R[d + 1] = ah & bh; break;
              case 0x60: lsh64(al, ah, bl); R[d] = T[0]!; R[d + 1] = T[1]!; break;
              case 0x70: rsh64(al, ah, bl); R[d] = T[0]!; R[d + 1] = T[1]!; break;
              case 0x80: { R[d] = -al | 0; R[d + 1] = (~ah + (al === 0 ? 1 : 0)) | 0; break; }
              case 0x90: umod64(al, ah, bl, bh); R[d] = T[0]!; R[d + 1] = T[1]!; break;
              case 0xa0: R[d] = al ^ bl; R[d + 1] = ah ^ bh; break;
              case 0xb0: R[d] = bl; R[d + 1] = bh; break;
              case 0xc0: arsh64(al, ah, bl); R[d] = T[0]!; R[d + 1] = T[1]!; break;
            }
          } else {
            let r: number;
            switch (o & 0xf0) {
              case 0x00: r = (al + bl) | 0; break;
              case 0x10: r = (al - bl) | 0; break;
              case 0x20: r = Math.imul(al, bl); break;
              case 0x30: r = udiv32(al, bl); break;
              case 0x40: r = al | bl; break;
              case 0x50: r = al & bl; break;
              case 0x60: r = al << (bl & 31); break;
              case 0x70: r = (al >>> (bl & 31)) | 0; break;
              case 0x80: r = -al | 0; break;
              case 0x90: r = umod32(al, bl); break;
              case 0xa0: r = al ^ bl; break;
              case 0xb0: r = bl; break;
              default: r = al >> (bl & 31); break;
            }
            R[d] = r;
            R[d + 1] = 0;
          }
          pc++;
          continue;
        }
        if (cls === 5 || cls === 6) {
          if (o === OP_JA) {
            const t = tgt[pc]!;
            if (t <= pc && --budget < 0) stepLimit(pc, maxSteps);
            pc = t;
            continue;
          }
          if (o === OP_EXIT) {
            if (frames === NO_FRAMES || frames.length === 0) {
              run.xlo = R[0]!;
              run.xhi = R[1]!;
              run.depth = base;
              run.leaveRegs();
              return;
            }
            run.depth--;
            mg = frames.pop()!;
            R[20] = frames.pop()!;
            for (let i = 19; i >= 12; i--) R[i] = frames.pop()!;
            pc = frames.pop()!;
            continue;
          }
          if (o === OP_CALLX) {
            const t = run.callxTarget(pc, R[d]!, R[d + 1]!);
            if (t >= 0) {
              if (--budget < 0) stepLimit(pc, maxSteps);
              if (frames === NO_FRAMES) frames = [];
              pushFrame(run, R, frames, pc, mg);
              mg = BPF_MAX_LOOPS;
              pc = t;
              continue;
            }
            for (let i = 0; i < 10; i++) A[i] = R[2 + i]!;
            run.pc = pc;
            run.rlo = 0;
            run.rhi = 0;
            H[-1 - t]!(run);
            R[0] = run.rlo;
            R[1] = run.rhi;
            pc++;
            continue;
          }
          if (o === OP_MAY_GOTO) {
            if (mg === 0) {
              const t = tgt[pc]!;
              if (t <= pc && --budget < 0) stepLimit(pc, maxSteps);
              pc = t;
            } else {
              mg--;
              pc++;
            }
            continue;
          }
          let bl: number, bh: number;
          if (o & 8) {
            bl = R[s]!;
            bh = R[s + 1]!;
          } else {
            bl = imm[pc]!;
            bh = bl >> 31;
          }
          const al = R[d]!;
          let c: number;
          let taken: boolean;
          if (cls === 5) {
            const code = o & 0xf0;
            c = code >= 0x60 && code !== 0xa0 && code !== 0xb0 ? scmp64(al, R[d + 1]!, bl, bh) : ucmp64(al, R[d + 1]!, bl, bh);
            taken = cond(code, c, (al & bl) !== 0 || (R[d + 1]! & bh) !== 0);
          } else {
            const code = o & 0xf0;
            c = code >= 0x60 && code !== 0xa0 && code !== 0xb0
              ? (al < bl ? -1 : al > bl ? 1 : 0)
              : (al >>> 0 < bl >>> 0 ? -1 : al === bl ? 0 : 1);
            taken = cond(code, c, (al & bl) !== 0);
          }
          if (taken) {
            const t = tgt[pc]!;
            if (t <= pc && --budget < 0) stepLimit(pc, maxSteps);
            pc = t;
          } else {
            pc++;
          }
          continue;
        }
        if (cls === 1) {
          // LDX (BPF_MEM and BPF_MEMSX).
          const sz = o === 0x61 || o === 0x81 ? 4 : o === 0x69 || o === 0x89 ? 2 : o === 0x71 || o === 0x91 ? 1 : 8;
          const lo = R[s]!;
          const hi = R[s + 1]!;
          const r = RG[hi];
          const a = lo + off[pc]!; // negative = offset >= 2^31: out of every region
          if (r === undefined || a < r.start || a + sz > r.len) {
            run.slowLoad(pc, lo, hi, off[pc]!, sz);
            if (o >= 0x80) throw new VmFault(pc, 'sign-extending load from the context');
            R[d] = T[0]!;
            R[d + 1] = T[1]!;
            pc++;
            continue;
          }
          const v = r.dv;
          switch (o) {
            case 0x61: R[d] = v.getInt32(a, true); R[d + 1] = 0; break;
            case 0x69: R[d] = v.getUint16(a, true); R[d + 1] = 0; break;
            case 0x71: R[d] = v.getUint8(a); R[d + 1] = 0; break;
            case 0x79: R[d] = v.getInt32(a, true); R[d + 1] = v.getInt32(a + 4, true); break;
            case 0x81: R[d] = v.getInt32(a, true); R[d + 1] = R[d]! >> 31; break;
            case 0x89: R[d] = v.getInt16(a, true); R[d + 1] = R[d]! >> 31; break;
            default: R[d] = v.getInt8(a); R[d + 1] = R[d]! >> 31; break;
          }
          pc++;
          continue;
        }
        if (cls === 2 || cls === 3) {
          const atomic = (o & 0xe0) === 0xc0;
          const sz = atomic ? (o === 0xdb ? 8 : 4) : (o & 0x18) === 0 ? 4 : (o & 0x18) === 8 ? 2 : (o & 0x18) === 0x10 ? 1 : 8;
          const lo = R[d]!;
          const hi = R[d + 1]!;
          const r = RG[hi];
          const a = lo + off[pc]!; // negative = offset >= 2^31: out of every region
          if (r === undefined || a < r.start || a + sz > r.wlen) run.badAccess(pc, lo, hi, off[pc]!, sz, true);
          const v = r.dv;
          let vl: number, vh: number;
          if (cls === 2) {
            vl = imm[pc]!;
            vh = vl >> 31;
          } else {
            vl = R[s]!;
            vh = R[s + 1]!;
          }
          if (atomic) {
            atomicOp(R, v, a, sz, imm[pc]!, s, vl, vh);
            pc++;
            continue;
          }
          if (sz === 4) v.setInt32(a, vl, true);
          else if (sz === 2) v.setInt16(a, vl, true);
          else if (sz === 1) v.setInt8(a, vl);
          else { v.setInt32(a, vl, true); v.setInt32(a + 4, vh, true); }
          pc++;
          continue;
        }
        if (o === OP_LDDW) {
          R[d] = imm[pc]!;
          R[d + 1] = imm2[pc]!;
          pc += 2;
          continue;
        }
        // BPF_LD | BPF_ABS / BPF_IND (legacy packet loads: r0 = ntoh(packet[k]), out of bounds ends the program with 0).
        const sz = (o & 0x18) === 0 ? 4 : (o & 0x18) === 8 ? 2 : 1;
        const k = (o & 0xe0) === 0x40 ? (imm[pc]! + R[s]!) | 0 : imm[pc]!;
        if (!run.ldAbs(k, sz)) {
          run.xlo = 0;
          run.xhi = 0;
          run.depth = base;
          run.leaveRegs();
          return;
        }
        R[0] = T[0]!;
        R[1] = 0;
        pc++;
        continue;
      }
      // Extended operations.
      switch (o) {
        case OP_SDIV64K: case OP_SDIV64X: case OP_SMOD64K: case OP_SMOD64X: {
          const x = o === OP_SDIV64X || o === OP_SMOD64X;
          const bl = x ? R[s]! : imm[pc]!;
          const bh = x ? R[s + 1]! : bl >> 31;
          if (o <= OP_SDIV64X) sdiv64(R[d]!, R[d + 1]!, bl, bh);
          else smod64(R[d]!, R[d + 1]!, bl, bh);
          R[d] = T[0]!;
          R[d + 1] = T[1]!;
          break;
        }
        case OP_SDIV32K: case OP_SDIV32X: case OP_SMOD32K: case OP_SMOD32X: {
          const b = o === OP_SDIV32X || o === OP_SMOD32X ? R[s]! : imm[pc]!;
          R[d] = o <= OP_SDIV32X ? sdiv32(R[d]!, b) : smod32(R[d]!, b);
          R[d + 1] = 0;
          break;
        }
        case OP_MOVSX32_8: R[d] = (R[s]! << 24) >> 24; R[d + 1] = 0; break;
        case OP_MOVSX32_16: R[d] = (R[s]! << 16) >> 16; R[d + 1] = 0; break;
        case OP_MOVSX64_8: R[d] = (R[s]! << 24) >> 24; R[d + 1] = R[d]! >> 31; break;
        case OP_MOVSX64_16: R[d] = (R[s]! << 16) >> 16; R[d + 1] = R[d]! >> 31; break;
        case OP_MOVSX64_32: R[d] = R[s]!; R[d + 1] = R[d]! >> 31; break;
        // Little-endian guest: to-LE truncates/zero-extends, to-BE and bswap swap (RFC 9669 §4.2).
        case OP_LE16: R[d] = R[d]! & 0xffff; R[d + 1] = 0; break;
        case OP_LE32: R[d + 1] = 0; break;
        case OP_LE64: break;
        case OP_BE16: case OP_BSWAP16: R[d] = bswap16(R[d]!); R[d + 1] = 0; break;
        case OP_BE32: case OP_BSWAP32: R[d] = bswap32(R[d]!); R[d + 1] = 0; break;
        case OP_BE64: case OP_BSWAP64: { const lo = R[d]!; R[d] = bswap32(R[d + 1]!); R[d + 1] = bswap32(lo); break; }
        case OP_CALL_LOCAL:
          if (--budget < 0) stepLimit(pc, maxSteps);
          if (frames === NO_FRAMES) frames = [];
          pushFrame(run, R, frames, pc, mg);
          mg = BPF_MAX_LOOPS;
          pc = tgt[pc]!;
          continue;
        case OP_CALL_TAIL: {
          for (let i = 0; i < 10; i++) A[i] = R[2 + i]!;
          run.pc = pc;
          if (run.tailCall()) {
            // The target replaced this frame: return its r0 from this frame.
            R[0] = run.xlo;
            R[1] = run.xhi;
            if (frames === NO_FRAMES || frames.length === 0) {
              run.depth = base;
              run.leaveRegs();
              return;
            }
            run.depth--;
            mg = frames.pop()!;
            R[20] = frames.pop()!;
            for (let i = 19; i >= 12; i--) R[i] = frames.pop()!;
            pc = frames.pop()!;
            continue;
          }
          break;
        }
        case OP_CALL_KFUNC:
          run.badCall(pc, `kfunc calls are not supported (btf id ${imm[pc]})`);
        default:
          throw new VmFault(pc, `invalid instruction slot`);
      }
      pc++;
    }

  }

  return { dec, space, helpers, exec, ...(coverage ? { coverage: { exec: CE!, taken: CT! } } : {}) };
}

/** Interpreter-only opcode of the fused `mov64 rX, rY; add64 rX, imm` pair. */
const OP_MOV_ADD = 0x7f0;
/** Interpreter-only opcode of the slot past the last one (execution fell off the end). */
const OP_END = 0x7f1;

/** The empty caller stack of an invocation that made no local call yet (never pushed to). */
const NO_FRAMES: number[] = [];

/** Evaluates a jump condition code from a three-way compare and the jset test. */
function cond(code: number, c: number, set: boolean): boolean {
  switch (code) {
    case 0x10: return c === 0;
    case 0x20: case 0x60: return c > 0;
    case 0x30: case 0x70: return c >= 0;
    case 0x40: return set;
    case 0x50: return c !== 0;
    case 0xa0: case 0xc0: return c < 0;
    default: return c <= 0;
  }
}

/**
 * An atomic read-modify-write (RFC 9669 §5.3) at `a` of `v` on register file R (lo/hi pairs):
 * BPF_FETCH puts the old value in the pair at `s`, cmpxchg compares with and sets the pair at 0.
 */
export function atomicOp(R: Int32Array, v: DataView, a: number, sz: number, op: number, s: number, vl: number, vh: number): void {
  const ol = v.getInt32(a, true);
  const oh = sz === 8 ? v.getInt32(a + 4, true) : 0;
  let nl = ol;
  let nh = oh;
  switch (op & ~1) {
    case 0x00: nl = (ol + vl) | 0; nh = (oh + vh + ((ol >>> 0) + (vl >>> 0) > 0xffffffff ? 1 : 0)) | 0; break;
    case 0x40: nl = ol | vl; nh = oh | vh; break;
    case 0x50: nl = ol & vl; nh = oh & vh; break;
    case 0xa0: nl = ol ^ vl; nh = oh ^ vh; break;
    case 0xe0: nl = vl; nh = vh; break;
    case 0xf0: {
      // cmpxchg: compare r0 (its low 32 bits for the W form) with memory; r0 = old value.
      const eq = sz === 8 ? R[0] === ol && R[1] === oh : R[0] === ol;
      R[0] = ol;
      R[1] = oh;
      if (!eq) return;
      nl = vl;
      nh = vh;
      v.setInt32(a, nl, true);
      if (sz === 8) v.setInt32(a + 4, nh, true);
      return;
    }
  }
  v.setInt32(a, nl, true);
  if (sz === 8) v.setInt32(a + 4, nh, true);
  if (op & 1) {
    // BPF_FETCH: the source register receives the old value (zero-extended for W).
    R[s] = ol;
    R[s + 1] = oh;
  }
}

/** Pushes the caller's state (return pc, r6..r9, r10, may_goto budget) and enters a new frame. */
function pushFrame(run: Run, R: Int32Array, frames: number[], pc: number, mg: number): void {
  frames.push(pc + 1);
  for (let i = 12; i < 20; i++) frames.push(R[i]!);
  frames.push(R[20]!, mg);
  R[20] = run.enterFrame(pc);
}

/** The fault of a program that exceeded its step budget. */
function stepLimit(pc: number, maxSteps: number): never {
  throw new VmFault(pc, `step limit of ${maxSteps} backward jumps and calls exceeded`);
}
