/**
 * kfunc calls (kernel/bpf/verifier.c check_kfunc_call, check_kfunc_args) for the kfuncs the
 * emulated kernel runs (src/isa/kfuncs.ts): the license rule, each argument by its kind, the
 * caller-saved registers clobbered and r0 an integer. A kfunc xdpts does not run is refused
 * with xdpts's own message, never one the kernel would print.
 */
import { type Instruction, kfuncById, kfuncNotEmulated } from '../isa';
import { checkHelperMem } from './check-mem';
import { type Env, reject } from './env';
import { regTypeStr } from './print';
import { notInit, unknownScalar } from './reg-state';
import { curFrame } from './state';

export function checkKfuncCall(env: Env, idx: number, i: Instruction, name: string | undefined): void {
  const k = kfuncById(i.imm);
  if (!k?.args) reject(kfuncNotEmulated(k?.name ?? name ?? `#${i.imm}`), idx, 'EOPNOTSUPP');
  if (!env.gpl) reject('cannot call kernel function from non-GPL compatible program', idx, 'EINVAL');
  const regs = curFrame(env.cur).regs;
  k.args.forEach((arg, a) => {
    const regno = a + 1;
    const r = regs[regno]!;
    if (r.type === 'NOT_INIT') reject(`R${regno} !read_ok`, idx);
    switch (arg.kind) {
      case 'ctx':
        if (r.type !== 'PTR_TO_CTX') reject(`arg#${a} expected pointer to ctx, but got ${regTypeStr(r)}`, idx);
        if (r.off !== 0) reject(`dereference of modified ctx ptr R${regno} off=${r.off} disallowed`, idx);
        break;
      case 'mem':
        if (r.type === 'SCALAR_VALUE') reject(`arg#${a} pointer type ${'INT'} must point to scalar, or struct with scalar`, idx);
        checkHelperMem(env, idx, regno, arg.size, true, true, false);
        break;
      case 'scalar':
        if (r.type !== 'SCALAR_VALUE') reject(`R${regno} is not a scalar`, idx);
        break;
    }
  });
  for (let r = 1; r <= 5; r++) regs[r] = notInit();
  regs[0] = unknownScalar();
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
