/**
 * Acquired references and the socket pointers they mostly are (kernel/bpf/verifier.c
 * `acquire_reference`, `release_reference`, `check_reference_leak`, `check_sock_access`;
 * net/core/filter.c `bpf_sock_is_valid_access`, `bpf_sock_common_is_valid_access`).
 *
 * bpf_sk_lookup_tcp/udp return `sock_or_null`, bpf_skc_lookup_tcp `sock_common_or_null`, each
 * holding a fresh reference (`id` = `ref_obj_id`, the null check drops `id` and keeps the
 * reference); bpf_sk_release takes any socket type back and turns every copy of the pointer
 * (registers and spilled slots) into an unknown scalar. Socket pointers are read-only, take no
 * arithmetic, and their fields are read by the `struct bpf_sock` rules.
 */
import { type Env, reject } from './env';
import { regTypeStr } from './print';
import { type Reg, type RegType, pointer, unknownScalar } from './reg-state';
import { coerceToSize, coerceToSizeSx } from './scalar-alu';

/** The socket pointer types (`type_is_sk_pointer`). */
const SOCK_TYPES: ReadonlySet<RegType> = new Set(['PTR_TO_SOCKET', 'PTR_TO_SOCK_COMMON', 'PTR_TO_TCP_SOCK']);

/** True for a pointer to a socket of any kind, NULL-checked or not. */
export const isSockPointer = (r: Reg): boolean => SOCK_TYPES.has(r.type);

/** `sizeof(struct bpf_sock)` (include/uapi/linux/bpf.h). */
const BPF_SOCK_SIZE = 80;
/** Offsets in `struct bpf_sock`. */
const SK = { type: 8, priority: 20, srcIp4: 24, srcIp6: 28, dstPort: 48, dstPortEnd: 50, dstIp4: 52, dstIp6: 56 } as const;

/** `bpf_ctx_narrow_access_ok`: a power-of-two size no wider than the field (alignment is checked before). */
const narrowOk = (size: number, fieldSize: number): boolean => size <= fieldSize && (size & (size - 1)) === 0;

/** `bpf_sock_is_valid_access`: which reads of `struct bpf_sock` the kernel rewrites. */
function sockReadOk(off: number, size: number): boolean {
  if (off < 0 || off >= BPF_SOCK_SIZE || off % size !== 0) return false;
  const inRange = (lo: number, hi: number): boolean => off >= lo && off < hi;
  // state, family, type, protocol, src_port, rx_queue_mapping and the addresses allow narrow reads.
  if ([4, 8, 12, 44, 72, 76].includes(off) || inRange(SK.srcIp4, SK.srcIp6 + 16) || inRange(SK.dstIp4, SK.dstIp6 + 16)) {
    return narrowOk(size, 4);
  }
  if (inRange(SK.dstPort, SK.dstPortEnd)) return narrowOk(size, size === 4 ? 4 : 2);
  if (inRange(SK.dstPortEnd, SK.dstIp4)) return false;
  return size === 4;
}

/**
 * `check_mem_access` on a socket pointer: no stores (`cannot write into sock`), reads by the
 * `struct bpf_sock` rules (sock_common lacks type..priority) giving an unknown scalar.
 */
export function checkSockAccess(env: Env, idx: number, regno: number, r: Reg, off: number, size: number, write: boolean, signed: boolean): Reg | undefined {
  if (write) reject(`R${regno} cannot write into ${regTypeStr(r)}`, idx);
  if (r.smin < 0n) reject(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`, idx);
  let ok: boolean;
  if (r.type === 'PTR_TO_SOCK_COMMON') ok = !(off >= SK.type && off < SK.priority + 4) && sockReadOk(off, size);
  else if (r.type === 'PTR_TO_SOCKET') ok = sockReadOk(off, size);
  else ok = false;
  if (!ok) reject(`R${regno} invalid ${regTypeStr(r)} access off=${off} size=${size}`, idx);
  void env;
  // mark_reg_unknown, then the load's zero or sign extension (coerce_reg_to_size(_sx)).
  const v = unknownScalar();
  if (size < 8) (signed ? coerceToSizeSx : coerceToSize)(v, size);
  return v;
}

/** The register types an argument of a socket type accepts (`btf_id_sock_common_types`, `sock_types`). */
export function sockArgOk(r: Reg): boolean {
  return isSockPointer(r) && !r.maybeNull;
}

/**
 * `acquire_reference` for a helper or kfunc result that may be NULL: a pointer of `type`
 * whose `id` (for the null check) and `ref_obj_id` are one fresh reference.
 */
export function acquirePointer(env: Env, idx: number, type: RegType, extra: Partial<Reg> = {}): Reg {
  // check_helper_call gives a nullable result an id first; acquire_reference takes the next one.
  ++env.idGen;
  const id = ++env.idGen;
  env.cur.refs.push({ id, insn: idx });
  return pointer(type, { maybeNull: true, id, refObjId: id, ...extra });
}

/** `release_reference`: the reference ends, every pointer holding it becomes an unknown scalar. */
export function releaseReference(env: Env, idx: number, id: number): void {
  if (!env.cur.refs.some((x) => x.id === id)) reject(`release reference id=${id} not found`, idx);
  env.cur.refs = env.cur.refs.filter((x) => x.id !== id);
  for (const f of env.cur.frames) {
    for (let k = 0; k < f.regs.length; k++) if (f.regs[k]!.refObjId === id) f.regs[k] = unknownScalar();
    for (let k = 0; k < f.spills.length; k++) if (f.spills[k]?.refObjId === id) f.spills[k] = unknownScalar();
  }
}

/**
 * `check_resource_leak` (tail calls, the main program's exit): every reference still held is
 * named, then the refusal (EINVAL).
 */
export function checkReferenceLeak(env: Env, idx: number, prefix: string): void {
  if (!env.cur.refs.length) return;
  const held = env.cur.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`);
  reject(held[0]!, idx, 'EINVAL', [...held.slice(1), `${prefix} would lead to reference leak`]);
}

/**
 * Pointer types whose loads and stores the kernel rewrites per type (context-like accesses):
 * one instruction may not serve two of them (`reg_type_mismatch_ok` is false for these).
 */
const CONVERTED: ReadonlySet<RegType> = new Set(['PTR_TO_CTX', 'PTR_TO_SOCKET', 'PTR_TO_SOCK_COMMON', 'PTR_TO_TCP_SOCK', 'PTR_TO_BTF_ID']);

/**
 * `save_aux_ptr_type`: the first pointer type a load or store instruction is verified with is
 * remembered; another type on a later path is refused when either of them is context-like,
 * since the instruction is rewritten once for one of them.
 */
export function saveAuxPtrType(env: Env, idx: number, r: Reg): void {
  const type = `${r.type}${r.rdonly ? '|rdonly' : ''}${r.ringbuf ? '|ringbuf' : ''}`;
  env.auxPtrType ??= new Map();
  const prev = env.auxPtrType.get(idx);
  if (prev === undefined) {
    env.auxPtrType.set(idx, type);
    return;
  }
  if (prev === type) return;
  const base = (t: string): RegType => t.split('|')[0] as RegType;
  if (CONVERTED.has(base(type)) || CONVERTED.has(base(prev))) {
    // Trusted and untrusted BTF pointers merge (xdpts has only trusted ones).
    if (base(type) === 'PTR_TO_BTF_ID' && base(prev) === 'PTR_TO_BTF_ID') return;
    reject('same insn cannot be used with different pointers', idx, 'EINVAL');
  }
}
