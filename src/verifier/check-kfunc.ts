/**
 * kfunc calls (kernel/bpf/verifier.c check_kfunc_call, check_kfunc_args) for the kfuncs the
 * emulated kernel runs (src/isa/kfuncs.ts): the license rule, each argument by its kind, the
 * reference a KF_ACQUIRE kfunc returns and a KF_RELEASE one ends, the caller-saved registers
 * clobbered and r0 by the return type. In Linux 6.18 every kfunc takes trusted arguments: no
 * pointer argument may be NULL. A kfunc xdpts does not run is refused with xdpts's own message,
 * never one the kernel would print.
 */
import { type Instruction, type KfuncArg, type KfuncDef, kfuncById, kfuncNotEmulated } from '../isa';
import { btfStructIndex, btfStructName } from './btf-walk';
import { BPF_MAX_VAR_SIZ, checkHelperMem } from './check-mem';
import { type Env, Reject, reject } from './env';
import { markChainPrecision } from './precision';
import { regTypeStr } from './print';
import { acquirePointer, releaseReference } from './refs';
import { type Reg, notInit, unknownScalar } from './reg-state';
import { curFrame } from './state';
import { tnumIsConst } from './tnum';

/** The struct a register points to when the kernel treats it as a BTF object (`reg2btf_ids`). */
function btfStructOf(r: Reg): string | undefined {
  switch (r.type) {
    case 'PTR_TO_BTF_ID': return btfStructName(r);
    case 'PTR_TO_SOCKET': return 'sock';
    case 'PTR_TO_SOCK_COMMON': return 'sock_common';
    case 'PTR_TO_TCP_SOCK': return 'tcp_sock';
    case 'CONST_PTR_TO_MAP': return 'bpf_map';
    default: return undefined;
  }
}

const isNullConst = (r: Reg): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/**
 * `check_kfunc_mem_size_reg`: the size register, then the memory read and written for its
 * largest value; any failure ends with the pair's own line.
 */
function checkMemSizePair(env: Env, idx: number, a: number, regno: number): void {
  const sz = curFrame(env.cur).regs[regno + 1]!;
  // The kernel's log shows no stack slot after a kfunc call: its memory accesses scratch none.
  const slots = new Set(env.scratched.slots);
  try {
    if (sz.smin < 0n) reject(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`, idx);
    if (sz.umax >= BigInt(BPF_MAX_VAR_SIZ)) reject(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`, idx);
    checkHelperMem(env, idx, regno, Number(sz.umax), false, false, true);
    checkHelperMem(env, idx, regno, Number(sz.umax), true, true, true);
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    const pair = `arg#${a} arg#${a + 1} memory, len pair leads to invalid memory access`;
    reject(e.message, idx, e.errno, [...e.more, pair]);
  }
  env.scratched.slots = slots;
  markChainPrecision(env, regno + 1);
}

/** One pointer argument of kind `btf` or `mem_size` (`get_kfunc_ptr_arg_type` and its checks). */
function checkObjectArg(env: Env, idx: number, k: KfuncDef, arg: KfuncArg & { struct: string }, a: number, regno: number, r: Reg): void {
  const have = btfStructOf(r);
  if (have !== undefined) {
    // KF_ARG_PTR_TO_BTF_ID: a trusted object (referenced, or one of the socket/map types)...
    if (r.type === 'PTR_TO_BTF_ID' && !r.refObjId) reject(`R${regno} must be referenced or trusted`, idx, 'EINVAL');
    if (k.release && r.refObjId && (r.off !== 0 || !tnumIsConst(r.varOff) || r.varOff.value !== 0n)) {
      reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`, idx, 'EINVAL');
    }
    // ...of exactly the struct the kfunc takes (strict for release arguments and ___init flavours).
    if (have !== arg.struct || r.off !== 0) {
      reject(`kernel function ${k.name} args#${a} expected pointer to STRUCT ${arg.struct} but R${regno} has a pointer to STRUCT ${have}`, idx, 'EINVAL');
    }
    return;
  }
  if (arg.kind === 'btf') {
    // __btf_type_is_scalar_struct gives up on nf_conn's nesting before it finds a pointer member.
    reject('max struct nesting depth exceeded', idx, 'EINVAL', [`arg#${a} pointer type STRUCT ${arg.struct} must point to scalar, or struct with scalar`]);
  }
  // A memory argument whose size register is not a scalar is taken for plain memory, which must be trusted.
  if (curFrame(env.cur).regs[regno + 1]!.type !== 'SCALAR_VALUE') reject(`R${regno} must be referenced or trusted`, idx, 'EINVAL');
  checkMemSizePair(env, idx, a, regno);
}

export function checkKfuncCall(env: Env, idx: number, i: Instruction, name: string | undefined): void {
  const k = kfuncById(i.imm);
  if (!k?.args) reject(kfuncNotEmulated(k?.name ?? name ?? `#${i.imm}`), idx, 'EOPNOTSUPP');
  if (!env.gpl) reject('cannot call kernel function from non-GPL compatible program', idx, 'EINVAL');
  const regs = curFrame(env.cur).regs;
  let refObjId = 0;
  let releaseRegno = 0;
  for (let a = 0; a < k.args.length; a++) {
    const arg = k.args[a]!;
    const regno = a + 1;
    const r = regs[regno]!;
    env.scratched.regs.add(regno);
    if (r.type === 'NOT_INIT') reject(`R${regno} !read_ok`, idx);
    if (arg.kind === 'scalar' || arg.kind === 'size') {
      if (r.type !== 'SCALAR_VALUE') reject(`R${regno} is not a scalar`, idx, 'EINVAL');
      continue;
    }
    if (isNullConst(r) || r.maybeNull) reject(`Possibly NULL pointer passed to trusted arg${a}`, idx);
    if (r.refObjId) {
      if (k.release && refObjId) reject(`more than one arg with ref_obj_id R${regno} ${r.refObjId} ${refObjId}`, idx);
      refObjId = r.refObjId;
      if (k.release) releaseRegno = regno;
    }
    switch (arg.kind) {
      case 'ctx':
        if (r.type !== 'PTR_TO_CTX') reject(`arg#${a} expected pointer to ctx, but got ${regTypeStr(r)}`, idx, 'EINVAL');
        if (r.off !== 0) reject(`dereference of modified ctx ptr R${regno} off=${r.off} disallowed`, idx);
        break;
      case 'mem':
        if (r.type === 'SCALAR_VALUE') reject(`arg#${a} pointer type INT must point to scalar, or struct with scalar`, idx);
        checkHelperMem(env, idx, regno, arg.size, true, true, false);
        break;
      case 'btf':
        checkObjectArg(env, idx, k, arg, a, regno, r);
        break;
      case 'mem_size':
        checkObjectArg(env, idx, k, arg, a, regno, r);
        a++;
        break;
    }
  }
  if (k.release && !releaseRegno) reject(`release kernel function ${k.name} expects refcounted PTR_TO_BTF_ID`, idx, 'EINVAL');
  if (releaseRegno) releaseReference(env, idx, refObjId);
  for (let r = 1; r <= 5; r++) regs[r] = notInit();
  const ret = k.ret ?? 'int';
  if (ret === 'int') regs[0] = unknownScalar();
  else if (ret === 'void') regs[0] = notInit();
  else {
    const r0 = acquirePointer(env, idx, 'PTR_TO_BTF_ID', { map: btfStructIndex(ret.struct) });
    if (!k.acquire) throw new Error(`kfunc ${k.name}: only acquired BTF pointers are modelled`);
    if (!k.retNull) r0.maybeNull = false;
    regs[0] = r0;
  }
  for (let r = 0; r <= 5; r++) env.scratched.regs.add(r);
}

/**
 * add_subprog_and_kfunc's checks, before the walk: xdpts loads no device-bound programs, so
 * the XDP metadata kfuncs are refused as the kernel refuses them for any other program.
 */
export function checkKfuncIds(raw: readonly Instruction[]): void {
  raw.forEach((ins, idx) => {
    if (ins.opcode === 0x85 && ins.src === 2 && kfuncById(ins.imm)?.devBound) reject('metadata kfuncs require device-bound program', idx, 'EINVAL');
  });
}
