/**
 * Kernel-style printing of register and frame state (kernel/bpf/log.c `print_reg_state`,
 * `print_scalar_ranges`, `print_verifier_state`): `R1=ctx()`, `R0=scalar(smin=...)`,
 * `R2=pkt(off=14,r=14)`, `fp-8=0000????`.
 */
import type { MapSpec } from '../object/types';
import type { Reg } from './reg-state';
import { S32_MAX, S32_MIN, S64_MAX, S64_MIN, baseId, hasAddConst } from './reg-state';
import type { Frame } from './state';
import { btfStructName } from './btf-walk';
import { U32_MAX, U64_MAX, tnumIsConst, tnumIsUnknown, tnumStr } from './tnum';

/** `verbose_unum`: numbers up to U16_MAX in decimal, others in hex. */
export function unum(v: bigint): string {
  const x = BigInt.asUintN(64, v);
  return x <= 0xffffn ? `${x}` : `0x${x.toString(16)}`;
}
/** `verbose_snum`: numbers in [S16_MIN, S16_MAX] in decimal. */
export function snum(v: bigint): string {
  const x = BigInt.asIntN(64, v);
  return x >= -32768n && x <= 32767n ? `${x}` : `0x${BigInt.asUintN(64, x).toString(16)}`;
}

/** `reg_type_str`: the short type name the log uses. */
export function regTypeStr(r: Pick<Reg, 'type' | 'maybeNull' | 'rdonly' | 'ringbuf'>): string {
  const base: Record<string, string> = {
    NOT_INIT: '?', SCALAR_VALUE: 'scalar', PTR_TO_CTX: 'ctx', CONST_PTR_TO_MAP: 'map_ptr',
    PTR_TO_MAP_VALUE: 'map_value', PTR_TO_MAP_KEY: 'map_key', PTR_TO_STACK: 'fp',
    PTR_TO_PACKET_META: 'pkt_meta', PTR_TO_PACKET: 'pkt', PTR_TO_PACKET_END: 'pkt_end',
    PTR_TO_MEM: 'mem', PTR_TO_FUNC: 'func', PTR_TO_SOCKET: 'sock', PTR_TO_SOCK_COMMON: 'sock_common',
    PTR_TO_TCP_SOCK: 'tcp_sock',
  };
  let s = base[r.type] ?? r.type;
  if (r.ringbuf) s = `ringbuf_${s}`;
  if (r.rdonly) s = `rdonly_${s}`;
  // A BTF object's name follows (print_reg_state), so its null flag goes before it: `ptr_or_null_`.
  if (r.type === 'PTR_TO_BTF_ID') return r.maybeNull ? 'ptr_or_null_' : 'ptr_';
  if (r.maybeNull) s = `${s}_or_null`;
  return s;
}

const small = (v: bigint): boolean => v >= -32768n && v <= 32767n;

/** `print_scalar_ranges`: bounds that are not the type's default, equal ones merged. */
function scalarRanges(r: Reg): string[] {
  const m = [
    { name: 'smin', val: r.smin, omit: r.smin === S64_MIN },
    { name: 'smax', val: r.smax, omit: r.smax === S64_MAX },
    { name: 'umin', val: r.umin, omit: r.umin === 0n },
    { name: 'umax', val: r.umax, omit: r.umax === U64_MAX },
    // Hex 32-bit signed bounds print without sign extension (smin32=0xfffffffe).
    { name: 'smin32', val: small(r.s32min) ? r.s32min : BigInt.asUintN(32, r.s32min), omit: r.s32min === S32_MIN },
    { name: 'smax32', val: small(r.s32max) ? r.s32max : BigInt.asUintN(32, r.s32max), omit: r.s32max === S32_MAX },
    { name: 'umin32', val: r.u32min, omit: r.u32min === 0n },
    { name: 'umax32', val: r.u32max, omit: r.u32max === U32_MAX },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i]!;
    if (m1.omit) continue;
    const signed = m1.name[0] === 's';
    const neg1 = signed && m1.val < 0n;
    let s = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j]!;
      if (m2.omit || BigInt.asUintN(64, m2.val) !== BigInt.asUintN(64, m1.val)) continue;
      const neg2 = m2.name[0] === 's' && m2.val < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      s += `${m2.name}=`;
    }
    s += signed ? snum(m1.val) : unum(m1.val);
    out.push(s);
  }
  if (!tnumIsUnknown(r.varOff)) out.push(`var_off=${tnumStr(r.varOff)}`);
  return out;
}

/** `print_reg_state`: one register's value (without the `R1=` prefix). */
export function regString(r: Reg, maps: readonly MapSpec[], curFrameno = 0): string {
  if (r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff)) return `${r.precise ? 'P' : ''}${snum(r.varOff.value)}`;
  let s = r.type === 'SCALAR_VALUE' && r.precise ? 'P' : '';
  s += regTypeStr(r);
  if (r.type === 'PTR_TO_BTF_ID') s += btfStructName(r);
  if (r.type === 'PTR_TO_STACK') {
    if (r.frameno !== curFrameno) s += `[${r.frameno}]`;
    if (tnumIsConst(r.varOff)) return s + snum(r.varOff.value + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${baseId(r.id)}${hasAddConst(r.id) ? (r.off < 0 ? r.off : `+${r.off}`) : ''}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  // print_reg_state's order: ids, map sizes, off, range, size, then the scalar part.
  if (r.type === 'CONST_PTR_TO_MAP' || r.type === 'PTR_TO_MAP_VALUE' || r.type === 'PTR_TO_MAP_KEY') {
    const m = maps[r.map];
    // The kernel keeps BPF_OBJ_NAME_LEN - 1 characters of a map's name.
    if (m?.name) parts.push(`map=${m.name.slice(0, 15)}`);
    if (m) parts.push(`ks=${m.keySize},vs=${m.valueSize}`);
  }
  if (r.type !== 'SCALAR_VALUE' && r.off) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META') parts.push(`r=${unum(BigInt(r.range))}`);
  if (r.type === 'PTR_TO_MEM') parts.push(`sz=${unum(BigInt(r.memSize))}`);
  if (tnumIsConst(r.varOff)) {
    if (r.varOff.value) parts.push(`imm=${snum(r.varOff.value)}`);
  } else parts.push(...scalarRanges(r));
  return `${s}(${parts.join(',')})`;
}

/**
 * One stack slot as the log prints it (`fp-8=0000????`, `fp-8=ctx()`, or for a narrow spill
 * the bytes above it then the register: `fp-8=0000scalar()`); undefined if empty.
 */
export function slotString(f: Frame, spi: number, maps: readonly MapSpec[]): string | undefined {
  const name = `fp${-(spi + 1) * 8}`;
  let s = '';
  let any = false;
  for (let j = 0; j < 8; j++) {
    const b = f.stack[spi * 8 + j] ?? '?';
    if (b !== '?') any = true;
    s += b;
  }
  if (!any) return undefined;
  const sp = f.stack[spi * 8 + 7] === 'r' ? f.spills[spi] : undefined;
  if (sp) return `${name}=${s.slice(0, s.indexOf('r'))}${regString(sp, maps, f.frameno)}`;
  return `${name}=${s}`;
}

/**
 * `print_verifier_state`: the live registers and stack of a frame. `only` restricts the output
 * to the registers and slots an instruction touched (the `; R0=2` part of an insn line).
 */
export function frameString(
  f: Frame,
  maps: readonly MapSpec[],
  only?: { regs: Set<number>; slots: Set<number> },
  refs: readonly { id: number }[] = [],
): string {
  const out: string[] = [];
  if (f.frameno) out.push(`frame${f.frameno}:`);
  for (let i = 0; i < f.regs.length; i++) {
    const r = f.regs[i]!;
    if (r.type === 'NOT_INIT') continue;
    if (only && !only.regs.has(i)) continue;
    out.push(`R${i}=${regString(r, maps, f.frameno)}`);
  }
  const nslots = Math.max(f.spills.length, Math.ceil(f.stack.length / 8));
  for (let spi = 0; spi < nslots; spi++) {
    if (only && !only.slots.has(spi)) continue;
    const s = slotString(f, spi, maps);
    if (s) out.push(s);
  }
  if (refs.length) out.push(`refs=${refs.map((x) => x.id).join(',')}`);
  if (f.inCallback) out.push('cb');
  return out.join(' ');
}
