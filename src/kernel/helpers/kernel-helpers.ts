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
  forEachMapElem, mapDeleteElem, mapLookupElem, mapLookupElemOn, mapLookupPercpuElem, mapUpdateElemOn, mapPopPeekElem, mapPushElem,
  mapUpdateElem,
} from './map-helpers';
import { perfEventOutput, perfEventRead, perfEventReadValue } from './perf-helpers';
import { snprintfHelper, strncmpHelper, strtolHelper, strtoulHelper, traceVprintk } from './string-helpers';
import {
  getCgroupClassid, getCurrentAncestorCgroupId, getCurrentCgroupId, getCurrentComm, getCurrentTask, getCurrentUidGid,
  getNsCurrentPidTgid, ktimeGetCoarseNs, probeRead,
} from './task-helpers';
import {
  csumDiffHelper, getCurrentPidTgid, getNumaNodeId, getPrandomU32, getSmpProcessorId, jiffies64, ktimeGetBootNs,
  ktimeGetNs, ktimeGetTaiNs, loopHelper,
} from './misc-helpers';
import { Prandom } from './prandom';
import { kfuncTable } from './kfuncs';
import { ConntrackTable } from './conntrack';
import { redirectHelper, redirectMapHelper } from './redirect';
import { ringbufCommit, ringbufOutput, ringbufQuery, ringbufReserve } from './ringbuf-helpers';
import { skLookup, skRelease, tcpSyncookieNoListener } from './sock-helpers';
import { TracePipe } from './trace';
import { tracePrintk } from './trace-printk';
import {
  xdpAdjustHead, xdpAdjustMeta, xdpAdjustTail, xdpCheckMtu, xdpCopyBytes, xdpGetBuffLen,
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
  /** MTU of the device with this ifindex (bpf_check_mtu); undefined for no such device. */
  readonly netdevMtu?: (ifindex: number) => number | undefined;
}

/** Which helpers this kernel implements, by name (for `bpftool feature`-like listings). */
export const IMPLEMENTED_HELPERS: readonly string[] = [
  'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem',
  'map_peek_elem', 'map_lookup_percpu_elem', 'ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_tai_ns',
  'ktime_get_coarse_ns', 'jiffies64', 'get_prandom_u32', 'get_smp_processor_id', 'get_numa_node_id',
  'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm', 'get_current_cgroup_id',
  'get_current_ancestor_cgroup_id', 'get_cgroup_classid', 'get_current_task', 'get_ns_current_pid_tgid',
  'probe_read_user', 'probe_read_kernel', 'probe_read_user_str', 'probe_read_kernel_str',
  'trace_printk', 'trace_vprintk', 'snprintf', 'strtol', 'strtoul', 'strncmp', 'tail_call',
  'redirect', 'redirect_map', 'xdp_adjust_head', 'xdp_adjust_tail', 'xdp_adjust_meta', 'check_mtu',
  'csum_diff', 'fib_lookup', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit',
  'ringbuf_discard', 'ringbuf_query', 'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes',
  'loop', 'for_each_map_elem', 'spin_lock', 'spin_unlock', 'perf_event_output', 'perf_event_read', 'perf_event_read_value',
  'sk_lookup_tcp', 'sk_lookup_udp', 'skc_lookup_tcp', 'sk_release', 'tcp_check_syncookie', 'tcp_gen_syncookie',
];

/**
 * Helpers the kernel lets XDP call that this kernel does not emulate, and why: a call is
 * refused with `helper bpf_x#N is not emulated` (by the verifier when it cannot model the
 * helper's types, else when the program is loaded).
 */
export const NOT_EMULATED_HELPERS: Readonly<Record<string, string>> = {
  current_task_under_cgroup: 'CGROUP_ARRAY maps are not emulated',
  send_signal: 'no user-space process to signal',
  send_signal_thread: 'no user-space process to signal',
  skc_to_tcp6_sock: 'BTF-typed socket casts (tcp_sock, udp6_sock, ...) are not modelled by the verifier',
  skc_to_tcp_sock: 'BTF-typed socket casts (tcp_sock, udp6_sock, ...) are not modelled by the verifier',
  skc_to_tcp_timewait_sock: 'BTF-typed socket casts (tcp_sock, udp6_sock, ...) are not modelled by the verifier',
  skc_to_tcp_request_sock: 'BTF-typed socket casts (tcp_sock, udp6_sock, ...) are not modelled by the verifier',
  skc_to_udp6_sock: 'BTF-typed socket casts (tcp_sock, udp6_sock, ...) are not modelled by the verifier',
  skc_to_unix_sock: 'BTF-typed socket casts (tcp_sock, udp6_sock, ...) are not modelled by the verifier',
  skc_to_mptcp_sock: 'BTF-typed socket casts (tcp_sock, udp6_sock, ...) are not modelled by the verifier',
  tcp_raw_gen_syncookie_ipv4: 'no SYN cookie secret in the emulated TCP stack',
  tcp_raw_gen_syncookie_ipv6: 'no SYN cookie secret in the emulated TCP stack',
  tcp_raw_check_syncookie_ipv4: 'no SYN cookie secret in the emulated TCP stack',
  tcp_raw_check_syncookie_ipv6: 'no SYN cookie secret in the emulated TCP stack',
  timer_init: 'bpf_timer is not modelled',
  timer_set_callback: 'bpf_timer is not modelled',
  timer_start: 'bpf_timer is not modelled',
  timer_cancel: 'bpf_timer is not modelled',
  kptr_xchg: 'kptrs (BTF-typed kernel pointers) are not modelled',
  per_cpu_ptr: 'per-CPU kernel symbols (__ksym) are not modelled',
  this_cpu_ptr: 'per-CPU kernel symbols (__ksym) are not modelled',
  get_current_task_btf: 'BTF-typed task pointers are not modelled',
  task_pt_regs: 'BTF-typed task pointers are not modelled',
  get_task_stack: 'BTF-typed task pointers are not modelled',
  find_vma: 'BTF-typed task pointers are not modelled',
  task_storage_get: 'TASK_STORAGE maps are not emulated',
  task_storage_delete: 'TASK_STORAGE maps are not emulated',
  cgrp_storage_get: 'CGRP_STORAGE maps are not emulated',
  cgrp_storage_delete: 'CGRP_STORAGE maps are not emulated',
  user_ringbuf_drain: 'USER_RINGBUF maps are not emulated',
  get_branch_snapshot: 'no LBR hardware',
  snprintf_btf: 'BTF-typed printing of kernel objects is not modelled',
  dynptr_from_mem: 'dynptrs are not modelled by the verifier',
  dynptr_read: 'dynptrs are not modelled by the verifier',
  dynptr_write: 'dynptrs are not modelled by the verifier',
  dynptr_data: 'dynptrs are not modelled by the verifier',
  ringbuf_reserve_dynptr: 'dynptrs are not modelled by the verifier',
  ringbuf_submit_dynptr: 'dynptrs are not modelled by the verifier',
  ringbuf_discard_dynptr: 'dynptrs are not modelled by the verifier',
};

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
  /** The connection tracking table the conntrack kfuncs search and fill. */
  readonly conntrack: ConntrackTable;
  private readonly maps: (id: number) => BpfMap | undefined;
  private readonly programs: (id: number) => VmProgram | undefined;

  constructor(opts: KernelHelpersOptions) {
    this.maps = opts.maps;
    this.programs = opts.programs ?? (() => undefined);
    this.clock = opts.clock ?? realClock();
    this.random = opts.seed instanceof Prandom ? opts.seed : new Prandom(opts.seed);
    this.trace = opts.trace ?? new TracePipe();
    this.fib = opts.fib;
    this.conntrack = new ConntrackTable(this.clock);
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
    set('map_lookup_percpu_elem', mapLookupPercpuElem(this));
    set('ktime_get_coarse_ns', ktimeGetCoarseNs(this));
    set('get_current_uid_gid', getCurrentUidGid());
    set('get_current_comm', getCurrentComm(this));
    set('get_current_cgroup_id', getCurrentCgroupId());
    set('get_current_ancestor_cgroup_id', getCurrentAncestorCgroupId());
    set('get_cgroup_classid', getCgroupClassid());
    set('get_current_task', getCurrentTask(this));
    set('get_ns_current_pid_tgid', getNsCurrentPidTgid(this));
    set('probe_read_user', probeRead('user', false));
    set('probe_read_kernel', probeRead('kernel', false));
    set('probe_read_user_str', probeRead('user', true));
    set('probe_read_kernel_str', probeRead('kernel', true));
    set('strtol', strtolHelper);
    set('strtoul', strtoulHelper);
    set('strncmp', strncmpHelper);
    set('snprintf', snprintfHelper);
    set('trace_vprintk', traceVprintk(this));
    // One program runs at a time in the emulation: a lock is always free, taking it is a no-op.
    set('spin_lock', () => undefined);
    set('spin_unlock', () => undefined);
    set('perf_event_output', perfEventOutput(this));
    set('perf_event_read', perfEventRead(this));
    set('perf_event_read_value', perfEventReadValue(this));
    set('check_mtu', xdpCheckMtu(opts.netdevMtu ?? (() => undefined)));
    set('sk_lookup_tcp', skLookup);
    set('sk_lookup_udp', skLookup);
    set('skc_lookup_tcp', skLookup);
    set('sk_release', skRelease);
    set('tcp_check_syncookie', tcpSyncookieNoListener);
    set('tcp_gen_syncookie', tcpSyncookieNoListener);
    const lookupId = helperId('map_lookup_elem')!;
    const updateId = helperId('map_update_elem')!;
    this.table = {
      helpers: fns,
      kfuncs: kfuncTable(this.conntrack),
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
