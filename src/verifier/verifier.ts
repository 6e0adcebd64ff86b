/**
 * The verifier's main walk (kernel/bpf/verifier.c `bpf_check` → `do_check`): every path from
 * the entry is followed instruction by instruction over abstract states, branches whose
 * outcome is unknown are both explored, states covered by fully explored ones are pruned,
 * a loop that comes back to an identical state is an infinite loop, and the walk stops after
 * 1,000,000 processed instructions, as the kernel does.
 */
import { type Instruction, OP_LDDW, classify, helperId, jumpOffset } from '../isa';
import type { MapSpec, ProgramSpec } from '../object/types';
import { checkAlu, readReg, writeReg } from './check-alu';
import { checkHelperCall, enterCallback, enterSubprog, exitSubprog } from './check-call';
import { condJump } from './check-jmp';
import { checkMemAccess } from './check-mem';
import { checkCfg, checkLdImm, checkSubprogs, findSubprogs } from './cfg';
import { kernelInsnString } from './disasm';
import { type Env, type LdMapRef, Reject, reject } from './env';
import { frameString } from './print';
import { statesCovered, statesExact, widenScalars } from './prune';
import { constScalar, copyReg, isPointer, notInit, pointer, unknownScalar, type Reg } from './reg-state';
import { type VState, copyState, curFrame, initialState, MAX_BPF_STACK } from './state';

/** Lines of log kept (the tail) for very long paths, like a bounded rotating log buffer. */
const MAX_LOG_LINES = 200_000;

/** `BPF_COMPLEXITY_LIMIT_INSNS`. */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

/** Options of one verification. */
export interface VerifyOptions {
  /** 0: no log; 1: the path to the error; 2: every instruction's state. */
  logLevel?: 0 | 1 | 2;
  /** Root loader (CAP_BPF + CAP_PERFMON + CAP_SYS_ADMIN): the default, like xdpts' kernel. */
  privileged?: boolean;
  /** Program type; only BPF_PROG_TYPE_XDP (6) is modelled. */
  progType?: number;
}

/** The verdict and kernel-style log of one verification. */
export interface VerifyResult {
  accepted: boolean;
  /** The kernel's message for the fault, when rejected. */
  error?: string;
  /** Instruction (slot) index of the fault. */
  insn?: number;
  /** errno the kernel's BPF_PROG_LOAD would fail with. */
  errno?: string;
  log: string;
  stats: { processed: number; states: number; peakStates: number; maxStatesPerInsn: number };
}

interface Checkpoint {
  state: VState;
  branches: number;
  parent: Checkpoint | undefined;
  hit: number;
  miss: number;
}

interface Pending {
  state: VState;
  idx: number;
  from: number;
  cp: Checkpoint | undefined;
  logPos: number;
}

/** Lays instructions out in kernel slot numbering (lddw takes two slots). */
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
      raw.push({ opcode: 0, dst: 0, src: 0, off: 0, imm: i.imm2 ?? 0 });
    }
  }
  return { slots, raw, slotOf };
}

/** Verifies one program against its maps, like the kernel's BPF_PROG_LOAD for XDP. */
export function verifyProgram(prog: ProgramSpec, maps: readonly MapSpec[], opts: VerifyOptions = {}): VerifyResult {
  const level = opts.logLevel ?? 0;
  const { slots, raw, slotOf } = toSlots(prog.insns);
  const mapRefs = new Map<number, LdMapRef>();
  prog.insns.forEach((ins, k) => {
    if (ins.opcode !== OP_LDDW) return;
    const ref = prog.references.get(k);
    if (ref?.kind === 'map') {
      const m = maps.findIndex((x) => x.name === ref.map);
      if (m >= 0) mapRefs.set(slotOf[k]!, { map: m, value: ref.value, offset: ref.offset });
    }
  });
  const lines: string[] = [];
  const stats = { processed: 0, states: 0, peakStates: 0, maxStatesPerInsn: 0 };
  const env: Env = {
    slots,
    maps,
    mapRefs,
    privileged: opts.privileged ?? true,
    gpl: /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(prog.license || 'GPL'),
    cur: initialState(),
    idGen: 0,
    scratched: { regs: new Set(), slots: new Set() },
    stackDepth: new Map(),
  };
  const lineText = (idx: number): string | undefined => {
    const k = slotOf.indexOf(idx);
    const li = k >= 0 ? prog.lineInfo.get(k) : undefined;
    return li ? `; ${li.line.trim()} @ ${li.fileName}:${li.lineNum}` : undefined;
  };
  const finish = (err?: Reject): VerifyResult => {
    if (err) lines.push(err.message);
    const cfgError = err && stats.processed === 0;
    if (!cfgError) {
      lines.push(
        `processed ${stats.processed} insns (limit ${BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${stats.maxStatesPerInsn} total_states ${stats.states} peak_states ${stats.peakStates} mark_read 0`,
      );
    }
    const log = level === 0 ? '' : lines.join('\n') + '\n';
    if (!err) return { accepted: true, log, stats };
    return { accepted: false, error: err.message, insn: err.insn, errno: err.errno, log, stats };
  };
  try {
    if (opts.progType !== undefined && opts.progType !== 6) reject(`unsupported program type ${opts.progType}`, 0, 'EINVAL');
    if (raw.length === 0) reject('BPF program is empty', 0, 'EINVAL');
    if (raw.length > BPF_COMPLEXITY_LIMIT_INSNS) reject(`BPF program is too large`, 0, 'E2BIG');
    const subprogs = findSubprogs(raw);
    checkSubprogs(raw, subprogs);
    checkLdImm(raw, mapRefs, maps);
    checkCfg(raw, env.privileged);
    if (level >= 2) lines.push('func#0 @0');
    walk(env, raw, subprogs, level, lines, stats, lineText);
    checkMaxStackDepth(env, raw, subprogs);
    return finish();
  } catch (e) {
    if (e instanceof Reject) return finish(e);
    throw e;
  }
}

/** True for a call of a helper that runs a callback (bpf_loop, bpf_for_each_map_elem). */
function isCallbackCall(ins: Instruction): boolean {
  return ins.opcode === 0x85 && ins.src === 0 && (ins.imm === LOOP_ID || ins.imm === FOR_EACH_ID);
}
const LOOP_ID = helperId('loop');
const FOR_EACH_ID = helperId('for_each_map_elem');

function isPrunePoint(raw: readonly Instruction[], targets: Set<number>, idx: number): boolean {
  if (targets.has(idx)) return true;
  const ins = raw[idx]!;
  if (isCallbackCall(ins)) return true;
  const cls = ins.opcode & 7;
  if (cls !== 5 && cls !== 6) return false;
  const op = ins.opcode & 0xf0;
  return op !== 0x90 && op !== 0x00;
}

function walk(
  env: Env,
  raw: readonly Instruction[],
  subprogs: readonly number[],
  level: number,
  lines: string[],
  stats: VerifyResult['stats'],
  lineText: (idx: number) => string | undefined,
): void {
  const targets = new Set<number>();
  raw.forEach((ins, i) => {
    const k = env.slots[i] ? classify(ins) : undefined;
    if (k?.kind === 'ja' || k?.kind === 'jcond') targets.add(i + jumpOffset(ins) + 1);
    if (k?.kind === 'call' && ins.src === 1) targets.add(i + 1);
  });
  const explored = new Map<number, Checkpoint[]>();
  const stack: Pending[] = [];
  let cp: Checkpoint | undefined;
  let idx = 0;
  let printState = true;
  let from = -1;
  let live = 0;
  let jmps = 0;
  let dropped = 0;
  let prevJmps = 0;
  let prevInsns = 0;
  const mapsLabel = (i: number): string | undefined => {
    const ref = env.mapRefs.get(i);
    return ref ? `map[id:${ref.map + 1}]${ref.value ? `+${ref.offset}` : ''}` : undefined;
  };
  const endPath = (): boolean => {
    for (let c = cp; c; c = c.parent) if (--c.branches > 0) break;
    const next = stack.pop();
    if (!next) return false;
    env.cur = next.state;
    idx = next.idx;
    from = next.from;
    cp = next.cp;
    if (level === 1) lines.length = Math.max(0, next.logPos - dropped);
    printState = true;
    return true;
  };
  for (;;) {
    if (++stats.processed > BPF_COMPLEXITY_LIMIT_INSNS) {
      reject(`BPF program is too large. Processed ${stats.processed} insn`, idx, 'E2BIG');
    }
    const ins = env.slots[idx];
    if (!ins) reject('invalid BPF_LD_IMM insn', idx, 'EINVAL');
    if ((ins.opcode & 7) === 5 || (ins.opcode & 7) === 6) jmps++;
    const frame = curFrame(env.cur);
    if (isPrunePoint(raw, targets, idx)) {
      const list = explored.get(idx) ?? [];
      let pruned = false;
      const cbCall = isCallbackCall(ins);
      for (let k = 0; k < list.length; k++) {
        const sl = list[k]!;
        if (sl.branches > 0) {
          // At a callback call site an active state that covers this one is a fixpoint of the
          // callback iterations (the kernel's calls_callback() RANGE_WITHIN check).
          if (cbCall && statesCovered(sl.state, env.cur)) {
            sl.hit++;
            pruned = true;
            break;
          }
          if (statesExact(sl.state, env.cur)) reject(`infinite loop detected at insn ${idx}`, idx, 'EINVAL');
        } else if (statesCovered(sl.state, env.cur)) {
          sl.hit++;
          pruned = true;
          break;
        }
        sl.miss++;
        if (sl.miss > sl.hit * 3 + 3) {
          list.splice(k--, 1);
          live--;
        }
      }
      if (!pruned && cbCall) {
        const active = list.find((sl) => sl.branches > 0);
        if (active) {
          widenScalars(active.state, env.cur);
          if (statesCovered(active.state, env.cur)) {
            active.hit++;
            pruned = true;
          }
        }
      }
      if (pruned) {
        if (level >= 1) lines.push(printState && from >= 0 ? `\nfrom ${from} to ${idx}: safe` : `${idx}: safe`);
        if (!endPath()) return;
        continue;
      }
      // add_new_state heuristic of is_state_visited: a checkpoint only every 2 jumps and 8 insns.
      const addNew = cbCall || (jmps - prevJmps >= 2 && stats.processed - prevInsns >= 8);
      if (addNew) {
      prevJmps = jmps;
      prevInsns = stats.processed;
      const nc: Checkpoint = { state: copyState(env.cur), branches: 1, parent: cp, hit: 0, miss: 0 };
      // The kernel's max_states_per_insn counts the states already there when one is added.
      if (list.length > stats.maxStatesPerInsn) stats.maxStatesPerInsn = list.length;
      list.push(nc);
      explored.set(idx, list);
      cp = nc;
      stats.states++;
      live++;
      if (live > stats.peakStates) stats.peakStates = live;
      }
    }
    if (level >= 1 && printState) {
      if (level >= 2 && from >= 0) lines.push(`\nfrom ${from} to ${idx}: ${frameString(frame, env.maps)}`);
      lines.push(`${idx}: ${frameString(frame, env.maps)}`);
      printState = false;
    }
    env.scratched.regs.clear();
    env.scratched.slots.clear();
    const lt = level >= 1 ? lineText(idx) : undefined;
    if (lt) lines.push(lt);
    const text = level >= 1 ? `${idx}: ${kernelInsnString(ins, mapsLabel(idx))}` : '';
    if (level >= 1) lines.push(text);
    // Like the kernel's rotating log, keep the tail when a path is very long.
    if (lines.length > MAX_LOG_LINES) {
      const cut = lines.length - MAX_LOG_LINES / 2;
      lines.splice(0, cut);
      dropped += cut;
    }
    const lineAt = lines.length - 1;
    const res = step(env, raw, idx, ins, stack, cp, lines.length - 1, () => from);
    if (level >= 1 && res.kind !== 'exitMain') {
      const st = frameString(curFrame(env.cur), env.maps, env.scratched);
      if (st && ins.opcode !== 0x95) {
        const pad = Math.max(38, Math.ceil((text.length + 2) / 8) * 8 - 2);
        lines[lineAt] = `${text.padEnd(pad)}; ${st}`;
      }
    }
    for (const p of res.pushed) {
      if (cp) cp.branches++;
      p.cp = cp;
      p.logPos = lines.length + dropped;
    }
    if (res.kind === 'next') {
      from = idx;
      idx = res.next;
      continue;
    }
    // Path ended (exit from the entry frame).
    if (!endPath()) return;
  }
}

type StepResult = { kind: 'next'; next: number; pushed: Pending[] } | { kind: 'exitMain'; pushed: Pending[] };

/** Executes one instruction abstractly. */
function step(
  env: Env,
  raw: readonly Instruction[],
  idx: number,
  ins: Instruction,
  stack: Pending[],
  _cp: Checkpoint | undefined,
  _logPos: number,
  _from: () => number,
): StepResult {
  const k = classify(ins);
  if (!k) reject(`unknown opcode ${ins.opcode.toString(16).padStart(2, '0')}`, idx, 'EINVAL');
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
      readReg(env, idx, ins.src);
      const v = checkMemAccess(env, idx, ins.src, ins.off, k.size, false, undefined, 0, k.signed)!;
      writeReg(env, idx, ins.dst, v);
      return next(idx + 1);
    }
    case 'stx': {
      const v = readReg(env, idx, ins.src);
      readReg(env, idx, ins.dst);
      if (ins.imm !== 0) reject('BPF_STX uses reserved fields', idx, 'EINVAL');
      checkMemAccess(env, idx, ins.dst, ins.off, k.size, true, v, 0);
      return next(idx + 1);
    }
    case 'st':
      readReg(env, idx, ins.dst);
      if (ins.src !== 0) reject('BPF_ST uses reserved fields', idx, 'EINVAL');
      checkMemAccess(env, idx, ins.dst, ins.off, k.size, true, undefined, ins.imm);
      return next(idx + 1);
    case 'atomic': {
      const v = readReg(env, idx, ins.src);
      const d = readReg(env, idx, ins.dst);
      if (k.op === 'cmpxchg') readReg(env, idx, 0);
      if (isPointer(v) && !env.privileged) reject(`R${ins.src} leaks addr into mem`, idx);
      if (d.type === 'PTR_TO_CTX' || d.type === 'PTR_TO_PACKET' || d.type === 'PTR_TO_PACKET_META') {
        reject(`BPF_ATOMIC stores into R${ins.dst} ${d.type === 'PTR_TO_CTX' ? 'ctx' : 'pkt'} is not allowed`, idx);
      }
      if (v.type !== 'SCALAR_VALUE' && k.op !== 'xchg' && k.op !== 'cmpxchg') {
        reject(`R${ins.src} leaks addr into mem`, idx);
      }
      checkMemAccess(env, idx, ins.dst, ins.off, k.size, false, undefined, 0);
      checkMemAccess(env, idx, ins.dst, ins.off, k.size, true, unknownScalar(), 0);
      if (k.fetch) {
        const r = unknownScalar();
        const outReg = k.op === 'cmpxchg' ? 0 : ins.src;
        writeReg(env, idx, outReg, k.size === 4 ? zext(r) : r);
      }
      return next(idx + 1);
    }
    case 'ja':
      return next(idx + jumpOffset(ins) + 1);
    case 'may_goto':
      reject('may_goto is not supported by xdpts\' verifier', idx, 'EINVAL');
      break;
    case 'jcond':
      return next(condJump(env, idx, ins, k, (state, target) => {
        const p: Pending = { state, idx: target, from: idx, cp: undefined, logPos: 0 };
        stack.push(p);
        pushed.push(p);
      }));
    case 'call':
      if (ins.src === 1) {
        if (ins.dst !== 0 || ins.off !== 0) reject('BPF_CALL uses reserved fields', idx, 'EINVAL');
        enterSubprog(env, idx, idx + ins.imm + 1);
        return next(idx + ins.imm + 1);
      }
      if (ins.src === 2) reject('calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF', idx, 'EINVAL');
      if (ins.src !== 0 || ins.dst !== 0 || ins.off !== 0) reject('BPF_CALL uses reserved fields', idx, 'EINVAL');
      {
        const cb = checkHelperCall(env, idx, ins);
        if (!cb) return next(idx + 1);
        // The continuation after the helper (r0 its integer result) is explored later; the
        // callback frame now. The callback's exit comes back to this call instruction.
        const cont = copyState(env.cur);
        const cf = curFrame(cont);
        for (let r = 1; r <= 5; r++) cf.regs[r] = notInit();
        cf.regs[0] = unknownScalar();
        const p: Pending = { state: cont, idx: idx + 1, from: idx, cp: undefined, logPos: 0 };
        stack.push(p);
        pushed.push(p);
        enterCallback(env, idx, cb);
        return next(cb.target);
      }
    case 'callx':
      reject(`unknown opcode 8d`, idx, 'EINVAL');
      break;
    case 'exit': {
      if (ins.src !== 0 || ins.dst !== 0 || ins.off !== 0 || ins.imm !== 0) reject('BPF_EXIT uses reserved fields', idx, 'EINVAL');
      const f = curFrame(env.cur);
      const r0 = f.regs[0]!;
      env.scratched.regs.add(0);
      // Callback frames check R0's type instead (prepare_func_exit: `R0 not a scalar value`).
      if (r0.type === 'NOT_INIT' && !f.inCallback) reject('R0 !read_ok', idx);
      if (env.cur.frames.length > 1) return next(exitSubprog(env, idx));
      if (env.cur.refs.length) {
        const r = env.cur.refs[0]!;
        reject(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`, idx);
      }
      if (isPointer(r0) && !env.privileged) reject('R0 leaks addr as return value', idx);
      checkStackDepth(env, idx);
      return { kind: 'exitMain', pushed };
    }
  }
  return next(idx + 1);
}

function zext(r: Reg): Reg {
  r.umax = 0xffffffffn;
  r.smin = 0n;
  r.smax = 0xffffffffn;
  r.varOff = { value: 0n, mask: 0xffffffffn };
  return r;
}

/** Records the stack depth each frame reached (`subprog_info[].stack_depth`). */
function checkStackDepth(env: Env, idx: number): void {
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
function checkMaxStackDepth(env: Env, raw: readonly Instruction[], subprogs: readonly number[]): void {
  const endOf = (sp: number): number => subprogs.find((x) => x > sp) ?? raw.length;
  const visit = (sp: number, frame: number, depth: number, seen: Set<number>): void => {
    const total = depth + Math.ceil((env.stackDepth.get(sp) ?? 0) / 16) * 16;
    if (total > MAX_BPF_STACK) reject(`combined stack size of ${frame + 1} calls is ${total}. Too large`, sp);
    for (let i = sp; i < endOf(sp); i++) {
      const ins = raw[i]!;
      if (ins.opcode === 0x85 && ins.src === 1) {
        const t = i + ins.imm + 1;
        if (!seen.has(t)) visit(t, frame + 1, total, new Set([...seen, t]));
      }
    }
  };
  visit(0, 0, 0, new Set([0]));
}
