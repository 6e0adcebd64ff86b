/**
 * Memory access checks (kernel/bpf/verifier.c `check_mem_access` and friends): context fields
 * by XDP's `xdp_is_valid_access` rules (net/core/filter.c), packet bytes inside the proven
 * range, stack bytes inside the frame (with spill/fill of registers), map values inside
 * `value_size`, ringbuf memory inside its reservation.
 */
import type { MapSpec } from '../object/types';
import { type Env, reject } from './env';
import { regTypeStr } from './print';
import {
  type Reg,
  constScalar,
  copyReg,
  isPktPointer,
  isPointer,
  markKnown,
  pointer,
  regBoundsSync,
  unknownScalar,
} from './reg-state';
import { type Frame, MAX_BPF_STACK, curFrame } from './state';
import { tnumAdd, tnumConst, tnumIsAligned, tnumIsConst, tnumStr, tnumStrn } from './tnum';
import { BPF_MAX_VAR_OFF, stackBounds, stackFrame, stackRead, stackReadVarOff, stackWrite, stackWriteVarOff, touch } from './check-stack';

export { BPF_MAX_VAR_OFF, stackBounds };
import { coerceToSize, coerceToSizeSx } from './scalar-alu';
import { checkSockAccess, isSockPointer } from './refs';
import { checkBtfAccess } from './btf-walk';

/** Largest size a helper memory argument may have (`BPF_MAX_VAR_SIZ`). */
export const BPF_MAX_VAR_SIZ = 1 << 29;
/** The kernel struct behind each map type (`map_btf_id` of its `bpf_map_ops`). */
const MAP_STRUCT: Record<number, string> = {
  1: 'bpf_htab', 2: 'bpf_array', 3: 'bpf_array', 4: 'bpf_array', 5: 'bpf_htab', 6: 'bpf_array', 9: 'bpf_htab',
  10: 'bpf_htab', 11: 'lpm_trie', 12: 'bpf_array', 13: 'bpf_htab', 14: 'bpf_dtab', 16: 'bpf_cpu_map', 17: 'xsk_map',
  22: 'bpf_queue_stack', 23: 'bpf_queue_stack', 25: 'bpf_dtab', 27: 'bpf_ringbuf_map', 30: 'bpf_bloom_filter',
};
/** `sizeof(struct xdp_md)`. */
const XDP_MD_SIZE = 24;

/** `__check_mem_access`: `[off, off+size)` inside `[0, memSize)`, with the kernel's message. */
function checkMemRange(
  env: Env, idx: number, regno: number, r: Reg, off: number, size: number, memSize: number, zeroOk: boolean, more: readonly string[] = [],
): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return true;
  let msg: string;
  switch (r.type) {
    case 'PTR_TO_MAP_KEY': msg = `invalid access to map key, key_size=${memSize} off=${off} size=${size}`; break;
    case 'PTR_TO_MAP_VALUE': msg = `invalid access to map value, value_size=${memSize} off=${off} size=${size}`; break;
    case 'PTR_TO_PACKET': case 'PTR_TO_PACKET_META': case 'PTR_TO_PACKET_END':
      msg = `invalid access to packet, off=${off} size=${size}, R${regno}(id=${r.id},off=${off},r=${memSize})`;
      // check_packet_access adds its own line after __check_mem_access's.
      more = [`R${regno} offset is outside of the packet`];
      break;
    default: msg = `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
  }
  reject(msg, idx, 'EACCES', more);
}

/** `check_mem_region_access`: a region with a variable offset (map values, memory). */
function checkRegion(env: Env, idx: number, regno: number, r: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
  if (r.smin < 0n && (r.smin < -(1n << 31n) || r.smin + BigInt(off) < 0n)) {
    reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, idx);
  }
  checkMemRange(env, idx, regno, r, Number(r.smin) + off, size, memSize, zeroOk, [`R${regno} min value is outside of the allowed memory range`]);
  if (r.umax >= BigInt(BPF_MAX_VAR_OFF)) {
    reject(`R${regno} unbounded memory access, make sure to bounds check any such access`, idx);
  }
  checkMemRange(env, idx, regno, r, Number(r.umax) + off, size, memSize, zeroOk, [`R${regno} max value is outside of the allowed memory range`]);
}

/** `__check_ptr_off_reg`: pointers that must be unmodified (ctx). */
export function checkPtrOffReg(env: Env, idx: number, regno: number, r: Reg): void {
  if (r.off < 0) reject(`negative offset ${regTypeStr(r)} ptr R${regno} off=${r.off} disallowed`, idx);
  if (r.off) reject(`dereference of modified ${regTypeStr(r)} ptr R${regno} off=${r.off} disallowed`, idx);
  if (!tnumIsConst(r.varOff) || r.varOff.value) {
    reject(`variable ${regTypeStr(r)} access var_off=${tnumStr(r.varOff)} disallowed`, idx);
  }
}

/** A loaded value of `size` bytes: `coerce_reg_to_size(_sx)` of `r` (an unknown scalar by default). */
export function narrow(r: Reg, size: number, signed = false): Reg {
  if (size >= 8 || r.type !== 'SCALAR_VALUE') return r;
  if (signed) coerceToSizeSx(r, size);
  else coerceToSize(r, size);
  return r;
}

/**
 * `check_ptr_alignment`: stack accesses are always checked, others only when the access asks
 * for strict alignment (atomics); x86 has efficient unaligned access otherwise.
 */
export function checkAlignment(idx: number, r: Reg, off: number, size: number, strict: boolean): void {
  if (isPktPointer(r) && !r.maybeNull) {
    if (!strict || size === 1) return;
    // NET_IP_ALIGN is 2 on the platforms where the kernel checks packet alignment.
    const at = tnumAdd(r.varOff, tnumConst(BigInt(2 + r.off + off)));
    if (!tnumIsAligned(at, size)) reject(`misaligned packet access off 2+${tnumStrn(r.varOff)}+${r.off}+${off} size ${size}`, idx);
    return;
  }
  const desc = r.maybeNull ? '' : ({ PTR_TO_MAP_KEY: 'key ', PTR_TO_MAP_VALUE: 'value ', PTR_TO_CTX: 'context ', PTR_TO_STACK: 'stack ' } as Record<string, string>)[r.type] ?? '';
  if (r.type === 'PTR_TO_STACK') strict = true;
  if (!strict || size === 1) return;
  const at = tnumAdd(r.varOff, tnumConst(BigInt(r.off + off)));
  if (!tnumIsAligned(at, size)) reject(`misaligned ${desc}access off ${tnumStrn(r.varOff)}+${r.off}+${off} size ${size}`, idx);
}

/**
 * `check_mem_access` for a load (`valueOut` receives the loaded value) or a store of
 * `value` (undefined for BPF_ST with `stImm`).
 */
export function checkMemAccess(
  env: Env,
  idx: number,
  regno: number,
  off: number,
  size: number,
  write: boolean,
  value: Reg | undefined,
  stImm: number | undefined,
  signed = false,
  strictAlignment = false,
  /** A load whose value goes to no register (an atomic without fetch): `value_regno` < 0. */
  noDst = false,
): Reg | undefined {
  const r = curFrame(env.cur).regs[regno]!;
  env.scratched.regs.add(regno);
  checkAlignment(idx, r, off, size, strictAlignment);
  let out: Reg | undefined;
  const full = off + r.off;
  if (r.type === 'PTR_TO_CTX' && !r.maybeNull) {
    checkPtrOffReg(env, idx, regno, r);
    // xdp_is_valid_access: egress_ifindex (offset 20) only in a BPF_XDP_DEVMAP program; sign-extending
    // loads of the pointer fields (data, data_end, data_meta) are refused.
    const ok = !write && full >= 0 && full < XDP_MD_SIZE && full % size === 0 && size === 4 && (full !== 20 || env.devmapProg === true) && !(signed && full <= 8);
    if (!ok) reject(`invalid bpf_context access off=${full} size=${size}`, idx);
    if (full === 0) out = pointer('PTR_TO_PACKET');
    else if (full === 4) out = pointer('PTR_TO_PACKET_END');
    else if (full === 8) out = pointer('PTR_TO_PACKET_META');
    else out = narrow(unknownScalar(), 4, signed);
    return out;
  }
  if ((r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META') && !r.maybeNull) {
    if (r.smin < 0n) {
      reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, idx);
    }
    checkMemRange(env, idx, regno, r, full, size, r.range < 0 ? -1 : r.range, false) ||
      reject(`R${regno} offset is outside of the packet`, idx);
    return write ? undefined : narrow(unknownScalar(), size, signed);
  }
  if (r.type === 'PTR_TO_MAP_VALUE' && !r.maybeNull) {
    const m = env.maps[r.map]!;
    checkMapAccessType(idx, m, full, size, write);
    checkRegion(env, idx, regno, r, full, size, m.valueSize, false);
    if (m.spinLockOff !== undefined) {
      // check_map_access: no load or store may touch the lock's 4 bytes.
      const lo = full + Number(BigInt.asIntN(64, r.smin));
      const hi = full + Number(BigInt.asIntN(64, r.smax > BigInt(m.valueSize) ? BigInt(m.valueSize) : r.smax)) + size;
      if (lo < m.spinLockOff + 4 && m.spinLockOff < hi) reject('bpf_spin_lock cannot be accessed directly by load/store', idx);
    }
    if (!write && m.readOnly && m.initialValue && tnumIsConst(r.varOff)) {
      // A frozen BPF_F_RDONLY_PROG map (.rodata) is read at verification time
      // (bpf_map_direct_read): the load gives a known constant.
      const at = full + Number(BigInt.asIntN(64, r.varOff.value));
      let v = 0n;
      for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(m.initialValue[at + b] ?? 0);
      if (signed) v = BigInt.asUintN(64, BigInt.asIntN(size * 8, v));
      const k = unknownScalar();
      markKnown(k, v);
      return k;
    }
    return write ? undefined : narrow(unknownScalar(), size, signed);
  }
  if (r.type === 'PTR_TO_MEM' && !r.maybeNull) {
    if (write && r.rdonly) reject(`R${regno} cannot write into ${regTypeStr(r)}`, idx);
    checkRegion(env, idx, regno, r, full, size, r.memSize, false);
    return write ? undefined : narrow(unknownScalar(), size, signed);
  }
  if (r.type === 'PTR_TO_STACK') {
    const [lo, hi] = stackBounds(env, idx, regno, r, off, size, write ? ' write to' : ' read from');
    const f = stackFrame(env, r);
    if (!tnumIsConst(r.varOff)) {
      // Variable-offset stack access (privileged only).
      if (!env.privileged) reject(`R${regno} variable stack access prohibited for !root, var_off=${tnumStr(r.varOff)} off=${off}`, idx);
      if (write) {
        stackWriteVarOff(env, f, lo, hi, value, stImm);
        return undefined;
      }
      // check_stack_read: only a load into a register may have a variable offset.
      if (noDst) reject(`variable offset stack pointer cannot be passed into helper function; var_off=${tnumStr(r.varOff)} off=${full} size=${size}`, idx);
      return narrow(stackReadVarOff(env, f, lo, hi), size, signed);
    }
    if (write) {
      stackWrite(env, idx, f, lo, size, value, stImm);
      return undefined;
    }
    return narrow(stackRead(env, idx, f, lo, size), size, signed);
  }
  if (r.type === 'CONST_PTR_TO_MAP' && env.privileged) {
    // check_ptr_to_map_access: root may read `struct bpf_map` fields (BTF-typed in the kernel;
    // modelled as unknown scalars), never write them.
    const st = MAP_STRUCT[env.maps[r.map]?.type ?? 0] ?? 'bpf_map';
    if (write) reject(`only read from ${st} is supported`, idx);
    if (full < 0) reject(`R${regno} is ${st} invalid negative access: off=${full}`, idx);
    return narrow(unknownScalar(), size);
  }
  if (isSockPointer(r) && !r.maybeNull) return checkSockAccess(env, idx, regno, r, full, size, write, signed);
  if (r.type === 'PTR_TO_BTF_ID' && !r.maybeNull) return checkBtfAccess(env, idx, regno, r, full, size, write, signed);
  reject(`R${regno} invalid mem access '${regTypeStr(r)}'`, idx);
}

/** UAPI map flags: the program may only read (RDONLY_PROG, also frozen .rodata) or only write. */
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;

/** `check_map_access_type`: the map's BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG flags. */
function checkMapAccessType(idx: number, m: MapSpec, off: number, size: number, write: boolean): void {
  if (write && (m.readOnly || m.flags & BPF_F_RDONLY_PROG)) {
    reject(`write into map forbidden, value_size=${m.valueSize} off=${off} size=${size}`, idx);
  }
  if (!write && m.flags & BPF_F_WRONLY_PROG) reject(`read from map forbidden, value_size=${m.valueSize} off=${off} size=${size}`, idx);
}

/**
 * `check_helper_mem_access`: a helper reads (or writes) `size` bytes through register `regno`.
 * `size` is the largest possible size; `uninitOk` for MEM_UNINIT arguments the helper fills.
 */
export function checkHelperMem(env: Env, idx: number, regno: number, size: number, write: boolean, uninitOk: boolean, zeroOk: boolean): void {
  const r = curFrame(env.cur).regs[regno]!;
  switch (r.type) {
    case 'PTR_TO_PACKET':
    case 'PTR_TO_PACKET_META':
      if (r.smin < 0n) reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, idx);
      checkMemRange(env, idx, regno, r, r.off, size, r.range < 0 ? -1 : r.range, zeroOk) ||
        reject(`R${regno} offset is outside of the packet`, idx);
      return;
    case 'PTR_TO_MAP_VALUE': {
      const m = env.maps[r.map]!;
      checkMapAccessType(idx, m, r.off, size, write);
      checkRegion(env, idx, regno, r, r.off, size, m.valueSize, zeroOk);
      return;
    }
    case 'PTR_TO_MEM':
      if (write && r.rdonly) reject(`R${regno} cannot write into ${regTypeStr(r)}`, idx);
      checkRegion(env, idx, regno, r, r.off, size, r.memSize, zeroOk);
      return;
    case 'PTR_TO_STACK': {
      if (size === 0 && zeroOk) return;
      const [lo, hi] = stackBounds(env, idx, regno, r, 0, size, write ? ' write to' : ' read from');
      const f = stackFrame(env, r);
      // check_stack_range_initialized does not scratch the slots a helper reads (the kernel's
      // log shows no fp-N after such a call); helper writes go through check_mem_access, which does.
      if (uninitOk || write) touch(env, f, lo, hi);
      else if (-lo > f.depth) f.depth = -lo;
      if (uninitOk || write) {
        // The helper fills the bytes: they become initialised scalars.
        for (let a = lo; a < hi; a++) {
          const s = (-a - 1) >> 3;
          if (f.spills[s] && uninitOk) { f.spills[s] = undefined; for (let j = 0; j < 8; j++) f.stack[s * 8 + j] = 'm'; }
          if (uninitOk) f.stack[-a - 1] = 'm';
        }
        if (uninitOk) return;
      }
      for (let a = lo; a < hi; a++) {
        const b = f.stack[-a - 1] ?? '?';
        if (b === '?' && !env.privileged) {
          reject(`invalid indirect read from stack R${regno} off ${lo}+${a - lo} size ${size}`, idx);
        }
        if (!write) continue;
        // check_stack_range_initialized's clobber: what may be written is unknown afterwards.
        if (b === 'r') {
          const s = (-a - 1) >> 3;
          f.spills[s] = undefined;
          for (let j = 0; j < 8; j++) if (f.stack[s * 8 + j] !== '?') f.stack[s * 8 + j] = 'm';
        } else f.stack[-a - 1] = 'm';
      }
      return;
    }
    default:
      if (r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n) {
        if (zeroOk && size === 0) return;
        reject(`R${regno} type=scalar expected=fp`, idx);
      }
      reject(`R${regno} type=${regTypeStr(r)} expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_`, idx);
  }
}

