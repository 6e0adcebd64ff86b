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
import { checkKfuncCall, checkKfuncIds } from './check-kfunc';
import { checkCfg, checkLdImm, checkSubprogs, findSubprogs } from './cfg';
import { kernelInsnString } from './disasm';
import { type Env, type LdMapRef, Reject, reject } from './env';
import { frameString } from './print';
import { xdpHelperProto } from '../isa/helper-protos';
import { computeLiveRegs, liveRegsLine } from './liveness';
import { statesCovered, statesExact, widenScalars } from './prune';
import { constScalar, copyReg, isPointer, notInit, pointer, unknownScalar, type Reg } from './reg-state';
import { type VState, copyState, curFrame, initialState, MAX_BPF_STACK } from './state';

/** Lines of log kept (the tail) for very long paths, like a bounded rotating log buffer. */
const MAX_LOG_LINES = 200_000;

/** Kernel messages printed without a trailing newline (verifier.c, as of 6.18). */
const NO_NEWLINE = new Set(['expected prog array map for tail call']);

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
  /** Dropped from the explored list (miss heuristic) while branches still pointed at it. */
  evicted?: boolean;
}

interface Pending {
  state: VState;
  idx: number;
  from: number;
  cp: Checkpoint | undefined;
  logPos: number;
  /** The pushing instruction's log line as it was when pushed (before its `; R..` part). */
  logText?: string;
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
  // False while bpf_prog_load() itself rejects (empty, too large): no verifier log at all.
  let inVerifier = false;
  const stats = { processed: 0, states: 0, peakStates: 0, maxStatesPerInsn: 0 };
  const env: Env = {
    slots,
    maps,
    mapRefs,
    externs: externNames(prog, slotOf),
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
    // verbose_linfo: the source line with leading blanks trimmed, and the file's base name.
    return li ? `; ${li.line.trimStart()} @ ${li.fileName.replace(/^.*\//, '')}:${li.lineNum}` : undefined;
  };
  const finish = (err?: Reject): VerifyResult => {
    if (err) lines.push(err.message, ...err.more);
    // Every failure inside bpf_check() ends with the stats line, even before do_check() ran.
    if (inVerifier) {
      // A few kernel messages lack their newline and run into the stats line.
      const glue = err && !err.more.length && NO_NEWLINE.has(err.message) ? lines.pop()! : '';
      lines.push(
        `${glue}processed ${stats.processed} insns (limit ${BPF_COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${stats.maxStatesPerInsn} total_states ${stats.states} peak_states ${stats.peakStates} mark_read 0`,
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
    checkExterns(prog, slotOf);
    inVerifier = true;
    const subprogs = findSubprogs(raw);
    checkKfuncIds(raw);
    checkSubprogs(raw, subprogs);
    checkLdImm(raw, mapRefs, maps);
    checkCfg(raw, env.privileged);
    if (level >= 2) subprogs.forEach((sp, k) => lines.push(`func#${k} @${sp}`));
    walk(env, raw, subprogs, level, lines, stats, lineText);
    // Level 1 logs only the path to an error: once every path is safe, the log is empty again.
    if (level === 1) lines.length = 0;
    checkMaxStackDepth(env, raw, subprogs);
    return finish();
  } catch (e) {
    if (e instanceof Reject) return finish(e);
    throw e;
  }
}

/** Slot → extern name of each kfunc call (from the object's references). */
function externNames(prog: ProgramSpec, slotOf: readonly number[]): Map<number, string> {
  const out = new Map<number, string>();
  prog.references.forEach((r, k) => {
    if (r.kind === 'extern') out.set(slotOf[k]!, r.name);
  });
  return out;
}

/**
 * libbpf's extern resolution before BPF_PROG_LOAD: a data extern that is neither `.kconfig`
 * (resolved by the object reader) nor a kfunc has no value in xdpts (`__ksym` variables).
 */
function checkExterns(prog: ProgramSpec, slotOf: readonly number[]): void {
  prog.references.forEach((r, k) => {
    if (r.kind === 'extern' && prog.insns[k]!.opcode === OP_LDDW) {
      reject(`xdpts: extern '${r.name}' is not emulated (only .kconfig values and kfuncs are resolved)`, slotOf[k]!, 'EOPNOTSUPP');
    }
  });
}

/** True for a call of a helper that runs a callback (bpf_loop, bpf_for_each_map_elem). */
function isCallbackCall(ins: Instruction): boolean {
  return ins.opcode === 0x85 && ins.src === 0 && (ins.imm === LOOP_ID || ins.imm === FOR_EACH_ID);
}
const LOOP_ID = helperId('loop');
const FOR_EACH_ID = helperId('for_each_map_elem');

/**
 * visit_insn()'s prune points: conditional jumps themselves, `ja` targets, the instruction after
 * any call, bpf-to-bpf calls and callback-calling helpers themselves (`targets` holds the
 * jump/call successors, computed once).
 */
function isPrunePoint(raw: readonly Instruction[], targets: Set<number>, idx: number): boolean {
  if (targets.has(idx)) return true;
  const ins = raw[idx]!;
  if (isCallbackCall(ins)) return true;
  if (ins.opcode === 0x85 && ins.src === 1) return true;
  if (ins.opcode === OP_LDDW && ins.src === 4) return true;
  const cls = ins.opcode & 7;
  if (cls !== 5 && cls !== 6) return false;
  const op = ins.opcode & 0xf0;
  return op !== 0x90 && op !== 0x00 && op !== 0x80;
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
    // push_insn(BRANCH) marks every branch target; calls mark their successor and callee.
    if (k?.kind === 'ja' || k?.kind === 'jcond') targets.add(i + jumpOffset(ins) + 1);
    if (k?.kind === 'call') targets.add(i + 1);
    if (k?.kind === 'call' && ins.src === 1) targets.add(i + ins.imm + 1);
    if (k?.kind === 'lddw' && ins.src === 4) targets.add(i + 2).add(i + ins.imm + 1);
  });
  const explored = new Map<number, Checkpoint[]>();
  const stack: Pending[] = [];
  let cp: Checkpoint | undefined;
  let idx = 0;
  let printState = true;
  // Level 1 after pop_stack: the kernel's log shows the resumed state's `N: R..` line on the
  // line of the instruction that pushed it, after a space (observed on 6.18).
  let joinState = false;
  let lastLine = -1;
  let fromReturn = false;
  let lastLinfo: string | undefined;
  let lastText = '';
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
  const liveRegs = computeLiveRegs(raw, (i) => env.slots[i] !== undefined, (id) => xdpHelperProto(id, env.privileged)?.args.length);
  if (level >= 2) {
    // compute_live_registers() logs its result at level 2.
    lines.push('Live regs before insn:');
    raw.forEach((ins, i) => {
      if (env.slots[i]) lines.push(liveRegsLine(i, liveRegs[i]!, kernelInsnString(ins, mapsLabel(i))));
    });
  }
  /** Live registers per frame at `idx`: callers are live at their call site (frame_insn_idx). */
  const liveMasks = (at: number): number[] =>
    env.cur.frames.map((_, f, fr) => liveRegs[f === fr.length - 1 ? at : fr[f + 1]!.callsite] ?? 0x7ff);
  const endPath = (): boolean => {
    for (let c = cp; c; c = c.parent) {
      if (--c.branches > 0) break;
      // An evicted state still referenced by live branches is freed once they are done.
      if (c.evicted) live--;
    }
    const next = stack.pop();
    if (!next) return false;
    env.cur = next.state;
    idx = next.idx;
    from = next.from;
    cp = next.cp;
    if (level === 1) {
      lines.length = Math.max(0, next.logPos - dropped);
      if (next.logText !== undefined && lines.length > 0) lines[lines.length - 1] = next.logText;
      joinState = lines.length > 0;
    }
    printState = true;
    return true;
  };
  for (;;) {
    if (++stats.processed > BPF_COMPLEXITY_LIMIT_INSNS) {
      // The limit hits before print_insn_state() shows the previous instruction's effects.
      if (level >= 1 && lastLine >= 0 && lastLine - dropped < lines.length) lines[lastLine - dropped] = lastText;
      reject(`BPF program is too large. Processed ${stats.processed} insn`, idx, 'E2BIG');
    }
    const ins = env.slots[idx];
    if (!ins) reject('invalid BPF_LD_IMM insn', idx, 'EINVAL');
    const frame = curFrame(env.cur);
    if (isPrunePoint(raw, targets, idx)) {
      const list = explored.get(idx) ?? [];
      let pruned = false;
      const cbCall = isCallbackCall(ins);
      let statesCnt = 0;
      const lm = liveMasks(idx);
      // add_new_state heuristic of is_state_visited: a checkpoint only every 2 jumps and 8 insns
      // (callback call sites are forced checkpoints).
      let addNew = cbCall || (jmps - prevJmps >= 2 && stats.processed - prevInsns >= 8);
      // The kernel keeps the newest state at the head of the list and walks it first.
      for (let k = list.length - 1; k >= 0; k--) {
        const sl = list[k]!;
        statesCnt++;
        if (sl.branches > 0) {
          // At a callback call site an active state that covers this one is a fixpoint of the
          // callback iterations (the kernel's calls_callback() RANGE_WITHIN check).
          if (cbCall && statesCovered(sl.state, env.cur, lm)) {
            sl.hit++;
            pruned = true;
            break;
          }
          if (statesExact(sl.state, env.cur, lm)) {
            // The kernel shows both states in full (its precision marks `P` are not modelled).
            const full = (st: VState): string => frameString(curFrame(st), env.maps, undefined, st.refs);
            reject(`infinite loop detected at insn ${idx}`, idx, 'EINVAL', [`cur state: ${full(env.cur)}`, `old state: ${full(sl.state)}`]);
          }
          // Inside a loop, distinct iterations rarely help pruning: a new state only every
          // 20 jumps or 100 instructions.
          if (!cbCall && jmps - prevJmps < 20 && stats.processed - prevInsns < 100) addNew = false;
        } else if (statesCovered(sl.state, env.cur, lm)) {
          sl.hit++;
          pruned = true;
          break;
        }
        // A miss only counts when a state is going to be added (else loop iterations would
        // evict the states recorded earlier); checkpoints of active loops get more misses.
        if (addNew) sl.miss++;
        const n = cbCall && sl.branches > 0 ? 64 : 3;
        if (sl.miss > sl.hit * n + n) {
          list.splice(k, 1);
          sl.evicted = true;
          if (sl.branches === 0) live--;
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
        joinState = false;
        if (!endPath()) return;
        continue;
      }
      // is_state_visited records how many states a missed walk compared, added or not (a hit
      // returns before).
      if (statesCnt > stats.maxStatesPerInsn) stats.maxStatesPerInsn = statesCnt;
      if (addNew) {
      prevJmps = jmps;
      prevInsns = stats.processed;
      const nc: Checkpoint = { state: copyState(env.cur), branches: 1, parent: cp, hit: 0, miss: 0 };
      list.push(nc);
      explored.set(idx, list);
      cp = nc;
      stats.states++;
      live++;
      if (live > stats.peakStates) stats.peakStates = live;
      }
    }
    if (level >= 1 && printState) {
      const full = frameString(frame, env.maps, undefined, env.cur.refs);
      // Level 2 announces a resumed state with `from X to Y:`; a popped state (all of it
      // scratched) is then shown again as `Y: state`, a return from a callee is not.
      if (level >= 2 && from >= 0) lines.push(`\nfrom ${from} to ${idx}: ${full}`);
      if (!(level >= 2 && fromReturn)) {
        const st = `${idx}: ${full}`;
        if (joinState) lines[lines.length - 1] += ` ${st}`;
        else lines.push(st);
      }
      fromReturn = false;
      printState = false;
      joinState = false;
    }
    env.scratched.regs.clear();
    env.scratched.slots.clear();
    // verbose_linfo prints a source line only when it differs from the last one printed.
    const lt = level >= 1 ? lineText(idx) : undefined;
    if (lt && lt !== lastLinfo) lines.push(lt);
    if (lt) lastLinfo = lt;
    const text = level >= 1 ? `${idx}: ${kernelInsnString(ins, mapsLabel(idx))}` : '';
    if (level >= 1) lines.push(text);
    // Like the kernel's rotating log, keep the tail when a path is very long.
    if (lines.length > MAX_LOG_LINES) {
      const cut = lines.length - MAX_LOG_LINES / 2;
      lines.splice(0, cut);
      dropped += cut;
    }
    const lineAt = lines.length - 1;
    // check_cond_jmp_op prints its state itself; other instructions' states wait for the next one.
    lastLine = (ins.opcode & 7) === 5 || (ins.opcode & 7) === 6 ? -1 : lineAt + dropped;
    lastText = text;
    const depthBefore = env.cur.frames.length;
    const leaving = level >= 1 && ins.opcode === 0x95 && depthBefore > 1 ? curFrame(env.cur) : undefined;
    const retCallee = leaving ? frameString(leaving, env.maps, undefined, env.cur.refs) : '';
    const res = step(env, raw, idx, ins, stack, cp, lines.length - 1, () => from);
    // do_check counts a jump after is_state_visited() ran for it (env->jmps_processed).
    if ((ins.opcode & 7) === 5 || (ins.opcode & 7) === 6) jmps++;
    if (level >= 1 && res.kind !== 'exitMain') {
      const st = frameString(curFrame(env.cur), env.maps, env.scratched, env.cur.refs);
      // print_insn_state runs when anything was scratched, even if nothing is left to show.
      // No `; state` after exits, bpf-to-bpf calls (they print caller/callee) and callback calls.
      const noState = ins.opcode === 0x95 || (ins.opcode === 0x85 && ins.src === 1) || isCallbackCall(ins);
      if ((env.scratched.regs.size || env.scratched.slots.size) && !noState) {
        // vlog_alignment(): the `;` goes at round_up(max(len + 1 + 4, 40), 8) - 2.
        const pad = Math.ceil(Math.max(text.length + 5, 40) / 8) * 8 - 2;
        lines[lineAt] = `${text.padEnd(pad)};${st ? ` ${st}` : ''}`;
      }
      const fr = env.cur.frames;
      if (ins.opcode === 0x85 && ins.src === 1 && fr.length > depthBefore) {
        // check_func_call → setup_func_exit: both frames in full, then the callee's state line.
        const callee = frameString(fr[fr.length - 1]!, env.maps, undefined, env.cur.refs);
        // The caller's R0-R5 are already cleared (clear_caller_saved_regs) when the kernel prints.
        const caller = { ...fr[fr.length - 2]!, regs: fr[fr.length - 2]!.regs.map((r, k) => (k <= 5 ? notInit() : r)) };
        lines.push('caller:', ` ${frameString(caller, env.maps, undefined, env.cur.refs)}`, 'callee:', ` ${callee}`);
        if (res.kind === 'next') lines.push(`${res.next}: ${callee}`);
      } else if (ins.opcode === 0x95 && fr.length < depthBefore && res.kind === 'next') {
        // prepare_func_exit sets do_print_state: level 2 shows `from exit to return site`.
        if (level >= 2) printState = fromReturn = true;
        lines.push('returning from callee:', ` ${retCallee}`, `to caller at ${res.next}:`, ` ${frameString(fr[fr.length - 1]!, env.maps, undefined, env.cur.refs)}`);
      }
    }
    for (const p of res.pushed) {
      if (cp) cp.branches++;
      p.cp = cp;
      p.logPos = lines.length + dropped;
      if (level === 1) p.logText = text;
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
      if (ins.src === 2) {
        checkKfuncCall(env, idx, ins, env.externs?.get(idx));
        return next(idx + 1);
      }
      if (ins.src !== 0 || ins.dst !== 0 || ins.off !== 0) reject('BPF_CALL uses reserved fields', idx, 'EINVAL');
      {
        const cb = checkHelperCall(env, idx, ins);
        if (!cb) return next(idx + 1);
        // push_callback_call: the callback frame is pushed (explored later) and the walk goes
        // on after the helper with r0 its integer result. The callback's exit comes back to
        // this call instruction.
        const caller = env.cur;
        env.cur = copyState(caller);
        enterCallback(env, idx, cb);
        const p: Pending = { state: env.cur, idx: cb.target, from: idx, cp: undefined, logPos: 0 };
        env.cur = caller;
        const cf = curFrame(caller);
        for (let r = 1; r <= 5; r++) cf.regs[r] = notInit();
        cf.regs[0] = unknownScalar();
        env.scratched.regs.add(0);
        stack.push(p);
        pushed.push(p);
        return next(idx + 1);
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
      // A subprogram's exit hands R0 back unchecked (prepare_func_exit); only the main exit
      // (check_return_code) requires it, so the kernel reports an uninit R0 there.
      if (env.cur.frames.length > 1) return next(exitSubprog(env, idx));
      if (r0.type === 'NOT_INIT') reject('R0 !read_ok', idx);
      if (env.cur.lock) reject('BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region', idx, 'EINVAL');
      if (env.cur.refs.length) {
        const r = env.cur.refs[0]!;
        // check_resource_leak names the exit after check_reference_leak's line.
        reject(`Unreleased reference id=${r.id} alloc_insn=${r.insn}`, idx, 'EACCES', ['BPF_EXIT instruction in main prog would lead to reference leak']);
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
