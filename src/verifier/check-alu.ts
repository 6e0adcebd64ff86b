/**
 * ALU checks (kernel/bpf/verifier.c `check_alu_op`, `adjust_ptr_min_max_vals`): reserved fields,
 * division by a zero constant, shift ranges, register moves with scalar ids, pointer arithmetic
 * and the pointer arithmetic the kernel forbids.
 */
import type { Instruction, InsnKind } from '../isa';
import { markChainPrecision } from './precision';
import { type Env, reject } from './env';
import { regTypeStr } from './print';
import {
  ADD_CONST32,
  ADD_CONST64,
  type Reg,
  S64_MAX,
  S64_MIN,
  assignScalarIdBeforeMov,
  baseId,
  constScalar,
  copyReg,
  hasAddConst,
  isConst,
  isPktPointer,
  isPointer,
  mark32Unbounded,
  regBoundsSync,
  unknownScalar,
  zext32to64,
} from './reg-state';
import { coerceSubregToSizeSx, coerceToSizeSx, scalarAlu, scalarByteSwap } from './scalar-alu';
import { curFrame } from './state';
import { U32_MAX, tnumAdd, tnumIsConst, tnumSub } from './tnum';
import { BPF_MAX_VAR_OFF } from './check-mem';

const ALU_STRING: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  mod: '%=', smod: 's%=', xor: '^=', arsh: 's>>=', neg: 'neg',
};

/** `check_reg_arg` for a source: the register must be initialised. */
export function readReg(env: Env, idx: number, n: number): Reg {
  if (n > 10) reject(`R${n} is invalid`, idx, 'EINVAL');
  const r = curFrame(env.cur).regs[n]!;
  env.scratched.regs.add(n);
  if (r.type === 'NOT_INIT') reject(`R${n} !read_ok`, idx);
  return r;
}

/** `check_reg_arg` for a destination: r10 is read-only. */
export function writeReg(env: Env, idx: number, n: number, v: Reg): void {
  if (n > 10) reject(`R${n} is invalid`, idx, 'EINVAL');
  if (n === 10) reject('frame pointer is read only', idx);
  env.scratched.regs.add(n);
  curFrame(env.cur).regs[n] = v;
}

/** `check_reg_sane_offset`. */
function saneOffset(env: Env, idx: number, r: Reg, ptrType: string): void {
  if (isConst(r)) {
    const v = BigInt.asIntN(64, r.varOff.value);
    if (v >= BigInt(BPF_MAX_VAR_OFF) || v <= -BigInt(BPF_MAX_VAR_OFF)) {
      reject(`math between ${ptrType} pointer and ${v} is not allowed`, idx);
    }
  }
  if (r.off >= BPF_MAX_VAR_OFF || r.off <= -BPF_MAX_VAR_OFF) reject(`${ptrType} pointer offset ${r.off} is not allowed`, idx);
  if (r.smin === S64_MIN) {
    reject(`math between ${ptrType} pointer and register with unbounded min value is not allowed`, idx);
  }
  if (r.smin >= BigInt(BPF_MAX_VAR_OFF) || r.smin <= -BigInt(BPF_MAX_VAR_OFF)) {
    reject(`value ${r.smin} makes ${ptrType} pointer be out of bounds`, idx);
  }
}

/** `adjust_ptr_min_max_vals`: pointer ± scalar. */
function ptrArith(env: Env, idx: number, i: Instruction, op: string, ptr: Reg, offReg: Reg, dstIsOff: boolean): Reg {
  const dst = i.dst;
  const t = regTypeStr(ptr);
  if (ptr.maybeNull) reject(`R${dst} pointer arithmetic on ${t} prohibited, null-check it first`, idx);
  switch (ptr.type) {
    case 'CONST_PTR_TO_MAP':
      if (isConst(offReg) && offReg.varOff.value === 0n && op === 'add') break;
      reject(`R${dst} pointer arithmetic on ${t} prohibited`, idx);
      break;
    case 'PTR_TO_PACKET_END':
    case 'PTR_TO_FUNC':
    case 'PTR_TO_SOCKET':
    case 'PTR_TO_SOCK_COMMON':
    case 'PTR_TO_TCP_SOCK':
      reject(`R${dst} pointer arithmetic on ${t} prohibited`, idx);
  }
  if (op !== 'add' && op !== 'sub') {
    if (op === 'and' || op === 'or' || op === 'xor') reject(`R${dst} bitwise operator ${ALU_STRING[op]} on pointer prohibited`, idx);
    reject(`R${dst} pointer arithmetic with ${ALU_STRING[op]} operator prohibited`, idx);
  }
  saneOffset(env, idx, offReg, t);
  saneOffset(env, idx, ptr, t);
  const res = copyReg(ptr);
  const known = isConst(offReg);
  const val = BigInt.asIntN(64, offReg.varOff.value);
  if (op === 'add') {
    if (known && ptr.off + Number(val) === ((ptr.off + Number(val)) | 0)) {
      res.off = ptr.off + Number(val);
      return res;
    }
    const add = (a: bigint, b: bigint): bigint => a + b;
    res.smin = add(ptr.smin, offReg.smin);
    res.smax = add(ptr.smax, offReg.smax);
    if (res.smin < S64_MIN || res.smax > S64_MAX) { res.smin = S64_MIN; res.smax = S64_MAX; }
    res.umin = ptr.umin + offReg.umin;
    res.umax = ptr.umax + offReg.umax;
    if (res.umax >= 1n << 64n) { res.umin = 0n; res.umax = (1n << 64n) - 1n; }
    res.varOff = tnumAdd(ptr.varOff, offReg.varOff);
    if (isPktPointer(ptr)) { res.id = ++env.idGen; res.range = 0; }
  } else {
    if (dstIsOff) reject(`R${dst} tried to subtract pointer from scalar`, idx);
    if (ptr.type === 'PTR_TO_STACK') reject(`R${dst} subtraction from stack pointer prohibited`, idx);
    if (known && ptr.off - Number(val) === ((ptr.off - Number(val)) | 0)) {
      res.off = ptr.off - Number(val);
      return res;
    }
    res.smin = ptr.smin - offReg.smax;
    res.smax = ptr.smax - offReg.smin;
    if (res.smin < S64_MIN || res.smax > S64_MAX) { res.smin = S64_MIN; res.smax = S64_MAX; }
    if (ptr.umin < offReg.umax) { res.umin = 0n; res.umax = (1n << 64n) - 1n; } else { res.umin = ptr.umin - offReg.umax; res.umax = ptr.umax - offReg.umin; }
    res.varOff = tnumSub(ptr.varOff, offReg.varOff);
    if (isPktPointer(ptr)) { res.id = ++env.idGen; if (offReg.smin < 0n) res.range = 0; }
  }
  mark32Unbounded(res);
  regBoundsSync(res);
  if (res.type === 'PTR_TO_STACK' && !tnumIsConst(res.varOff) && !env.privileged) {
    reject(`R${dst} variable stack access prohibited for !root`, idx);
  }
  return res;
}

/** Checks and applies one ALU/ALU64 instruction (`check_alu_op`). */
export function checkAlu(env: Env, idx: number, i: Instruction, k: InsnKind): void {
  if (k.kind === 'end' || k.kind === 'neg') {
    if (k.kind === 'neg' && (i.src !== 0 || i.off !== 0 || i.imm !== 0)) reject('BPF_NEG uses reserved fields', idx, 'EINVAL');
    if (k.kind === 'end' && (i.src !== 0 || i.off !== 0)) reject('BPF_END uses reserved fields', idx, 'EINVAL');
    const d = readReg(env, idx, i.dst);
    if (isPointer(d) && !env.privileged) reject(`R${i.dst} pointer arithmetic prohibited`, idx);
    const r = isPointer(d) ? unknownScalar() : copyReg(d);
    if (k.kind === 'neg') scalarAlu('neg', r, r, k.is64);
    else if (isPointer(d)) r.id = 0;
    else scalarByteSwap(r, k.bits, k.to === 'swap' || k.to === 'be');
    writeReg(env, idx, i.dst, r);
    return;
  }
  if (k.kind === 'mov' || k.kind === 'movsx') {
    if (k.kind === 'mov' && !k.useReg && i.src !== 0) reject('BPF_MOV uses reserved fields', idx, 'EINVAL');
    if (k.kind === 'mov' && k.useReg && i.imm !== 0) reject('BPF_MOV uses reserved fields', idx, 'EINVAL');
    if (k.kind === 'mov' && !k.useReg) {
      writeReg(env, idx, i.dst, constScalar(k.is64 ? BigInt(i.imm) : BigInt(i.imm >>> 0)));
      return;
    }
    const s = readReg(env, idx, i.src);
    // A copy shares an id so that bounds learnt on one apply to the other (`sync_linked_regs`):
    // always for r1 = r2, for w1 = w2 when r2 fits in 32 bits, for sign extensions when the
    // value does not change (`assign_scalar_id_before_mov`).
    const shareId = (keep: boolean): Reg => {
      if (keep) assignScalarIdBeforeMov(env, s);
      const r = copyReg(s);
      if (!keep) {
        r.id = 0;
        r.off = 0;
      }
      return r;
    };
    if (k.kind === 'movsx') {
      if (isPointer(s) && !env.privileged) reject(`R${i.src} sign-extension part of pointer`, idx);
      let r: Reg;
      if (isPointer(s)) r = unknownScalar();
      else {
        r = shareId(s.umax < 1n << BigInt(k.bits - 1));
        if (k.is64) coerceToSizeSx(r, k.bits / 8);
        else coerceSubregToSizeSx(r, k.bits / 8);
      }
      if (!k.is64) {
        zext32to64(r);
        regBoundsSync(r);
      }
      writeReg(env, idx, i.dst, r);
      return;
    }
    if (k.is64) {
      writeReg(env, idx, i.dst, shareId(true));
      return;
    }
    if (isPointer(s)) {
      if (!env.privileged) reject(`R${i.src} partial copy of pointer`, idx);
      const r = unknownScalar();
      zext32to64(r);
      regBoundsSync(r);
      writeReg(env, idx, i.dst, r);
      return;
    }
    const r = shareId(s.umax <= U32_MAX);
    zext32to64(r);
    regBoundsSync(r);
    writeReg(env, idx, i.dst, r);
    return;
  }
  if (k.kind !== 'alu') return;
  const op = k.op;
  if (k.useReg) {
    if (i.imm !== 0 || (i.off !== 0 && !(i.off === 1 && (op === 'sdiv' || op === 'smod')))) {
      reject('BPF_ALU uses reserved fields', idx, 'EINVAL');
    }
  } else if (i.src !== 0 || (i.off !== 0 && !(i.off === 1 && (op === 'sdiv' || op === 'smod')))) {
    reject('BPF_ALU uses reserved fields', idx, 'EINVAL');
  }
  const src = k.useReg ? readReg(env, idx, i.src) : constScalar(k.is64 ? BigInt(i.imm) : BigInt(i.imm >>> 0));
  const dst = readReg(env, idx, i.dst);
  if (!k.useReg && (op === 'div' || op === 'sdiv' || op === 'mod' || op === 'smod') && i.imm === 0) {
    reject('div by zero', idx, 'EINVAL');
  }
  if (!k.useReg && (op === 'lsh' || op === 'rsh' || op === 'arsh')) {
    const bits = k.is64 ? 64 : 32;
    if (i.imm < 0 || i.imm >= bits) reject(`invalid shift ${i.imm}`, idx, 'EINVAL');
  }
  if (i.dst === 10) reject('frame pointer is read only', idx);
  const dp = isPointer(dst);
  const sp = isPointer(src);
  if (dp || sp) {
    // Pointer arithmetic relies on the scalar's exact bounds (adjust_reg_min_max_vals).
    if (k.useReg && dp !== sp) markChainPrecision(env, dp ? i.src : i.dst);
    if (!k.is64) {
      if (env.privileged && dp) {
        // 32-bit ALU on a pointer is refused outright (`R%d 32-bit pointer arithmetic prohibited`).
      }
      reject(`R${i.dst} 32-bit pointer arithmetic prohibited`, idx);
    }
    if (dp && sp) {
      if (op === 'sub' && env.privileged) {
        writeReg(env, idx, i.dst, unknownScalar());
        return;
      }
      reject(`R${i.dst} pointer ${ALU_STRING[op]} pointer prohibited`, idx);
    }
    if (dp) {
      writeReg(env, idx, i.dst, ptrArith(env, idx, i, op, dst, src, false));
      return;
    }
    if (op !== 'add') {
      if (op === 'sub') reject(`R${i.dst} tried to subtract pointer from scalar`, idx);
      reject(`R${i.dst} pointer arithmetic with ${ALU_STRING[op]} operator prohibited`, idx);
    }
    writeReg(env, idx, i.dst, ptrArith(env, idx, i, op, src, dst, true));
    return;
  }
  const r = copyReg(dst);
  scalarAlu(op, r, src, k.is64);
  linkAddConst(env, r, dst, op, src, k.is64);
  writeReg(env, idx, i.dst, r);
}

/**
 * `adjust_reg_min_max_vals`' linked-scalar rule (root only): `rX += const` or `rX -= const` on
 * a linked scalar keeps the link with the delta in `off` (BPF_ADD_CONST64; BPF_ADD_CONST32 for
 * the 32-bit forms, when the value fitted in 32 bits before), so a bound learnt on either later
 * holds for both. A delta beyond s32, a second delta, or any other operation unlinks it.
 */
function linkAddConst(env: Env, r: Reg, dst: Reg, op: string, src: Reg, is64: boolean): void {
  r.id = 0;
  r.off = 0;
  if (!env.privileged || !dst.id || (op !== 'add' && op !== 'sub') || src.type !== 'SCALAR_VALUE') return;
  if (is64 ? !isConst(src) : (src.varOff.mask & 0xffffffffn) !== 0n) return;
  const val = is64 ? BigInt.asIntN(64, src.varOff.value) : BigInt.asIntN(32, src.varOff.value);
  if (val < -0x80000000n || val > 0x7fffffffn || (!is64 && dst.umax > U32_MAX)) return;
  if (op === 'sub' && val === -0x80000000n) return;
  if (hasAddConst(dst.id)) return;
  r.id = baseId(dst.id) + (is64 ? ADD_CONST64 : ADD_CONST32);
  r.off = Number(op === 'sub' ? -val : val);
}