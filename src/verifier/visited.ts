/**
 * Checkpoints and pruning (kernel/bpf/verifier.c `is_state_visited`, `update_branch_counts`):
 * at a prune point the current state is compared with the states already recorded there; one
 * that covers it ends the path, an identical one still being explored is an infinite loop,
 * and otherwise the current state may become a new checkpoint (the parent that precision
 * backtracking continues into).
 */
import { type Env, reject } from './env';
import { frameString } from './print';
import { markAllImprecise, markAllPrecise, propagatePrecision, pushHist } from './precision';
import { statesEqual, statesMaybeLooping, widenScalars } from './prune';
import { type VState, copyState, curFrame } from './state';

/** A recorded state (`struct bpf_verifier_state_list`). */
export interface Checkpoint {
  state: VState;
  /** Paths still being explored from this state (`branches`). */
  branches: number;
  parent: Checkpoint | undefined;
  hit: number;
  miss: number;
  /** Dropped from the explored list (miss heuristic): on the free list until branches reach 0. */
  evicted?: boolean;
  /** The instruction it was recorded at. */
  idx: number;
}

/** `struct bpf_scc_visit`: one loop entered through one chain of call sites. */
interface SccVisit {
  name: string;
  /** The first checkpoint made inside the loop on this visit (`entry_state`). */
  entry: Checkpoint | undefined;
  /** Current states found equal to a loop state whose marks may still grow (`backedges`). */
  backedges: { state: VState; equal: VState; idx: number }[];
}

/** The checkpoint bookkeeping of one verification (the fields of `bpf_verifier_env` it uses). */
export class Explored {
  readonly lists = new Map<number, Checkpoint[]>();
  /** The current path's newest checkpoint. */
  cp: Checkpoint | undefined;
  jmps = 0;
  prevJmps = 0;
  prevInsns = 0;
  /** States recorded and not yet freed (explored list + free list). */
  live = 0;
  /** Backedge states held by SCC visits (counted in peak_states since 6.17). */
  backedges = 0;
  readonly visits = new Map<string, SccVisit>();
  constructor(
    readonly stats: { processed: number; states: number; peakStates: number; maxStatesPerInsn: number },
    /** Slot → SCC id (liveness.ts computeSccs). */
    readonly scc: Int32Array,
    readonly log?: (line: string) => void,
  ) {}

  updatePeak(): void {
    if (this.live + this.backedges > this.stats.peakStates) this.stats.peakStates = this.live + this.backedges;
  }

  /** `compute_scc_callchain`: the visit key of a state at `idx`, if some frame is in a loop. */
  callchain(st: VState, idx: number): string | undefined {
    const sites: number[] = [];
    for (let f = 0; f < st.frames.length; f++) {
      const at = f === st.frames.length - 1 ? idx : st.frames[f + 1]!.callsite;
      const id = this.scc[at] ?? 0;
      if (id) return `(${sites.map((x) => `${x},`).join('')}${id})`;
      sites.push(at);
    }
    return undefined;
  }

  /** `maybe_enter_scc` for a new checkpoint. */
  enter(c: Checkpoint): void {
    const key = this.callchain(c.state, c.idx);
    if (!key) return;
    let v = this.visits.get(key);
    if (!v) this.visits.set(key, (v = { name: key, entry: undefined, backedges: [] }));
    if (!v.entry) {
      v.entry = c;
      this.log?.(`SCC enter ${key}`);
    }
  }

  /** `incomplete_read_marks`: the loop `st` is in still has unresolved backedges. */
  incomplete(st: VState, idx: number): boolean {
    const key = this.callchain(st, idx);
    return !!key && (this.visits.get(key)?.backedges.length ?? 0) > 0;
  }

  /** `add_scc_backedge`: `cur` was found equal to loop state `equal`. */
  addBackedge(env: Env, equal: Checkpoint, cur: VState): void {
    const key = this.callchain(equal.state, equal.idx);
    const v = key ? this.visits.get(key) : undefined;
    if (!v) return;
    this.log?.(`SCC backedge ${key}`);
    v.backedges.push({ state: copyState(cur), equal: equal.state, idx: env.insnIdx });
    this.backedges++;
    this.updatePeak();
  }

  /** `update_branch_counts` for the path that just ended. */
  endPath(env: Env): void {
    for (let c = this.cp; c; c = c.parent) {
      if (--c.branches > 0) break;
      this.exit(env, c);
      if (c.evicted) this.live--;
    }
  }

  /** `maybe_exit_scc`: every path from the loop's entry is explored; settle its backedges. */
  private exit(env: Env, c: Checkpoint): void {
    const key = this.callchain(c.state, c.idx);
    const v = key ? this.visits.get(key) : undefined;
    if (!v || v.entry !== c) return;
    this.log?.(`SCC exit ${key}`);
    v.entry = undefined;
    const edges = v.backedges;
    this.backedges -= edges.length;
    v.backedges = [];
    this.updatePeak();
    // propagate_backedges: precision flows into the backedge states until nothing changes.
    const saved = { cur: env.cur, idx: env.insnIdx };
    try {
      for (let round = 0, changed = true; changed; round++) {
        changed = false;
        for (const e of edges) {
          env.cur = e.state;
          env.insnIdx = e.idx;
          if (round > 64) markAllPrecise(env, e.state);
          else if (propagatePrecision(env, e.equal)) changed = true;
        }
        if (round > 64) break;
      }
    } finally {
      env.cur = saved.cur;
      env.insnIdx = saved.idx;
    }
  }
}

/**
 * `find_prev_entry`: the checkpoint of an earlier iteration of the loop through `idx` that
 * `st` (a checkpoint at `idx`) belongs to.
 */
export function findPrevEntry(ex: Explored, st: VState | undefined, idx: number): VState | undefined {
  if (!st) return undefined;
  const list = ex.lists.get(idx) ?? [];
  for (let k = list.length - 1; k >= 0; k--) {
    const o = list[k]!.state;
    if (list[k]!.branches > 0 && o.dfsDepth < st.dfsDepth && sameCallsites(o, st)) return o;
  }
  return undefined;
}

function sameCallsites(a: VState, b: VState): boolean {
  return a.frames.length === b.frames.length && a.frames.every((f, k) => f.callsite === b.frames[k]!.callsite);
}

/** What the instruction being visited is (from the CFG pass). */
export interface PointKind {
  /** A callback-calling helper (`calls_callback`). */
  callsCallback: boolean;
  /** `force_checkpoint`: callback-calling helpers and may_goto. */
  force: boolean;
  mayGoto: boolean;
  jmpPoint: boolean;
  /** A bpf_loop call whose callback will not be entered again (its iteration limit reached). */
  loopDone?: boolean;
}

/**
 * `is_state_visited`: true when the current state is covered (the path ends here). `live`
 * holds the live-register mask of each frame at its current instruction.
 */
export function isStateVisited(env: Env, ex: Explored, idx: number, kind: PointKind, live: readonly number[]): boolean {
  const cur = env.cur;
  const stats = ex.stats;
  const force = kind.force || cur.hist.length > 40;
  // A checkpoint only every 2 jumps and 8 instructions, unless forced.
  let addNew = force || (ex.jmps - ex.prevJmps >= 2 && stats.processed - ex.prevInsns >= 8);
  const list = ex.lists.get(idx) ?? [];
  let statesCnt = 0;
  const priv = env.privileged;
  let hit: Checkpoint | undefined;
  // A hit that closes a loop whose marks are not final yet (`loop` in is_state_visited).
  let loop = false;
  // The newest state is at the head of the kernel's list and is compared first.
  for (let k = list.length - 1; k >= 0 && !hit; k--) {
    const sl = list[k]!;
    statesCnt++;
    if (sl.branches > 0) {
      if (kind.mayGoto && sl.state.mayGotoDepth !== cur.mayGotoDepth && statesEqual(sl.state, cur, live, 'range_within', priv)) {
        hit = sl;
        loop = true;
        break;
      }
      if (kind.callsCallback) {
        // Callback iterations converge when an active state at the call covers this one.
        if (statesEqual(sl.state, cur, live, 'range_within', priv)) {
          hit = sl;
          loop = true;
          break;
        }
      } else if (statesMaybeLooping(sl.state, cur) && statesEqual(sl.state, cur, live, 'exact', priv) && sl.state.mayGotoDepth === cur.mayGotoDepth) {
        const full = (st: VState): string => frameString(curFrame(st), env.maps, undefined, st.refs);
        reject(`infinite loop detected at insn ${idx}`, idx, 'EINVAL', [`cur state: ${full(cur)}`, `old state: ${full(sl.state)}`]);
      }
      // Inside a loop distinct iterations rarely help pruning: a new state only every 20
      // jumps or 100 instructions.
      if (!force && ex.jmps - ex.prevJmps < 20 && stats.processed - ex.prevInsns < 100) addNew = false;
    } else {
      // Inside a loop whose backedges are unresolved, precision marks are not final yet.
      const incomplete = ex.incomplete(sl.state, idx);
      if (statesEqual(sl.state, cur, live, incomplete ? 'range_within' : 'not_exact', priv)) {
        hit = sl;
        loop = incomplete;
        break;
      }
    }
    // A miss only counts when a state is going to be added (else loop iterations would evict
    // the states recorded earlier); checkpoints of active loops may miss more.
    if (addNew) sl.miss++;
    const n = kind.force && sl.branches > 0 ? 64 : 3;
    if (sl.miss > sl.hit * n + n) {
      list.splice(k, 1);
      sl.evicted = true;
      if (sl.branches === 0) ex.live--;
    }
  }
  if (!hit && kind.callsCallback && !kind.loopDone) {
    // xdpts' stand-in for the kernel's callback convergence: widen the scalars that keep
    // changing between iterations, then compare again.
    const active = list.find((sl) => sl.branches > 0);
    if (active) {
      widenScalars(active.state, cur);
      if (statesEqual(active.state, cur, undefined, 'range_within', priv)) {
        hit = active;
        loop = true;
      }
    }
  }
  if (hit) {
    hit.hit++;
    if (kind.jmpPoint) pushHist(env);
    propagatePrecision(env, hit.state);
    if (loop) ex.addBackedge(env, hit, cur);
    return true;
  }
  if (statesCnt > stats.maxStatesPerInsn) stats.maxStatesPerInsn = statesCnt;
  if (!addNew) return false;
  ex.prevJmps = ex.jmps;
  ex.prevInsns = stats.processed;
  // Forget the precision marks inherited from the parent (see precision.ts).
  if (priv) markAllImprecise(cur);
  const nc: Checkpoint = { state: copyState(cur), branches: 1, parent: ex.cp, hit: 0, miss: 0, idx };
  nc.state.hist = cur.hist;
  list.push(nc);
  ex.lists.set(idx, list);
  ex.cp = nc;
  stats.states++;
  ex.live++;
  ex.updatePeak();
  ex.enter(nc);
  cur.parent = nc.state;
  cur.dfsDepth = nc.state.dfsDepth + 1;
  cur.firstIdx = idx;
  cur.hist = [];
  return false;
}
