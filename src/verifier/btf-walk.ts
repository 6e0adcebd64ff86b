/**
 * Loads and stores through a pointer to a BTF-typed kernel object (`PTR_TO_BTF_ID`), as
 * kernel/bpf/verifier.c `check_ptr_to_btf_access` and kernel/bpf/btf.c `btf_struct_walk` check
 * them: reads must land inside one scalar member (or a whole pointer member), writes are what the
 * program type's `btf_struct_access` allows — for XDP, net/netfilter/nf_conntrack_bpf.c
 * `_nf_conntrack_btf_struct_access`: only `nf_conn.mark`.
 */
import { type Env, reject } from './env';
import { KFUNC_STRUCTS } from './kfunc-structs';
import { type Reg, unknownScalar } from './reg-state';
import { coerceToSize, coerceToSizeSx } from './scalar-alu';
import { tnumIsConst, tnumStr } from './tnum';

/** A type as the walk needs it (BTF with modifiers and typedefs skipped). */
export type KernelType =
  | { kind: 'struct' | 'union'; name: string; size: number; members: { name: string; bitOff: number; bitSize: number; type: number }[] }
  | { kind: 'int'; name: string; size: number }
  | { kind: 'ptr'; to: string }
  | { kind: 'array'; elem: number; count: number }
  | { kind: 'void' };

/** A set of kernel structs by name, with the types they contain (indexes into `types`). */
export interface KernelStructs {
  roots: Record<string, number>;
  types: KernelType[];
}

/** The kernel structs a `PTR_TO_BTF_ID` register may point to; `Reg.map` indexes this list. */
export const BTF_STRUCT_NAMES: readonly string[] = Object.keys(KFUNC_STRUCTS.roots);

/** The index of struct `name` for `Reg.map` (throws on a struct the table lacks: a bug here). */
export function btfStructIndex(name: string): number {
  const i = BTF_STRUCT_NAMES.indexOf(name);
  if (i < 0) throw new Error(`no kernel struct ${name}`);
  return i;
}

/** The struct name of a `PTR_TO_BTF_ID` register. */
export const btfStructName = (r: Reg): string => BTF_STRUCT_NAMES[r.map] ?? '?';

const T = KFUNC_STRUCTS.types;

/** `__btf_resolve_size`: the size of a type, arrays multiplied out, with the innermost element. */
function resolveSize(t: number): { size: number; elem: number; count: number } {
  let count = 1;
  let x = T[t]!;
  while (x.kind === 'array') {
    count *= x.count;
    t = x.elem;
    x = T[t]!;
  }
  const size = x.kind === 'ptr' ? 8 : x.kind === 'void' ? 0 : x.size;
  return { size: size * count, elem: t, count };
}

type Walk = { kind: 'scalar' } | { kind: 'ptr'; to: string; member: string };

/** `btf_struct_walk` + the WALK_STRUCT loop of `btf_struct_access`, for a read of `size` bytes at `off`. */
function walk(idx: number, start: number, off0: number, size: number): Walk {
  let t = start;
  let off = off0;
  let untrusted = false;
  for (;;) {
    const st = T[t]!;
    if (st.kind !== 'struct' && st.kind !== 'union') reject(`Type '${'name' in st ? st.name : ''}' is not a struct`, idx, 'EINVAL');
    // Walking a union of several members yields untrusted results (no member-end check).
    if (st.kind === 'union' && st.members.length !== 1) untrusted = true;
    if (off + size > st.size) reject(`access beyond struct ${st.name} at off ${off} size ${size}`, idx);
    let next: { t: number; off: number } | undefined;
    let found: Walk | undefined;
    for (const m of st.members) {
      let moff = m.bitOff >> 3;
      if (off + size <= moff) break;
      if (m.bitSize) {
        if (off <= moff && Math.ceil((m.bitOff + m.bitSize) / 8) <= off + size) return { kind: 'scalar' };
        continue;
      }
      if (off < moff) break;
      const r = resolveSize(m.type);
      let msize = r.size;
      const end = moff + msize;
      if (off >= end) continue;
      let mt = m.type;
      if (T[mt]!.kind === 'array') {
        if (moff === end) continue;
        msize /= r.count;
        moff += Math.floor((off - moff) / msize) * msize;
        mt = r.elem;
      }
      const x = T[mt]!;
      if (x.kind === 'struct' || x.kind === 'union') {
        next = { t: mt, off: off - moff };
        break;
      }
      if (x.kind === 'ptr') {
        if (msize !== size || off !== moff) {
          reject(`cannot access ptr member ${m.name} with moff ${moff} in struct ${st.name} with off ${off} size ${size}`, idx);
        }
        found = { kind: 'ptr', to: x.to, member: m.name };
        break;
      }
      if (off + size > moff + msize && !untrusted) {
        reject(`access beyond the end of member ${m.name} (mend:${moff + msize}) in struct ${st.name} with off ${off} size ${size}`, idx);
      }
      return { kind: 'scalar' };
    }
    if (found) return found;
    if (!next) reject(`struct ${st.name} doesn't have field at offset ${off}`, idx, 'EINVAL');
    t = next.t;
    off = next.off;
  }
}

/** `_nf_conntrack_btf_struct_access`: of `struct nf_conn` (and `nf_conn___init`), XDP may write `mark` only. */
function checkWrite(idx: number, name: string, off: number, size: number): void {
  if (name !== 'nf_conn' && name !== 'nf_conn___init') reject('only read is supported', idx);
  const nfConn = T[KFUNC_STRUCTS.roots['nf_conn']!]!;
  const mark = nfConn.kind === 'struct' ? nfConn.members.find((m) => m.name === 'mark') : undefined;
  const at = (mark?.bitOff ?? -8) >> 3;
  if (off !== at) reject(`no write support to nf_conn at off ${off}`, idx);
  if (off + size > at + 4) reject(`write access at off ${off} with size ${size} beyond the member of nf_conn ended at ${at + 4}`, idx);
}

/** `check_ptr_to_btf_access`: a load (returns the loaded register) or store through `r`. */
export function checkBtfAccess(env: Env, idx: number, regno: number, r: Reg, off: number, size: number, write: boolean, signed: boolean): Reg | undefined {
  const name = btfStructName(r);
  if (!env.privileged) reject(`'struct ${name}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN`, idx);
  if (!env.gpl) reject(`Cannot access kernel 'struct ${name}' from non-GPL compatible program`, idx);
  if (off < 0) reject(`R${regno} is ptr_${name} invalid negative access: off=${off}`, idx);
  if (!tnumIsConst(r.varOff) || r.varOff.value !== 0n) {
    reject(`R${regno} is ptr_${name} invalid variable offset: off=${off}, var_off=${tnumStr(r.varOff)}`, idx);
  }
  if (write) {
    checkWrite(idx, name, off, size);
    return undefined;
  }
  const w = walk(idx, KFUNC_STRUCTS.roots[name]!, off, size);
  if (w.kind === 'ptr') {
    // The kernel gives a BTF pointer to the member's struct; xdpts knows the layouts of nf_conn only.
    reject(`xdpts: reading pointer member ${w.member} (struct ${w.to} *) of struct ${name} is not emulated`, idx, 'EOPNOTSUPP');
  }
  const v = unknownScalar();
  if (size < 8) (signed ? coerceToSizeSx : coerceToSize)(v, size);
  return v;
}
