/**
 * One instruction's abstract execution (the body of kernel/bpf/verifier.c `do_check`): the
 * instruction classes dispatch to their checks, branches whose outcome is unknown push the
 * other side for later, and bpf-to-bpf calls, callbacks and exits move between frames.
 */
import { type Instruction, OP_LDDW, classify, helperId, jumpOffset } from '../isa';
import { checkAlu, readReg, writeReg } from './check-alu';
import { checkHelperCall, enterCallback, enterSubprog, exitSubprog } from './check-call';
import { checkGlobalCall } from './global-func';
import { condJump } from './check-jmp';
import { checkMemAccess } from './check-mem';
import { checkKfuncCall } from './check-kfunc';
import { checkReferenceLeak, saveAuxPtrType } from './refs';
import { type Env, reject } from './env';
import { regTypeStr } from './print';
import { constScalar, isPointer, notInit, pointer, unknownScalar, type Reg } from './reg-state';
import { type Checkpoint, type Explored, findPrevEntry } from './visited';
import { widenImprecise } from './prune';
import { type VState, copyState, curFrame, MAX_BPF_STACK, MAX_CALL_FRAMES } from './state';

/** A branch left for later (`struct bpf_verifier_stack_elem`). */
export interface Pending {
  state: VState;
  idx: number;
  from: number;
  cp: Checkpoint | undefined;
  logPos: number;
  /** The pushing instruction's log line as it was when pushed (before its `; R..` part). */
  logText?: string;
}

export /** Lays instructions out in kernel slot numbering (lddw takes two slots). */
function toSlots(insns: readonly Instruction[]): { slots: (Instruction | undefined)[]; raw: Instruction[]; slotOf: number[] } {
  const slots: (Instruction | undefined)[] = [];
  const raw: Instruction[] = [];
  const slotOf: number[] = [];
  for (const i of insns) {
    slotOf.push(slots.length);
    slots.push(i);
    raw.push(i);
    if (i.opcode === OP_LDDW) {
      slots.push(undefined);
      raw.push({ opcode: 0, dst: 0, src: 0, off: 0, ...i.slot2, imm: i.imm2 ?? 0 });
    }
  }
  return { slots, raw, slotOf };
}

export /** True for a call of a helper that runs a callback (bpf_loop, bpf_for_each_map_elem). */
function isCallbackCall(ins: Instruction): boolean {
  return ins.opcode === 0x85 && ins.src === 0 && (ins.imm === LOOP_ID || ins.imm === FOR_EACH_ID);
}
export const LOOP_ID = helperId('loop');
const FOR_EACH_ID = helperId('for_each_map_elem');
const TAIL_CALL_ID = helperId('tail_call');

export type StepResult = { kind: 'next'; next: number; pushed: Pending[] } | { kind: 'exitMain'; pushed: Pending[] };

/** Executes one instruction abstractly. */
export function step(
  env: Env,
  raw: readonly Instruction[],
  idx: number,
  ins: Instruction,
  stack: Pending[],
  ex: Explored,
): StepResult {
  const k = classify(ins);
  if (!k) reject(...malformed(ins), idx, 'EINVAL');
  const pushed: Pending[] = [];
  const next = (n: number): StepResult => ({ kind: 'next', next: n, pushed });
  switch (k.kind) {
    case 'alu': case 'mov': case 'movsx': case 'neg': case 'end':
      checkAlu(env, idx, ins, k);
      return next(idx + 1);
    case 'addr_space_cast':
      reject('addr_space_cast insn can only be used in a program that has an associated arena', idx, 'EINVAL');
      break;
    case 'lddw': {
      if (ins.off !== 0) reject('BPF_LD_IMM64 uses reserved fields', idx, 'EINVAL');
      const ref = env.mapRefs.get(idx);
      if (ins.src === 0) writeReg(env, idx, ins.dst, constScalar((BigInt(ins.imm2 ?? 0) << 32n) | BigInt(ins.imm >>> 0)));
      else if (ins.src === 4) writeReg(env, idx, ins.dst, pointer('PTR_TO_FUNC', { frameno: idx + ins.imm + 1 }));
      else if (ref && ref.value) {
        const r = pointer('PTR_TO_MAP_VALUE', { map: ref.map, off: ref.offset });
        if (env.maps[ref.map]?.readOnly) r.rdonly = false;
        writeReg(env, idx, ins.dst, r);
      } else writeReg(env, idx, ins.dst, pointer('CONST_PTR_TO_MAP', { map: ref!.map }));
      return next(idx + 2);
    }
    case 'ldabs':
      reject('BPF_LD_[ABS|IND] instructions not allowed for this program type', idx, 'EINVAL');
      break;
    case 'ldx': {
      const sr = readReg(env, idx, ins.src);
      // check_reg_arg(dst, DST_OP_NO_MARK) comes before the access is checked.
      if (ins.dst === 10) reject('frame pointer is read only', idx);
      const v = checkMemAccess(env, idx, ins.src, ins.off, k.size, false, undefined, 0, k.signed)!;
      saveAuxPtrType(env, idx, sr);
      writeReg(env, idx, ins.dst, v);
      return next(idx + 1);
    }
    case 'stx': {
      const v = readReg(env, idx, ins.src);
      const dr = readReg(env, idx, ins.dst);
      if (ins.imm !== 0) reject('BPF_STX uses reserved fields', idx, 'EINVAL');
      checkMemAccess(env, idx, ins.dst, ins.off, k.size, true, v, 0);
      saveAuxPtrType(env, idx, dr);
      return next(idx + 1);
    }
    case 'st': {
      const dr = readReg(env, idx, ins.dst);
      if (ins.src !== 0) reject('BPF_ST uses reserved fields', idx, 'EINVAL');
      checkMemAccess(env, idx, ins.dst, ins.off, k.size, true, undefined, ins.imm);
      saveAuxPtrType(env, idx, dr);
      return next(idx + 1);
    }
    case 'atomic': {
      const v = readReg(env, idx, ins.src);
      const d = readReg(env, idx, ins.dst);
      if (k.op === 'cmpxchg') readReg(env, idx, 0);
      if (isPointer(v) && !env.privileged) reject(`R${ins.src} leaks addr into mem`, idx);
      if (d.type === 'PTR_TO_CTX' || d.type === 'PTR_TO_PACKET' || d.type === 'PTR_TO_PACKET_META') {
        reject(`BPF_ATOMIC stores into R${ins.dst} ${regTypeStr(d)} is not allowed`, idx);
      }
      // check_atomic_rmw: read the location (a fetch loads it into its register), then write it.
      const loaded = checkMemAccess(env, idx, ins.dst, ins.off, k.size, false, undefined, 0, false, true, !k.fetch)!;
      if (k.fetch) writeReg(env, idx, k.op === 'cmpxchg' ? 0 : ins.src, loaded);
      checkMemAccess(env, idx, ins.dst, ins.off, k.size, true, undefined, undefined, false, true);
      return next(idx + 1);
    }
    case 'ja':
      // check_cond_jmp_op: `gotol` (JMP32) carries its offset in imm, `goto` in off.
      if (ins.src !== 0 || ins.dst !== 0 || (k.long ? ins.off !== 0 : ins.imm !== 0)) {
        reject('BPF_JA uses reserved fields', idx, 'EINVAL');
      }
      return next(idx + jumpOffset(ins) + 1);
    case 'may_goto': {
      // The path goes on at the jump target (the loop's exit); one more iteration, the
      // fall-through, is explored later with may_goto_depth one deeper.
      if (ins.src !== 0 || ins.dst !== 0 || ins.imm !== 0) reject(`invalid may_goto imm ${ins.imm}`, idx, 'EINVAL');
      const state = copyState(env.cur);
      state.mayGotoDepth++;
      const prev = findPrevEntry(ex, env.cur.parent, idx);
      if (prev) widenImprecise(prev, state);
      const p: Pending = { state, idx: idx + 1, from: idx, cp: undefined, logPos: 0 };
      stack.push(p);
      pushed.push(p);
      return next(idx + ins.off + 1);
    }
    case 'jcond':
      return next(condJump(env, idx, ins, k, (state, target) => {
        const p: Pending = { state, idx: target, from: idx, cp: undefined, logPos: 0 };
        stack.push(p);
        pushed.push(p);
      }));
    case 'call':
      if (ins.src === 1) {
        if (ins.dst !== 0 || ins.off !== 0) reject('BPF_CALL uses reserved fields', idx, 'EINVAL');
        const k = env.funcs?.findIndex((f) => f.start === idx + ins.imm + 1) ?? -1;
        if (k > 0 && checkGlobalCall(env, idx, k)) return next(idx + 1);
        enterSubprog(env, idx, idx + ins.imm + 1);
        return next(idx + ins.imm + 1);
      }
      if (ins.src === 2) {
        checkKfuncCall(env, idx, ins, env.externs?.get(idx));
        return next(idx + 1);
      }
      if (ins.src !== 0 || ins.dst !== 0 || ins.off !== 0) reject('BPF_CALL uses reserved fields', idx, 'EINVAL');
      {
        const nrLoops = curFrame(env.cur).regs[1]!.umax;
        const cb = checkHelperCall(env, idx, ins);
        if (!cb) return next(idx + 1);
        const cf = curFrame(env.cur);
        const done = cb.kind === 'loop' && BigInt(cf.callbackDepth) >= nrLoops;
        // push_callback_call: the callback frame is pushed (explored later) and the walk goes
        // on after the helper with r0 its integer result. The callback's exit comes back to
        // this call instruction. bpf_loop's callback is explored at most R1 times in a row
        // ("bpf_loop iteration limit reached"): then the walk just goes on.
        const caller = env.cur;
        if (done) cf.callbackDepth = 0;
        else {
          env.cur = copyState(caller);
          curFrame(env.cur).callbackDepth++;
          cf.callbackDepth = 0;
          enterCallback(env, idx, cb);
        }
        const p: Pending | undefined = done ? undefined : { state: env.cur, idx: cb.target, from: idx, cp: undefined, logPos: 0 };
        env.cur = caller;
        for (let r = 1; r <= 5; r++) cf.regs[r] = notInit();
        cf.regs[0] = unknownScalar();
        env.scratched.regs.add(0);
        if (p) {
          stack.push(p);
          pushed.push(p);
        }
        return next(idx + 1);
      }
    case 'callx':
      reject(`unknown opcode 8d`, idx, 'EINVAL');
      break;
    case 'exit': {
      // The kernel does not look at off here.
      if (ins.src !== 0 || ins.dst !== 0 || ins.imm !== 0) reject('BPF_EXIT uses reserved fields', idx, 'EINVAL');
      const f = curFrame(env.cur);
      const r0 = f.regs[0]!;
      env.scratched.regs.add(0);
      // Callback frames check R0's type instead (prepare_func_exit: `R0 not a scalar value`).
      // A subprogram's exit hands R0 back unchecked (prepare_func_exit); only the main exit
      // (check_return_code) requires it, so the kernel reports an uninit R0 there.
      if (env.cur.frames.length > 1) return next(exitSubprog(env, idx));
      // process_bpf_exit_full: check_resource_leak (lock, then references) before check_return_code.
      if (env.cur.lock) reject('BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', idx, 'EINVAL');
      checkReferenceLeak(env, idx, 'BPF_EXIT instruction in main prog');
      if (r0.type === 'NOT_INIT') reject('R0 !read_ok', idx);
      // check_return_code of a global subprogram verified on its own: any scalar.
      if (env.verifyingGlobal && r0.type !== 'SCALAR_VALUE') {
        reject(`At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`, idx, 'EINVAL');
      }
      if (isPointer(r0) && !env.privileged) reject('R0 leaks addr as return value', idx);
      checkStackDepth(env, idx);
      return { kind: 'exitMain', pushed };
    }
  }
  return next(idx + 1);
}

/**
 * What do_check says of an instruction whose opcode byte is defined but whose other fields no
 * instruction uses (check_alu_op's, check_atomic's reserved-field checks).
 */
function malformed(ins: Instruction): [string] {
  const cls = ins.opcode & 7;
  const code = ins.opcode & 0xf0;
  if (cls === 4 || cls === 7) {
    if (code === 0xd0) return ['BPF_END uses reserved fields'];
    if (code === 0x80) return ['BPF_NEG uses reserved fields'];
    if (code === 0xb0) {
      if (cls === 7 && ins.opcode & 8 && ins.off === 1) return ['addr_space_cast insn can only convert between address space 1 and 0'];
      return ['BPF_MOV uses reserved fields'];
    }
    if (code > 0xd0) return [`invalid BPF_ALU opcode ${code.toString(16)}`];
    return ['BPF_ALU uses reserved fields'];
  }
  if (cls === 3 && (ins.opcode & 0xe0) === 0xc0) {
    // Load-acquire and store-release (0x100, 0x110) are valid in 6.18 but not emulated.
    if (ins.imm === 0x100 || ins.imm === 0x110) return [`unknown opcode ${ins.opcode.toString(16).padStart(2, '0')}`];
    const valid = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1].includes(ins.imm);
    if (!valid) return [`BPF_ATOMIC uses invalid atomic opcode ${(ins.imm >>> 0).toString(16).padStart(2, '0')}`];
    return ['invalid atomic operand size'];
  }
  return [`unknown opcode ${ins.opcode.toString(16).padStart(2, '0')}`];
}

/** Records the stack depth each frame reached (`subprog_info[].stack_depth`). */
export function checkStackDepth(env: Env, idx: number): void {
  for (const f of env.cur.frames) {
    const prev = env.stackDepth.get(f.subprog) ?? 0;
    if (f.depth > prev) env.stackDepth.set(f.subprog, f.depth);
  }
  void idx;
}

/**
 * `check_max_stack_depth`: along every static call chain, the frames' depths (each rounded up
 * to 16 bytes, as with the JIT on) must sum to at most MAX_BPF_STACK.
 */
export function checkMaxStackDepth(env: Env, raw: readonly Instruction[], subprogs: readonly number[]): void {
  // The kernel walks the static call graph (calls and callback references alike) depth first
  // with no visited set, so any recursion ends at MAX_CALL_FRAMES.
  const endOf = (sp: number): number => subprogs.find((x) => x > sp) ?? raw.length;
  const depthOf = (sp: number): number => Math.ceil((env.stackDepth.get(sp) ?? 0) / 16) * 16;
  const hasTailCall = (sp: number): boolean => {
    for (let i = sp; i < endOf(sp); i++) if (raw[i]!.opcode === 0x85 && raw[i]!.src === 0 && raw[i]!.imm === TAIL_CALL_ID) return true;
    return false;
  };
  const ret: { insn: number; sp: number }[] = [];
  let sp = 0;
  let i = 0;
  let depth = 0;
  for (;;) {
    if (sp && hasTailCall(sp) && depth >= 256) {
      reject(`tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large`, sp);
    }
    depth += depthOf(sp);
    if (depth > MAX_BPF_STACK) reject(`combined stack size of ${ret.length + 1} calls is ${depth}. Too large`, sp);
    let called = false;
    for (;;) {
      for (; i < endOf(sp); i++) {
        const ins = raw[i]!;
        const call = (ins.opcode === 0x85 && ins.src === 1) || (ins.opcode === OP_LDDW && ins.src === 4);
        if (!call) continue;
        ret.push({ insn: i + 1, sp });
        sp = i + ins.imm + 1;
        i = sp;
        if (ret.length >= MAX_CALL_FRAMES) reject(`the call stack of ${ret.length} frames is too deep !`, sp, 'E2BIG');
        called = true;
        break;
      }
      if (called) break;
      if (!ret.length) return;
      depth -= depthOf(sp);
      ({ insn: i, sp } = ret.pop()!);
    }
  }
}
