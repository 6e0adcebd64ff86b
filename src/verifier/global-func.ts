/**
 * Global (non-static) subprograms (kernel/bpf/btf.c `btf_prepare_func_args`, verifier.c
 * `btf_check_func_arg_match`, `check_func_call`, `do_check_subprogs`): a function whose BTF FUNC
 * has global linkage is verified once, on its own, with registers made from its BTF prototype
 * (int/enum: unknown scalar; pointer to the program's ctx type or tagged `arg:ctx`: ctx; any other
 * pointer: `mem_or_null` of the pointee's size, `mem` when tagged `arg:nonnull`); a call to it
 * only checks the caller's registers against that prototype and returns an unknown scalar.
 */
import type { Btf, BtfType } from '../btf/types';
import { type Instruction, helperId } from '../isa';
import { xdpHelperProto } from '../isa/helper-protos';
import type { ProgramSpec } from '../object/types';
import { type Env, Reject, reject } from './env';
import { applyHelperReturn } from './check-call';
import { checkHelperMem, checkPtrOffReg } from './check-mem';
import { regTypeStr } from './print';
import { type Reg, notInit, pointer, unknownScalar } from './reg-state';
import { curFrame } from './state';
import { tnumIsConst } from './tnum';

/** `BTF_FUNC_GLOBAL` linkage. */
const BTF_FUNC_GLOBAL = 1;
/** A tail call may run a program that changes packet data. */
const TAIL_CALL = helperId('tail_call');

/** `MAX_BPF_FUNC_REG_ARGS`. */
const MAX_ARGS = 5;

/** What one argument register holds on entry (`struct bpf_subprog_arg_info`). */
export type FuncArg = { kind: 'scalar' } | { kind: 'ctx' } | { kind: 'mem'; size: number; maybeNull: boolean };

/** One subprogram as func_info describes it (`bpf_subprog_info` + `bpf_func_info_aux`). */
export interface FuncInfo {
  name: string;
  /** First slot. */
  start: number;
  btfFuncId: number;
  global: boolean;
  /** `btf_prepare_func_args`' result, once it succeeded (`args_cached`). */
  args?: FuncArg[];
  /** A call's arguments did not match once (`unreliable`): no more checks for a static one. */
  unreliable?: boolean;
  /** It or a subprogram it calls may change packet data (`changes_pkt_data`). */
  changesPkt?: boolean;
}

/** `btf_prepare_func_args` failed: what it logged and the errno. */
class PrepareError {
  constructor(readonly lines: string[], readonly errno: Reject['errno']) {}
}

const KIND_STR: Record<BtfType['kind'], string> = {
  void: 'UNKNOWN', int: 'INT', ptr: 'PTR', array: 'ARRAY', struct: 'STRUCT', union: 'UNION', enum: 'ENUM', fwd: 'FWD',
  typedef: 'TYPEDEF', volatile: 'VOLATILE', const: 'CONST', restrict: 'RESTRICT', func: 'FUNC', func_proto: 'FUNC_PROTO',
  var: 'VAR', datasec: 'DATASEC', float: 'FLOAT', decl_tag: 'DECL_TAG', type_tag: 'TYPE_TAG', enum64: 'ENUM64',
};

const typeAt = (btf: Btf, id: number): BtfType => btf.types[id] ?? { kind: 'void' };
const isModifier = (t: BtfType): boolean => t.kind === 'typedef' || t.kind === 'volatile' || t.kind === 'const' || t.kind === 'restrict' || t.kind === 'type_tag';

/** `btf_type_skip_modifiers`: the type id under typedefs and qualifiers. */
function skipMods(btf: Btf, id: number): number {
  for (let d = 0; d < 32; d++) {
    const t = typeAt(btf, id);
    if (!isModifier(t)) return id;
    id = (t as { type: number }).type;
  }
  return id;
}

const tname = (t: BtfType): string => ('name' in t ? t.name : '');

/** `btf_resolve_size`: bytes of a type, or undefined for a type without a size. */
function resolveSize(btf: Btf, id: number): number | undefined {
  let nelems = 1;
  for (let d = 0; d < 32; d++) {
    const t = typeAt(btf, id);
    switch (t.kind) {
      case 'int': case 'struct': case 'union': case 'enum': case 'enum64': case 'float':
        return nelems * t.size;
      case 'ptr':
        return nelems * 8;
      case 'array':
        nelems *= t.nelems;
        id = t.type;
        break;
      default:
        if (!isModifier(t)) return undefined;
        id = (t as { type: number }).type;
    }
  }
  return undefined;
}

/** The `arg:` decl tags of argument ARG of FUNC (`btf_find_next_decl_tag`), without `arg:`. */
function argTags(btf: Btf, func: number, arg: number): string[] {
  const out: string[] = [];
  btf.types.forEach((t) => {
    if (t.kind === 'decl_tag' && t.type === func && t.componentIdx === arg && t.name.startsWith('arg:')) out.push(t.name.slice(4));
  });
  return out;
}

/** `btf_is_prog_ctx_type` for XDP: a pointer to `struct xdp_md` (or its kernel twin xdp_buff). */
function isXdpCtxPtr(btf: Btf, ptr: Extract<BtfType, { kind: 'ptr' }>, arg: number, log: string[]): boolean {
  const t = typeAt(btf, skipMods(btf, ptr.type));
  if (t.kind !== 'struct' && t.kind !== 'union') return false;
  if (!t.name) {
    log.push(`arg#${arg} struct doesn't have a name`);
    return false;
  }
  return t.name === 'xdp_md' || t.name === 'xdp_buff';
}

/** `btf_validate_prog_ctx_type` for XDP (an `arg:ctx` argument). */
function validateCtxTag(btf: Btf, ptr: Extract<BtfType, { kind: 'ptr' }>, arg: number): void {
  const t = typeAt(btf, skipMods(btf, ptr.type));
  if (t.kind === 'void') return;
  if (!tname(t)) throw new PrepareError([`arg#${arg} type doesn't have a name`], 'EINVAL');
  if (t.kind !== 'struct' || t.name !== 'xdp_md') throw new PrepareError([`arg#${arg} should be \`struct xdp_md *\``], 'EINVAL');
}

/**
 * `btf_prepare_func_args`: the argument types of subprogram FN from its BTF prototype. Throws a
 * PrepareError with the lines the kernel logs (none for a static function it cannot type).
 */
function prepareArgs(btf: Btf, fn: FuncInfo, log: string[]): FuncArg[] {
  const silent = (): never => {
    throw new PrepareError([], 'EINVAL');
  };
  const f = typeAt(btf, fn.btfFuncId);
  if (f.kind !== 'func') throw new PrepareError([`BTF of func#? doesn't point to KIND_FUNC`], 'EFAULT');
  const proto = typeAt(btf, f.type);
  if (proto.kind !== 'func_proto') throw new PrepareError([`Invalid type of function ${f.name}()`], 'EFAULT');
  const g = fn.global;
  if (proto.params.length > MAX_ARGS) {
    if (!g) silent();
    throw new PrepareError([`Global function ${f.name}() with ${proto.params.length} > ${MAX_ARGS} args. Buggy compiler.`], 'EINVAL');
  }
  const ret = typeAt(btf, skipMods(btf, proto.returnType));
  if (ret.kind !== 'int' && ret.kind !== 'enum' && ret.kind !== 'enum64') {
    if (!g) silent();
    throw new PrepareError([`Global function ${f.name}() doesn't return scalar. Only those are supported.`], 'EINVAL');
  }
  const args: FuncArg[] = [];
  proto.params.forEach((p, i) => {
    const tags = new Set<string>();
    for (const tag of argTags(btf, fn.btfFuncId, i)) {
      if (!g) throw new PrepareError([`arg#${i} type tag is not supported in static functions`], 'EOPNOTSUPP');
      if (!['ctx', 'trusted', 'untrusted', 'nonnull', 'nullable', 'arena'].includes(tag)) {
        throw new PrepareError([`arg#${i} has unsupported set of tags`], 'EOPNOTSUPP');
      }
      tags.add(tag);
    }
    const t = typeAt(btf, skipMods(btf, p.type));
    if (t.kind === 'ptr') {
      if (tags.has('ctx') || isXdpCtxPtr(btf, t, i, log)) {
        if ([...tags].some((x) => x !== 'ctx')) throw new PrepareError([`arg#${i} has invalid combination of tags`], 'EINVAL');
        if (tags.has('ctx')) validateCtxTag(btf, t, i);
        args.push({ kind: 'ctx' });
        return;
      }
      const pointee = typeAt(btf, skipMods(btf, t.type));
      if (pointee.kind === 'struct' && pointee.name === 'bpf_dynptr') throw new PrepareError([`xdpts: dynptr argument arg#${i} is not emulated`], 'EOPNOTSUPP');
      for (const x of ['trusted', 'untrusted', 'arena']) {
        if (tags.has(x)) throw new PrepareError([`xdpts: arg#${i} tagged '${x}' is not emulated`], 'EOPNOTSUPP');
      }
      if (g) {
        if (tags.has('nullable')) throw new PrepareError([`arg#${i} has invalid combination of tags`], 'EINVAL');
        const size = resolveSize(btf, skipMods(btf, t.type));
        if (size === undefined) {
          throw new PrepareError([`arg#${i} reference type('${KIND_STR[pointee.kind]} ${tname(pointee)}') size cannot be determined: -22`], 'EINVAL');
        }
        args.push({ kind: 'mem', size, maybeNull: !tags.has('nonnull') });
        return;
      }
    }
    if (tags.size) throw new PrepareError([`arg#${i} has pointer tag, but is not a pointer type`], 'EINVAL');
    if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'enum64') {
      args.push({ kind: 'scalar' });
      return;
    }
    if (!g) silent();
    throw new PrepareError([`Arg#${i} type ${KIND_STR[t.kind]} in ${f.name}() is not supported yet.`], 'EINVAL');
  });
  fn.args = args;
  return args;
}

/** Runs a check that may reject, turning its rejection into log lines. */
function caught(lines: string[], f: () => void): Reject | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    lines.push(e.message, ...e.more);
    return e;
  }
}

const isNull = (r: Reg): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** Types check_helper_mem_access knows; any other is `R1 type=... expected=fp`. */
const MEM_TYPES = new Set(['PTR_TO_PACKET', 'PTR_TO_PACKET_META', 'PTR_TO_MAP_KEY', 'PTR_TO_MAP_VALUE', 'PTR_TO_MEM', 'PTR_TO_STACK']);

/**
 * `btf_check_func_arg_match`: the caller's R1..R5 against the prototype. Returns the errno of a
 * mismatch (its lines logged into LINES), or undefined.
 */
function matchArgs(env: Env, idx: number, args: readonly FuncArg[], lines: string[]): Reject['errno'] | undefined {
  const regs = curFrame(env.cur).regs;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const regno = i + 1;
    const r = regs[regno]!;
    if (a.kind === 'scalar') {
      if (r.type !== 'SCALAR_VALUE') return lines.push(`R${regno} is not a scalar`), 'EINVAL';
      continue;
    }
    // check_func_arg_reg_off: only ctx (and pointers the kernel never lets at a fixed offset) here.
    const off = r.type === 'PTR_TO_CTX' ? caught(lines, () => checkPtrOffReg(env, idx, regno, r)) : undefined;
    if (off) return off.errno;
    if (a.kind === 'ctx') {
      if (r.type !== 'PTR_TO_CTX') return lines.push(`arg#${i} expects pointer to ctx`), 'EINVAL';
      continue;
    }
    // check_mem_reg: a NULL constant passes; a nullable pointer is checked as if not NULL, for a
    // read and then a write of the whole size.
    if (!isNull(r)) {
      if (!MEM_TYPES.has(r.type)) return lines.push(`R${regno} type=${regTypeStr(r)} expected=fp`), 'EINVAL';
      const saved = r.maybeNull;
      r.maybeNull = false;
      const bad = caught(lines, () => {
        checkHelperMem(env, idx, regno, a.size, false, false, true);
        checkHelperMem(env, idx, regno, a.size, true, false, true);
      });
      r.maybeNull = saved;
      if (bad) return 'EINVAL';
    }
    if (!a.maybeNull && (r.maybeNull || isNull(r))) return lines.push(`arg#${i} is expected to be non-NULL`), 'EINVAL';
  }
  return undefined;
}

/** `btf_check_subprog_call`: errno of a failed check (lines logged), or undefined. */
function checkSubprogCall(env: Env, btf: Btf, fn: FuncInfo, idx: number, lines: string[]): Reject['errno'] | undefined {
  if (fn.unreliable) return 'EINVAL';
  let err: Reject['errno'] | undefined;
  try {
    err = matchArgs(env, idx, fn.args ?? prepareArgs(btf, fn, lines), lines);
  } catch (e) {
    if (!(e instanceof PrepareError)) throw e;
    lines.push(...e.lines);
    err = e.errno;
  }
  if (err) fn.unreliable = true;
  return err;
}

/**
 * `check_func_call` up to the frame set-up: the prototype check every call makes (its lines go
 * to the log even for a static callee, whose mismatch is not an error), then for a global callee
 * the whole call: R1-R5 cleared, R0 an unknown scalar, packet pointers invalidated when the
 * callee may change packet data. Returns true when the call was global (done).
 */
export function checkGlobalCall(env: Env, idx: number, k: number): boolean {
  const fn = env.funcs?.[k];
  const btf = env.btf;
  if (!fn || !btf || !fn.btfFuncId) return false;
  const lines: string[] = [];
  const err = checkSubprogCall(env, btf, fn, idx, lines);
  if (!fn.global) {
    if (env.log) lines.forEach(env.log);
    return false;
  }
  const fail = (all: string[], errno: Reject['errno']): never => reject(all[0]!, idx, errno, all.slice(1));
  if (env.cur.lock) fail([...lines, 'global function calls are not allowed while holding a lock,', 'use static function instead'], 'EINVAL');
  if (err) fail([...lines, `Caller passes invalid args into func#${k} ('${fn.name}')`], err);
  env.log?.(`Func#${k} ('${fn.name}') is global and assumed valid.`);
  (env.calledGlobals ??= new Set()).add(k);
  if (fn.changesPkt) applyHelperReturn(env, true);
  const regs = curFrame(env.cur).regs;
  for (let r = 1; r <= 5; r++) regs[r] = notInit();
  regs[0] = unknownScalar();
  env.scratched.regs.add(0);
  return true;
}

/**
 * `do_check_common`'s set-up for global subprogram K: its arguments from the prototype into the
 * registers of FRAME (R1..). Throws the kernel's rejection when the prototype is not supported.
 */
export function enterGlobalFunc(env: Env, k: number, regs: Reg[]): void {
  const fn = env.funcs![k]!;
  let args: FuncArg[];
  const lines: string[] = [];
  try {
    args = fn.args ?? prepareArgs(env.btf!, fn, lines);
  } catch (e) {
    if (!(e instanceof PrepareError)) throw e;
    lines.push(...e.lines);
    reject(lines[0] ?? 'invalid global function prototype', fn.start, e.errno, lines.slice(1));
  }
  args.forEach((a, i) => {
    if (a.kind === 'scalar') regs[i + 1] = unknownScalar();
    else if (a.kind === 'ctx') regs[i + 1] = pointer('PTR_TO_CTX');
    else regs[i + 1] = pointer('PTR_TO_MEM', { maybeNull: a.maybeNull, memSize: a.size, id: ++env.idGen });
  });
}

/** The log lines btf_prepare_func_args prints for the main program (its BTF is only advisory). */
export function mainFuncLines(env: Env): string[] {
  const fn = env.funcs?.[0];
  if (!fn || !env.btf || !fn.btfFuncId) return [];
  const lines: string[] = [];
  try {
    prepareArgs(env.btf, fn, lines);
  } catch (e) {
    if (!(e instanceof PrepareError)) throw e;
    lines.push(...e.lines);
  }
  return lines;
}

/**
 * The subprograms as func_info names them (`check_btf_func`): linkage from each BTF FUNC, and
 * `changes_pkt_data` from the helpers each one (or a subprogram it calls) uses. A program
 * without BTF has no global subprograms: every call is verified in the caller's walk.
 */
export function setUpFuncs(env: Env, prog: ProgramSpec, slotOf: readonly number[], subprogs: readonly number[], raw: readonly Instruction[]): void {
  const btf = prog.btf;
  if (!btf || !prog.btfFuncId) return;
  const byStart = new Map(prog.subprograms.map((s) => [slotOf[s.start], s]));
  const funcs: FuncInfo[] = subprogs.map((start, k) => {
    const s = k === 0 ? { name: prog.name, btfFuncId: prog.btfFuncId } : byStart.get(start);
    const id = s?.btfFuncId ?? 0;
    const t = btf.types[id];
    return { name: s?.name ?? '', start, btfFuncId: id, global: t?.kind === 'func' && t.linkage === BTF_FUNC_GLOBAL };
  });
  const end = (k: number): number => subprogs[k + 1] ?? raw.length;
  const callees = funcs.map((f, k) => {
    const out: number[] = [];
    for (let i = f.start; i < end(k); i++) {
      const ins = raw[i]!;
      if (ins.opcode !== 0x85) continue;
      if (ins.src === 1) out.push(subprogs.indexOf(i + ins.imm + 1));
      else if (ins.src === 0 && (xdpHelperProto(ins.imm, env.privileged)?.changesPktData || ins.imm === TAIL_CALL)) f.changesPkt = true;
    }
    return out;
  });
  // merge_callee_effects, to a fixed point (recursion is refused later anyway).
  for (let changed = true; changed;) {
    changed = false;
    funcs.forEach((f, k) => {
      if (!f.changesPkt && callees[k]!.some((c) => funcs[c]?.changesPkt)) changed = f.changesPkt = true;
    });
  }
  env.btf = btf;
  env.funcs = funcs;
  env.globalStarts = new Set(funcs.filter((f, k) => k > 0 && f.global).map((f) => f.start));
}

/**
 * `do_check_subprogs`: every global subprogram a verified path called is verified on its own
 * (by VERIFY), again until no new one was called.
 */
export function checkGlobalSubprogs(env: Env, verify: (k: number) => void): void {
  const funcs = env.funcs;
  if (!funcs) return;
  const done = new Set<number>();
  for (let more = true; more;) {
    more = false;
    for (let k = 1; k < funcs.length; k++) {
      if (!funcs[k]!.global || !env.calledGlobals?.has(k) || done.has(k)) continue;
      verify(k);
      done.add(k);
      more = true;
    }
  }
}
