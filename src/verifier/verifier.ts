/**
 * The verifier's main walk (kernel/bpf/verifier.c `bpf_check` → `do_check`): every path from
 * the entry is followed instruction by instruction over abstract states, branches whose
 * outcome is unknown are both explored, states covered by fully explored ones are pruned,
 * a loop that comes back to an identical state is an infinite loop, and the walk stops after
 * 1,000,000 processed instructions, as the kernel does.
 */
import { type Instruction, OP_LDDW, classify, jumpOffset } from '../isa';
import type { MapSpec, ProgramSpec } from '../object/types';
import { BPF_ATTACH } from '../object/sections';
import { checkKfuncIds } from './check-kfunc';
import { withInnerTemplates } from './map-in-map';
import { checkCfg, checkLdImm, checkSubprogs, findSubprogs } from './cfg';
import { kernelInsnString } from './disasm';
import { type Env, type LdMapRef, Reject, reject } from './env';
import { frameString } from './print';
import { xdpHelperProto } from '../isa/helper-protos';
import { computeLiveRegs, computeSccs, liveRegsLine } from './liveness';
import { checkGlobalSubprogs, enterGlobalFunc, mainFuncLines, setUpFuncs } from './global-func';
import { notInit } from './reg-state';
import { type VState, curFrame, initialState } from './state';
import { LOOP_ID, type Pending, checkMaxStackDepth, isCallbackCall, step, toSlots } from './step';
import { Explored, isStateVisited } from './visited';
import { pushHist } from './precision';

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
  /** Sees every state the walk reaches (src/verifier/envelope.ts); verdicts do not change. */
  observer?: WalkObserver;
}

/**
 * Called with each state the walk reaches at instruction `idx`, before the instruction runs, or
 * when the state is pruned there; `live` is the mask of registers live before `idx`.
 */
export type WalkObserver = (idx: number, state: VState, pruned: boolean, live: number) => void;

/** The verdict and kernel-style log of one verification. */
export interface VerifyResult {
  accepted: boolean;
  /** The kernel's message for the fault, when rejected: the last line it prints for it. */
  error?: string;
  /** Every line the kernel prints for the fault (`invalid access to packet, ...` before `error`). */
  messages?: string[];
  /** Instruction (slot) index of the fault. */
  insn?: number;
  /** errno the kernel's BPF_PROG_LOAD would fail with. */
  errno?: string;
  log: string;
  stats: { processed: number; states: number; peakStates: number; maxStatesPerInsn: number };
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
  const templates = withInnerTemplates(maps);
  const env: Env = {
    slots,
    maps: templates.maps,
    innerMaps: templates.inner,
    mapRefs,
    externs: externNames(prog, slotOf),
    privileged: opts.privileged ?? true,
    devmapProg: prog.attachType === BPF_ATTACH.XDP_DEVMAP,
    gpl: /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(prog.license || 'GPL'),
    cur: initialState(),
    idGen: 0,
    scratched: { regs: new Set(), slots: new Set() },
    stackDepth: new Map(),
    insnIdx: 0,
    prevIdx: -1,
    curHist: undefined,
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
    // The error is the kernel's last line (`R2 offset is outside of the packet` after `invalid
    // access to packet, ...`): the one users search for. State dumps are not messages.
    const messages = [err.message, ...err.more.filter((l) => !/^(cur|old) state:/.test(l))];
    return { accepted: false, error: messages.at(-1)!, messages, insn: err.insn, errno: err.errno, log, stats };
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
    // check_btf_line: no line info record may point at an instruction with code 0.
    [...prog.lineInfo.keys()].sort((a, b) => a - b).forEach((k, n) => {
      if (prog.insns[k]?.opcode === 0) reject(`Invalid insn code at line_info[${n}].insn_off`, slotOf[k]!, 'EINVAL');
    });
    checkLdImm(raw, mapRefs, maps);
    checkCfg(raw, env.privileged);
    if (level >= 2) subprogs.forEach((sp, k) => lines.push(`func#${k} @${sp}`));
    setUpFuncs(env, prog, slotOf, subprogs, raw);
    const counters = { jmps: 0, prevJmps: 0, prevInsns: 0 };
    if (level >= 1) {
      env.log = (l) => lines.push(l);
      lines.push(...mainFuncLines(env));
    }
    walk(env, raw, subprogs, level, lines, stats, lineText, 0, counters, opts.observer);
    // Level 1 logs only the path to an error: once every path is safe, the log is empty again.
    if (level === 1) lines.length = 0;
    checkGlobalSubprogs(env, (k) => {
      const fn = env.funcs![k]!;
      if (level >= 1) lines.push(`Validating ${fn.name}() func#${k}...`);
      env.cur = initialState();
      const f = env.cur.frames[0]!;
      f.regs[1] = notInit();
      f.subprog = fn.start;
      env.verifyingGlobal = true;
      enterGlobalFunc(env, k, f.regs);
      walk(env, raw, subprogs, level, lines, stats, lineText, fn.start, counters, opts.observer);
      if (level === 1) lines.length = 0;
      if (level >= 1) lines.push(`Func#${k} ('${fn.name}') is safe for any args that match its prototype`);
    });
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

/** An instruction's log line with its `; state` part at vlog_alignment()'s column. */
function withState(text: string, st: string): string {
  // The `;` goes at round_up(max(len + 1 + 4, 40), 8) - 2.
  const pad = Math.ceil(Math.max(text.length + 5, 40) / 8) * 8 - 2;
  return `${text.padEnd(pad)};${st ? ` ${st}` : ''}`;
}

/**
 * visit_insn()'s prune points: conditional jumps themselves, `ja` targets, the instruction after
 * any call, bpf-to-bpf calls and callback-calling helpers themselves (`targets` holds the
 * jump/call successors, computed once; they are also the jump points whose arrival the jump
 * history records).
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
  start: number,
  counters: { jmps: number; prevJmps: number; prevInsns: number },
  observe?: WalkObserver,
): void {
  const targets = new Set<number>();
  raw.forEach((ins, i) => {
    const k = env.slots[i] ? classify(ins) : undefined;
    // push_insn(BRANCH) marks every branch target; calls mark their successor and callee.
    if (k?.kind === 'ja' || k?.kind === 'jcond' || k?.kind === 'may_goto') targets.add(i + jumpOffset(ins) + 1);
    if (k?.kind === 'call') targets.add(i + 1);
    if (k?.kind === 'call' && ins.src === 1) targets.add(i + ins.imm + 1);
    if (k?.kind === 'lddw' && ins.src === 4) targets.add(i + 2).add(i + ins.imm + 1);
  });
  // Per-instruction facts of the CFG pass, looked up on every processed instruction.
  const pruneAt = raw.map((_, i) => env.slots[i] !== undefined && isPrunePoint(raw, targets, i));
  const jmpAt = raw.map((ins, i) => targets.has(i) || isCallbackCall(ins));
  const textAt: (string | undefined)[] = [];
  const scc = computeSccs(raw, (i) => env.slots[i] !== undefined, (i) => isCallbackCall(raw[i]!));
  const ex = new Explored(stats, scc, level >= 2 ? (l) => lines.push(l) : undefined);
  const stack: Pending[] = [];
  let idx = start;
  env.cur.firstIdx = start;
  let printState = true;
  // Level 1 after pop_stack: the kernel's log shows the resumed state's `N: R..` line on the
  // line of the instruction that pushed it, after a space (observed on 6.18).
  let joinState = false;
  /** The previous instruction's `; state` part, printed once the next one starts. */
  let pending: { at: number; text: string; st: string } | undefined;
  let fromReturn = false;
  let lastLinfo: string | undefined;
  let from = -1;
  let dropped = 0;
  const mapsLabel = (i: number): string | undefined => {
    const ref = env.mapRefs.get(i);
    return ref ? `map[id:${ref.map + 1}]${ref.value ? `+${ref.offset}` : ''}` : undefined;
  };
  const liveRegs = computeLiveRegs(raw, (i) => env.slots[i] !== undefined, (id) => xdpHelperProto(id, env.privileged)?.args.length);
  if (level >= 2) {
    // compute_live_registers() logs its result at level 2.
    lines.push('Live regs before insn:');
    raw.forEach((ins, i) => {
      if (env.slots[i]) lines.push(liveRegsLine(i, liveRegs[i]!, kernelInsnString(ins, mapsLabel(i)), scc[i]));
    });
    env.precisionLog = (line, at, frame) => {
      if (at !== undefined && at >= 0) lines.push(`${line}${kernelInsnString(raw[at]!, mapsLabel(at))}`);
      else if (frame) lines.push(`${line} ${frameString(frame, env.maps, undefined, env.cur.refs)}`);
      else lines.push(line);
    };
  }
  /** Live registers per frame at `idx`: callers are live at their call site (frame_insn_idx). */
  const liveMasks = (at: number): number[] =>
    env.cur.frames.length === 1 ? [liveRegs[at]!] : env.cur.frames.map((_, f, fr) => liveRegs[f === fr.length - 1 ? at : fr[f + 1]!.callsite] ?? 0x7ff);
  const endPath = (): boolean => {
    ex.endPath(env);
    pending = undefined;
    const next = stack.pop();
    if (!next) return false;
    env.cur = next.state;
    idx = next.idx;
    from = next.from;
    ex.cp = next.cp;
    if (level === 1) {
      lines.length = Math.max(0, next.logPos - dropped);
      if (next.logText !== undefined && lines.length > 0) lines[lines.length - 1] = next.logText;
      joinState = lines.length > 0;
    }
    printState = true;
    return true;
  };
  // The kernel's jump and instruction counters for adding states run on across the walks of
  // the entry and of each global subprogram (env->jmps_processed, prev_*_processed).
  Object.assign(ex, counters);
  try {
    for (;;) {
      if (++stats.processed > BPF_COMPLEXITY_LIMIT_INSNS) {
        // The limit hits before print_insn_state() shows the previous instruction's effects.
        reject(`BPF program is too large. Processed ${stats.processed} insn`, idx, 'E2BIG');
      }
      const ins = env.slots[idx];
      if (!ins) reject('invalid BPF_LD_IMM insn', idx, 'EINVAL');
      env.insnIdx = idx;
      env.prevIdx = from;
      env.curHist = undefined;
      env.cur.lastIdx = from;
      const jmpPoint = jmpAt[idx]!;
      if (pruneAt[idx]) {
        const cb = isCallbackCall(ins);
        const mayGoto = ins.opcode === 0xe5;
        const cf = cb && ins.imm === LOOP_ID ? curFrame(env.cur) : undefined;
        const loopDone = !!cf && cf.regs[1]!.type === 'SCALAR_VALUE' && BigInt(cf.callbackDepth) >= cf.regs[1]!.umax;
        if (isStateVisited(env, ex, idx, { callsCallback: cb, force: cb || mayGoto, mayGoto, jmpPoint, loopDone }, liveMasks(idx))) {
          observe?.(idx, env.cur, true, liveRegs[idx]!);
          if (level >= 1) lines.push(printState && from >= 0 ? `\nfrom ${from} to ${idx}: safe` : `${idx}: safe`);
          joinState = false;
          if (!endPath()) return;
          continue;
        }
      }
      if (jmpPoint) pushHist(env);
      observe?.(idx, env.cur, false, liveRegs[idx]!);
      const frame = curFrame(env.cur);
      // print_insn_state of the previous instruction runs here, after is_state_visited (nothing
      // when the path was pruned or level 2 prints the whole state anyway).
      if (pending && !(level >= 2 && printState && from >= 0)) {
        const li = pending.at - dropped;
        if (li >= 0 && li === lines.length - 1) lines[li] = withState(pending.text, pending.st);
        else lines.push(`${idx}:${pending.st ? ` ${pending.st}` : ''}`);
      }
      pending = undefined;
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
      const text = level >= 1 ? (textAt[idx] ??= `${idx}: ${kernelInsnString(ins, mapsLabel(idx))}`) : '';
      if (level >= 1) lines.push(text);
      // Like the kernel's rotating log, keep the tail when a path is very long.
      if (lines.length > MAX_LOG_LINES) {
        const cut = lines.length - MAX_LOG_LINES / 2;
        lines.splice(0, cut);
        dropped += cut;
      }
      const lineAt = lines.length - 1;
      const depthBefore = env.cur.frames.length;
      const leaving = level >= 1 && ins.opcode === 0x95 && depthBefore > 1 ? curFrame(env.cur) : undefined;
      const retCallee = leaving ? frameString(leaving, env.maps, undefined, env.cur.refs) : '';
      const res = step(env, raw, idx, ins, stack, ex);
      // do_check counts a jump after is_state_visited() ran for it (env->jmps_processed).
      if ((ins.opcode & 7) === 5 || (ins.opcode & 7) === 6) ex.jmps++;
      if (level >= 1 && res.kind !== 'exitMain') {
        const st = frameString(curFrame(env.cur), env.maps, env.scratched, env.cur.refs);
        // print_insn_state runs when anything was scratched, even if nothing is left to show.
        // No `; state` after exits, bpf-to-bpf calls (they print caller/callee) and callback calls.
        const noState = ins.opcode === 0x95 || (ins.opcode === 0x85 && ins.src === 1 && !env.globalStarts?.has(idx + ins.imm + 1)) || isCallbackCall(ins);
        if ((env.scratched.regs.size || env.scratched.slots.size) && !noState) {
          // check_cond_jmp_op prints its state itself; other instructions' wait for the next one.
          const op = ins.opcode & 0xf0;
          const condJmp = ((ins.opcode & 7) === 5 || (ins.opcode & 7) === 6) && op !== 0x00 && op !== 0x80 && op !== 0x90 && op !== 0xe0;
          if (!condJmp) pending = { at: lineAt + dropped, text, st };
          else if (lineAt === lines.length - 1) lines[lineAt] = withState(text, st);
          // Something (mark_precise) was logged after the instruction: its own line.
          else lines.push(`${idx}:${st ? ` ${st}` : ''}`);
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
        if (ex.cp) ex.cp.branches++;
        p.cp = ex.cp;
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
  } finally {
    Object.assign(counters, { jmps: ex.jmps, prevJmps: ex.prevJmps, prevInsns: ex.prevInsns });
  }
}

