/**
 * Stack accesses (kernel/bpf/verifier.c `check_stack_write_fixed_off`,
 * `check_stack_read_fixed_off`, `check_stack_write_var_off`, `mark_reg_stack_read`): each
 * stack byte has a type (`?` invalid, `m` misc, `0` zero, `r` part of a spilled register);
 * a slot whose lowest byte (fp-8, fp-16, ...) is `r` holds a spilled register in
 * `Frame.spills`. Scalars stored at an 8-byte aligned offset are spilled whatever their size
 * (`save_register_state`), so narrow fills get their value back.
 */
import { type Env, reject } from './env';
import { markChainPrecision, noteStackAccess } from './precision';
import { type Reg, assignScalarIdBeforeMov, constScalar, copyReg, isPointer, unknownScalar } from './reg-state';
import { type Frame, MAX_BPF_STACK, curFrame } from './state';
import { tnumIsConst, tnumStr } from './tnum';

/** Offsets beyond this are unbounded (`BPF_MAX_VAR_OFF`). */
export const BPF_MAX_VAR_OFF = 1 << 29;

/** The frame a stack pointer points into. */
export function stackFrame(env: Env, r: Reg): Frame {
  return env.cur.frames[r.frameno] ?? curFrame(env.cur);
}

/** `get_reg_width`: bits needed for the register's largest unsigned value. */
const regWidth = (r: Reg): number => (r.umax === 0n ? 0 : r.umax.toString(2).length);
const isZero = (r: Reg): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/**
 * `check_stack_access_within_bounds`; `what` is the kernel's `err_extra`: ` read from` or
 * ` write to`. `off` is the instruction's offset. Returns [min, max) byte offsets from fp.
 */
export function stackBounds(env: Env, idx: number, regno: number, r: Reg, off: number, size: number, what: string): [number, number] {
  const o = off + r.off;
  let lo: number;
  let hi: number;
  if (tnumIsConst(r.varOff)) {
    lo = Number(BigInt.asIntN(64, r.varOff.value)) + o;
    hi = lo + size;
  } else {
    if (r.smax >= BigInt(BPF_MAX_VAR_OFF) || r.smin <= -BigInt(BPF_MAX_VAR_OFF)) {
      reject(`invalid unbounded variable-offset${what} stack R${regno}`, idx);
    }
    lo = Number(r.smin) + o;
    hi = Number(r.smax) + o + size;
  }
  if (lo < -MAX_BPF_STACK || hi > 0 || size <= 0) {
    if (tnumIsConst(r.varOff)) reject(`invalid${what} stack R${regno} off=${o} size=${size}`, idx);
    reject(`invalid variable-offset${what} stack R${regno} var_off=${tnumStr(r.varOff)} off=${o} size=${size}`, idx);
  }
  return [lo, hi];
}

/** Marks the slots of [lo, hi) scratched (printed in the log) and grows the frame's depth. */
export function touch(env: Env, f: Frame, lo: number, hi: number): void {
  if (-lo > f.depth) f.depth = -lo;
  for (let a = lo; a < hi; a++) env.scratched.slots.add((-a - 1) >> 3);
}

/** `save_register_state`: the low `size` bytes of slot `spi` hold `reg`. */
function saveRegisterState(f: Frame, spi: number, reg: Reg, size: number): void {
  f.spills[spi] = reg;
  const base = spi * 8;
  for (let j = 7; j >= 0; j--) {
    if (j >= 8 - size) f.stack[base + j] = 'r';
    else if (f.stack[base + j] === 'r' || f.stack[base + j] === 'm') f.stack[base + j] = 'm';
  }
}

/** Slot `spi`'s spilled register, if its lowest byte is part of a spill. */
export function spilledReg(f: Frame, spi: number): Reg | undefined {
  return f.stack[spi * 8 + 7] === 'r' ? f.spills[spi] : undefined;
}

/** Bytes of slot `spi` that belong to its spill. */
function spillSize(f: Frame, spi: number): number {
  let n = 1;
  for (let j = 7; j > 0 && f.stack[spi * 8 + j - 1] === 'r'; j--) n++;
  return n;
}

/** Forgets the spill of slot `spi` (`is_stack_slot_special` + `scrub_spilled_slot`). */
function scrubSpill(f: Frame, spi: number): void {
  if (f.stack[spi * 8 + 7] === 'r') for (let j = 0; j < 8; j++) if (f.stack[spi * 8 + j] !== undefined && f.stack[spi * 8 + j] !== '?') f.stack[spi * 8 + j] = 'm';
  f.spills[spi] = undefined;
}

/**
 * `check_stack_write_fixed_off`: `size` bytes of `value` written at fp-relative `lo`; without
 * a value, a BPF_ST of `stImm`, or unknown bytes (an atomic's write) when `stImm` is undefined.
 */
export function stackWrite(env: Env, idx: number, f: Frame, lo: number, size: number, value: Reg | undefined, stImm: number | undefined): void {
  const spi = (-lo - 1) >> 3;
  touch(env, f, lo, lo + size);
  const aligned = (lo & 7) === 0;
  if (value && aligned && value.type === 'SCALAR_VALUE' && env.privileged) {
    const fits = regWidth(value) <= size * 8;
    if (fits) assignScalarIdBeforeMov(env, value);
    const sp = copyReg(value);
    if (!fits) {
      sp.id = 0;
      sp.off = 0;
    }
    saveRegisterState(f, spi, sp, size);
    noteStackAccess(env, f.frameno, spi);
    return;
  }
  if (!value && stImm !== undefined && aligned && env.privileged) {
    saveRegisterState(f, spi, constScalar(BigInt(stImm)), size);
    noteStackAccess(env, f.frameno, spi);
    return;
  }
  if (value && isPointer(value)) {
    if (size !== 8) reject('invalid size of register spill', idx);
    saveRegisterState(f, spi, copyReg(value), size);
    noteStackAccess(env, f.frameno, spi);
    return;
  }
  scrubSpill(f, spi);
  const zero = value ? isZero(value) : stImm === 0;
  // STACK_ZERO from a register that is not spilled: the zero must stay precise.
  if (zero && value) markChainPrecision(env, env.slots[idx]!.src);
  for (let a = lo; a < lo + size; a++) f.stack[-a - 1] = zero ? '0' : 'm';
}

/** `mark_reg_stack_read`: zero when every byte of [lo, hi) is STACK_ZERO, else unknown. */
function stackReadValue(f: Frame, lo: number, hi: number): Reg {
  for (let a = lo; a < hi; a++) if (f.stack[-a - 1] !== '0') return unknownScalar();
  return constScalar(0n);
}

/**
 * `check_stack_read_fixed_off`: the value of `size` bytes at fp-relative `lo` (before the
 * load's zero or sign extension, which the caller applies).
 */
export function stackRead(env: Env, idx: number, f: Frame, lo: number, size: number): Reg {
  const spi = (-lo - 1) >> 3;
  touch(env, f, lo, lo + size);
  const sp = spilledReg(f, spi);
  const uninit = (a: number): never => reject(`invalid read from stack off ${lo}+${a - lo} size ${size}`, idx);
  if (!sp) {
    for (let a = lo; a < lo + size; a++) if ((f.stack[-a - 1] ?? '?') === '?' && !env.privileged) uninit(a);
    return stackReadValue(f, lo, lo + size);
  }
  const n = spillSize(f, spi);
  if (size === 8 && n === 8) {
    noteStackAccess(env, f.frameno, spi);
    return copyReg(sp);
  }
  if (sp.type !== 'SCALAR_VALUE') reject('invalid size of register fill', idx);
  if (size <= n && (lo & 7) === 0) {
    // A narrow fill of the spill's low bytes: the register, truncated by the caller.
    if (env.privileged && size === 4 && n === 4 && regWidth(sp) <= 32) assignScalarIdBeforeMov(env, sp);
    const r = copyReg(sp);
    if (regWidth(sp) > size * 8) {
      r.id = 0;
      r.off = 0;
    }
    noteStackAccess(env, f.frameno, spi);
    return r;
  }
  let spills = 0;
  let zeros = 0;
  for (let a = lo; a < lo + size; a++) {
    const b = f.stack[-a - 1] ?? '?';
    if (b === 'r') spills++;
    else if (b === '0') zeros++;
    else if (b === '?' && !env.privileged) uninit(a);
  }
  if (spills === size && isZero(sp)) {
    noteStackAccess(env, f.frameno, spi);
    return constScalar(0n);
  }
  return zeros === size ? constScalar(0n) : unknownScalar();
}

/**
 * `check_stack_write_var_off`: a write somewhere in [lo, hi). A slot holding a full spill of
 * zero stays when zero is written; any other spill in range is scrubbed to MISC, and zero
 * bytes stay zero only when zero is written.
 */
export function stackWriteVarOff(env: Env, f: Frame, lo: number, hi: number, value: Reg | undefined, stImm: number | undefined): void {
  touch(env, f, lo, hi);
  const zero = value ? isZero(value) : stImm === 0;
  for (let a = lo; a < hi; a++) {
    const b = -a - 1;
    const spi = b >> 3;
    const sp = spilledReg(f, spi);
    if (zero && f.stack[b] === 'r' && sp && isZero(sp) && spillSize(f, spi) === 8) continue;
    if (sp) scrubSpill(f, spi);
    f.stack[b] = zero && f.stack[b] === '0' ? '0' : 'm';
  }
}

/**
 * `check_stack_read_var_off`: a read somewhere in [lo, hi); zero when every byte is, else
 * unknown. The kernel's log shows only the first slot of the range as touched.
 */
export function stackReadVarOff(env: Env, f: Frame, lo: number, hi: number): Reg {
  touch(env, f, lo, lo + 1);
  return stackReadValue(f, lo, hi);
}
