/**
 * The helper table of the emulated kernel: one {@link HelperContext} (maps, clocks, trace
 * pipe, routing, redirect state) and the {@link HelperTable} the VM calls, indexed by the
 * kernel's helper ids (src/isa HELPER_NAMES), with bpf_tail_call resolved through prog arrays.
 * Options (CPU, seed, clock) are fixed when it is made; the kernel calls {@link beginRun} before
 * each program run to set the CPU and task and clear the redirect state.
 */
import { helperId } from '../../isa';
import type { HelperCall, HelperFn, HelperTable, VmProgram } from '../../vm';
import type { BpfMap } from '../maps/map';
import { ProgArrayMap } from '../maps/prog-array';
import { realClock, type KernelClock } from './clock';
import { MAP_PTR_TAG, mapArg, type HelperContext, type RedirectInfo } from './context';
import { fibLookupHelper, type FibProvider } from './fib';
import {
  forEachMapElem, mapDeleteElem, mapLookupElem, mapLookupElemOn, mapUpdateElemOn, mapPopPeekElem, mapPushElem, mapUpdateElem,
} from './map-helpers';
import {
  csumDiffHelper, getCurrentPidTgid, getNumaNodeId, getPrandomU32, getSmpProcessorId, jiffies64, ktimeGetBootNs,
  ktimeGetNs, ktimeGetTaiNs, loopHelper,
} from './misc-helpers';
import { Prandom } from './prandom';
import { redirectHelper, redirectMapHelper } from './redirect';
import { ringbufCommit, ringbufOutput, ringbufQuery, ringbufReserve } from './ringbuf-helpers';
import { TracePipe } from './trace';
import { tracePrintk } from './trace-printk';
import {
  xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpCopyBytes, xdpGetBuffLen,
} from './xdp-helpers';

/** Options of a {@link KernelHelpers}, fixed at creation. */
export interface KernelHelpersOptions {
  /** Map lookup by id. */
  readonly maps: (id: number) => BpfMap | undefined;
  /** Compiled program by id (tail calls); absent means tail calls always fall through. */
  readonly programs?: (id: number) => VmProgram | undefined;
  /** Seed of bpf_get_prandom_u32 (random when absent), or a generator to continue. */
  readonly seed?: number | bigint | Prandom;
  readonly clock?: KernelClock;
  readonly trace?: TracePipe;
  readonly fib?: FibProvider;
}

/** Which helper ids this kernel implements, by name (for `bpftool feature`-like listings). */
export const IMPLEMENTED_HELPERS: readonly string[] = [
  'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem',
  'map_peek_elem', 'ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_tai_ns', 'jiffies64',
  'get_prandom_u32', 'get_smp_processor_id', 'get_numa_node_id', 'get_current_pid_tgid', 'trace_printk', 'tail_call',
  'redirect', 'redirect_map', 'xdp_adjust_head', 'xdp_adjust_tail', 'xdp_adjust_meta',
  'csum_diff', 'fib_lookup', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit',
  'ringbuf_discard', 'ringbuf_query', 'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes',
  'loop', 'for_each_map_elem',
];

/** The helpers of one emulated kernel and the state they share. */
export class KernelHelpers implements HelperContext {
  readonly clock: KernelClock;
  readonly random: Prandom;
  readonly trace: TracePipe;
  readonly fib: FibProvider | undefined;
  cpu = 0;
  comm = 'xdpts';
  pid = 1;
  redirect: RedirectInfo | null = null;
  /** The table to give the VM (CompileOptions.helpers). */
  readonly table: HelperTable;
  private readonly maps: (id: number) => BpfMap | undefined;
  private readonly programs: (id: number) => VmProgram | undefined;

  constructor(opts: KernelHelpersOptions) {
    this.maps = opts.maps;
    this.programs = opts.programs ?? (() => undefined);
    this.clock = opts.clock ?? realClock();
    this.random = opts.seed instanceof Prandom ? opts.seed : new Prandom(opts.seed);
    this.trace = opts.trace ?? new TracePipe();
    this.fib = opts.fib;
    const fns: (HelperFn | undefined)[] = [];
    const set = (name: string, fn: HelperFn): void => {
      fns[helperId(name)!] = fn;
    };
    set('map_lookup_elem', mapLookupElem(this));
    set('map_update_elem', mapUpdateElem(this));
    set('map_delete_elem', mapDeleteElem(this));
    set('map_push_elem', mapPushElem(this));
    set('map_pop_elem', mapPopPeekElem(this, true));
    set('map_peek_elem', mapPopPeekElem(this, false));
    set('for_each_map_elem', forEachMapElem(this));
    set('ktime_get_ns', ktimeGetNs(this));
    set('ktime_get_boot_ns', ktimeGetBootNs(this));
    set('ktime_get_tai_ns', ktimeGetTaiNs(this));
    set('jiffies64', jiffies64(this));
    set('get_prandom_u32', getPrandomU32(this));
    set('get_smp_processor_id', getSmpProcessorId(this));
    set('get_numa_node_id', getNumaNodeId());
    set('get_current_pid_tgid', getCurrentPidTgid(this));
    set('trace_printk', tracePrintk(this));
    set('redirect', redirectHelper(this));
    set('redirect_map', redirectMapHelper(this));
    set('xdp_adjust_head', xdpAdjustHead);
    set('xdp_adjust_tail', xdpAdjustTail);
    set('xdp_adjust_meta', xdpAdjustMeta);
    set('xdp_get_buff_len', xdpGetBuffLen);
    set('xdp_load_bytes', xdpCopyBytes(false));
    set('xdp_store_bytes', xdpCopyBytes(true));
    set('csum_diff', csumDiffHelper);
    set('fib_lookup', fibLookupHelper(this));
    set('ringbuf_output', ringbufOutput(this));
    set('ringbuf_reserve', ringbufReserve(this));
    set('ringbuf_submit', ringbufCommit(false));
    set('ringbuf_discard', ringbufCommit(true));
    set('ringbuf_query', ringbufQuery(this));
    set('loop', loopHelper);
    const lookupId = helperId('map_lookup_elem')!;
    const updateId = helperId('map_update_elem')!;
    this.table = {
      helpers: fns,
      tailCall: (c) => this.tailCall(c),
      // map_lookup_elem right after `lddw r1, map` (a BPF_PSEUDO_MAP_* load, src != 0): the
      // map is among the program's referenced maps, which the kernel keeps alive as long as
      // the program (Kernel.deleteMap refuses), so the call site may hold it directly.
      specialize: (id, lo, hi, load) => {
        if ((id !== lookupId && id !== updateId) || hi !== MAP_PTR_TAG || load.src === 0) return undefined;
        const m = this.maps(lo);
        if (m === undefined) return undefined;
        return id === lookupId ? mapLookupElemOn(this, m) : mapUpdateElemOn(this, m);
      },
    };
  }

  map(id: number): BpfMap | undefined {
    return this.maps(id);
  }

  program(id: number): VmProgram | undefined {
    return this.programs(id);
  }

  /** Prepares the next run: its CPU and task, and no redirect chosen yet. */
  beginRun(opts: { cpu?: number; comm?: string; pid?: number } = {}): void {
    this.cpu = opts.cpu ?? this.cpu;
    this.comm = opts.comm ?? this.comm;
    this.pid = opts.pid ?? this.pid;
    this.redirect = null;
  }

  /**
   * bpf_tail_call(ctx, prog_array, index): the program in the slot, or undefined to fall
   * through (index out of range or empty slot, as the kernel does).
   */
  private tailCall(c: HelperCall): VmProgram | undefined {
    const map = mapArg(this, c, 2);
    if (!(map instanceof ProgArrayMap)) return undefined;
    const id = map.progAt(c.u32(3));
    return id === undefined ? undefined : this.programs(id);
  }
}
