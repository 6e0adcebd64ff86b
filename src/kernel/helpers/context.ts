/**
 * What helper implementations reach of the emulated kernel: its maps, the current CPU and task,
 * clocks, the random generator, the trace pipe, the routing table, the programs (for tail calls)
 * and the per-CPU redirect state (`struct bpf_redirect_info`) that bpf_redirect* fill and the
 * XDP hook reads after a program returned XDP_REDIRECT.
 */
import type { HelperCall, VmProgram } from '../../vm';
import type { BpfMap } from '../maps/map';
import type { KernelClock } from './clock';
import type { FibProvider } from './fib';
import type { Prandom } from './prandom';
import type { TracePipe } from './trace';

/**
 * The high half of a map pointer: `lddw rX, map` loads `(map id, MAP_PTR_TAG)`. It is not a
 * VM region tag (those count up from 16), so a program that dereferences a map pointer faults.
 */
export const MAP_PTR_TAG = 0x7ffe0000;

/** The `[lo, hi]` register value of a pointer to map `id` (for the loader's PseudoResolver). */
export function mapPointer(id: number): readonly [number, number] {
  return [id | 0, MAP_PTR_TAG];
}

/** `map_type` the redirect state records for a plain bpf_redirect (BPF_MAP_TYPE_UNSPEC). */
export const REDIRECT_NO_MAP = 0;

/**
 * The redirect target a program chose (`struct bpf_redirect_info`): after bpf_redirect,
 * `mapId` is undefined and `index` is the ifindex; after bpf_redirect_map, `mapId`/`mapType`
 * name the map and `index` is the key; `flags` keeps BPF_F_BROADCAST / BPF_F_EXCLUDE_INGRESS.
 */
export interface RedirectInfo {
  index: number;
  flags: number;
  mapId: number | undefined;
  mapType: number;
}

/** The kernel objects helpers operate on. */
export interface HelperContext {
  /** Finds a map by id (map pointers carry the id). */
  map(id: number): BpfMap | undefined;
  /** The program with this id, compiled, for bpf_tail_call; undefined when there is none. */
  program(id: number): VmProgram | undefined;
  readonly clock: KernelClock;
  readonly random: Prandom;
  readonly trace: TracePipe;
  /** The routing table for bpf_fib_lookup; undefined means no forwarding information. */
  readonly fib: FibProvider | undefined;
  /** The CPU the current run is on (per-CPU map values, get_smp_processor_id). */
  cpu: number;
  /** The task the run is attributed to in trace lines (comm, pid). */
  comm: string;
  pid: number;
  /** The redirect state of the current run, or null when no redirect helper was called. */
  redirect: RedirectInfo | null;
}

/** The map argument rN (a map pointer); faults when rN is not one. */
export function mapArg(ctx: HelperContext, c: HelperCall, n: number): BpfMap {
  const lo = c.args[2 * (n - 1)]!;
  const hi = c.args[2 * (n - 1) + 1]!;
  const m = hi === MAP_PTR_TAG ? ctx.map(lo) : undefined;
  if (m === undefined) return notMap(c, n);
  return m;
}

/** The fault of a map argument that is not a map pointer (kept out of line of the hot path). */
function notMap(c: HelperCall, n: number): never {
  c.fault(`r${n} is not a map pointer`);
}

/** Pointer rN as (lo, hi). */
export function ptrArg(c: HelperCall, n: number): [number, number] {
  return [c.args[2 * (n - 1)]!, c.args[2 * (n - 1) + 1]!];
}

/**
 * A u64 flags argument as a number: values above 32 bits become 0xffffffff, which every
 * kernel flag check refuses like it refuses the real unknown high bits.
 */
export function flagsArg(c: HelperCall, n: number): number {
  return c.args[2 * (n - 1) + 1] === 0 ? c.args[2 * (n - 1)]! >>> 0 : 0xffffffff;
}

/** A read-only view of `len` guest bytes at pointer rN (faults when not readable). */
export function memArg(c: HelperCall, n: number, len: number): Uint8Array {
  const lo = c.args[2 * (n - 1)]!;
  const u8 = c.mem.check(lo, c.args[2 * n - 1]!, len, false);
  return u8.subarray(lo >>> 0, (lo >>> 0) + len);
}
