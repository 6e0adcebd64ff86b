/**
 * What the kernel checks when libxdp loads a component as `BPF_PROG_TYPE_EXT` (freplace) into a
 * dispatcher slot (libxdp.c `xdp_multiprog__link_prog` → bpf_check → check_attach_btf_id →
 * bpf_check_attach_target): kernel/bpf/btf.c `btf_check_type_match` refuses a program loaded
 * without func info ("Program extension requires BTF"), then `btf_check_func_type_match`
 * compares its FUNC with the slot's — `int prog0(struct xdp_md *ctx)` (`xdp_dispatcher` itself
 * when the dispatcher has one slot): both global, the same number of arguments, the same kind
 * of return type, and each argument either a scalar or a pointer to a struct of the same name.
 * Every refusal is EINVAL with one log line. (This machine's kernel refuses every freplace load
 * with EPERM before these checks, so they are taken from the kernel source, v6.18.)
 */
import type { Btf, BtfType } from '../../btf/types';
import type { ObjectSpec, ProgramSpec } from '../../object/types';

/** `btf_type_str`: the kernel's kind names (kernel/bpf/btf.c btf_kind_str). */
const KIND_STR: Record<BtfType['kind'], string> = {
  void: 'UNKN', int: 'INT', ptr: 'PTR', array: 'ARRAY', struct: 'STRUCT', union: 'UNION', enum: 'ENUM', fwd: 'FWD',
  typedef: 'TYPEDEF', volatile: 'VOLATILE', const: 'CONST', restrict: 'RESTRICT', func: 'FUNC', func_proto: 'FUNC_PROTO',
  var: 'VAR', datasec: 'DATASEC', float: 'FLOAT', decl_tag: 'DECL_TAG', type_tag: 'TYPE_TAG', enum64: 'ENUM64',
};

/** The dispatcher slot's signature: `int NAME(struct xdp_md *ctx)`, global (xdp-dispatcher.c). */
const SLOT = { arg: 'xdp_md' } as const;

const typeAt = (btf: Btf, id: number): BtfType => btf.types[id] ?? { kind: 'void' };

/** `btf_type_skip_modifiers`: past typedef, volatile, const, restrict and type tags. */
function skipModifiers(btf: Btf, id: number): BtfType {
  let t = typeAt(btf, id);
  for (let n = 0; n < 64 && (t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag'); n++) t = typeAt(btf, t.type);
  return t;
}

/** `struct btf_type.info` as the kernel compares it: kind, vlen and kind_flag. */
function info(t: BtfType): string {
  const vlen = t.kind === 'struct' || t.kind === 'union' ? t.members.length : t.kind === 'enum' || t.kind === 'enum64' ? t.values.length : t.kind === 'func_proto' ? t.params.length : t.kind === 'datasec' ? t.vars.length : 0;
  const kflag = (t.kind === 'struct' || t.kind === 'union') && t.kflag ? 1 : (t.kind === 'enum' || t.kind === 'enum64') && t.signed ? 1 : t.kind === 'fwd' && t.union ? 1 : 0;
  return `${t.kind}/${vlen}/${kflag}`;
}

/**
 * The verifier log line with which the kernel refuses `prog` of `spec` as the freplace program
 * for the dispatcher function `target` (`prog0`..`prog9` or `xdp_dispatcher`), or undefined when
 * it is accepted.
 */
export function freplaceRefusal(spec: ObjectSpec, prog: ProgramSpec, target: string): string | undefined {
  const btf = spec.btf;
  const fi = spec.btfExt?.funcInfo.get(prog.section) ?? [];
  if (!btf || fi.length === 0 || !prog.btfFuncId) return 'Program extension requires BTF';
  const fn = typeAt(btf, prog.btfFuncId);
  if (fn.kind !== 'func') return 'Program extension requires BTF';
  const fn1 = fn.name;
  if (fn.linkage !== 1) return `${fn1}() is not a global function`;
  const proto = typeAt(btf, fn.type);
  if (proto.kind !== 'func_proto') return `${fn1}() is not a global function`;
  if (proto.params.length !== 1) return `${fn1}() has ${proto.params.length} args while ${target}() has 1 args`;
  const ret = skipModifiers(btf, proto.returnType);
  // The kernel compares `info` (kind, vlen, kind_flag): any INT matches `int`.
  if (info(ret) !== 'int/0/0') return `Return type ${KIND_STR[ret.kind]} of ${fn1}() doesn't match type INT of ${target}()`;
  const a = skipModifiers(btf, proto.params[0]!.type);
  if (a.kind !== 'ptr') return `arg0 in ${fn1}() is ${KIND_STR[a.kind]} while ${target}() has PTR`;
  const s = skipModifiers(btf, a.type);
  if (s.kind !== 'struct' && s.kind !== 'union') return `arg0 in ${fn1}() is not a pointer to context`;
  if (s.name !== SLOT.arg) return `arg0 ${fn1}(struct ${s.name} *) doesn't match ${target}(struct ${SLOT.arg} *)`;
  return undefined;
}

/** The dispatcher function a component at `slot` replaces, for a dispatcher of `total` programs. */
export function slotFunction(slot: number, total: number): string {
  return total === 1 ? 'xdp_dispatcher' : `prog${slot}`;
}
