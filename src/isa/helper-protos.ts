/**
 * BPF helper prototypes as data: argument and return types the verifier checks a call against,
 * and which helpers an XDP program may call.
 *
 * The table (helper-proto-table.ts) is transcribed from the kernel's `struct bpf_func_proto`
 * definitions (Linux 6.18): kernel/bpf/helpers.c, kernel/bpf/ringbuf.c, kernel/bpf/bpf_iter.c,
 * kernel/trace/bpf_trace.c and net/core/filter.c. Which helpers XDP may call at all, and which
 * are `gpl_only`, was measured on the 6.18 oracle kernel with fixtures/kernel/helper-probe.c
 * (`xdp_func_proto` → `bpf_sk_base_func_proto` → `bpf_base_func_proto` for a root loader); the
 * results are fixtures/kernel/helper-probe*.out, re-checked by test/kernel/helper-probe.test.ts.
 */
import { helperId, helperName } from './helpers';
import { HELPER_PROTO_TABLE } from './helper-proto-table';
import type { HelperProto } from './helper-proto-types';

export * from './helper-proto-types';

/** Every prototype xdpts knows. */
export const HELPER_PROTOS: readonly HelperProto[] = HELPER_PROTO_TABLE;

const BY_ID = new Map(HELPER_PROTOS.map((p) => [p.id, p] as const));

/** The prototype of helper `id`, or undefined if xdpts does not know it. */
export function helperProto(id: number): HelperProto | undefined {
  return BY_ID.get(id);
}

/**
 * Every helper the 6.18 kernel lets a root-loaded XDP program call (`xdp_func_proto`, then
 * `bpf_sk_base_func_proto`, then `bpf_base_func_proto`), as measured by
 * fixtures/kernel/helper-probe.c: any other id is `program of this type cannot use helper`.
 */
export const XDP_HELPERS: readonly string[] = [
  'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'ktime_get_ns', 'trace_printk', 'get_prandom_u32',
  'get_smp_processor_id', 'tail_call', 'get_current_pid_tgid', 'get_current_uid_gid', 'get_current_comm',
  'get_cgroup_classid', 'perf_event_read', 'redirect', 'perf_event_output', 'csum_diff', 'get_current_task',
  'current_task_under_cgroup', 'get_numa_node_id', 'xdp_adjust_head', 'redirect_map', 'xdp_adjust_meta',
  'perf_event_read_value', 'xdp_adjust_tail', 'fib_lookup', 'get_current_cgroup_id', 'sk_lookup_tcp', 'sk_lookup_udp',
  'sk_release', 'map_push_elem', 'map_pop_elem', 'map_peek_elem', 'spin_lock', 'spin_unlock', 'skc_lookup_tcp',
  'tcp_check_syncookie', 'strtol', 'strtoul', 'send_signal', 'tcp_gen_syncookie', 'probe_read_user', 'probe_read_kernel',
  'probe_read_user_str', 'probe_read_kernel_str', 'send_signal_thread', 'jiffies64', 'get_ns_current_pid_tgid',
  'get_current_ancestor_cgroup_id', 'ktime_get_boot_ns', 'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit',
  'ringbuf_discard', 'ringbuf_query', 'skc_to_tcp6_sock', 'skc_to_tcp_sock', 'skc_to_tcp_timewait_sock',
  'skc_to_tcp_request_sock', 'skc_to_udp6_sock', 'get_task_stack', 'copy_from_user', 'snprintf_btf', 'per_cpu_ptr',
  'this_cpu_ptr', 'task_storage_get', 'task_storage_delete', 'get_current_task_btf', 'ktime_get_coarse_ns', 'check_mtu',
  'for_each_map_elem', 'snprintf', 'timer_init', 'timer_set_callback', 'timer_start', 'timer_cancel', 'task_pt_regs',
  'get_branch_snapshot', 'trace_vprintk', 'skc_to_unix_sock', 'find_vma', 'loop', 'strncmp', 'xdp_get_buff_len',
  'xdp_load_bytes', 'xdp_store_bytes', 'copy_from_user_task', 'kptr_xchg', 'map_lookup_percpu_elem',
  'skc_to_mptcp_sock', 'dynptr_from_mem', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr',
  'dynptr_read', 'dynptr_write', 'dynptr_data', 'tcp_raw_gen_syncookie_ipv4', 'tcp_raw_gen_syncookie_ipv6',
  'tcp_raw_check_syncookie_ipv4', 'tcp_raw_check_syncookie_ipv6', 'ktime_get_tai_ns', 'user_ringbuf_drain',
  'cgrp_storage_get', 'cgrp_storage_delete',
];

const XDP_IDS = new Set(XDP_HELPERS.map((n) => helperId(n)!));

/**
 * The prototype an XDP program gets for helper `id` (`xdp_func_proto`), or undefined when the
 * kernel would say `program of this type cannot use helper bpf_x#N` / `invalid func unknown#N`.
 * `privileged` stands for CAP_BPF + CAP_PERFMON (a root loader): without it the CAP_BPF and
 * CAP_PERFMON groups of `bpf_base_func_proto` are refused.
 */
export function xdpHelperProto(id: number, privileged = true): HelperProto | undefined {
  const p = BY_ID.get(id);
  if (!p || !XDP_IDS.has(id)) return undefined;
  if (p.cap && !privileged) return undefined;
  return p;
}

/**
 * Argument and return types the verifier of xdpts does not model (BTF-typed kernel objects,
 * dynptrs, kptrs, per-CPU kernel symbols): a call to a helper using one is refused with
 * `xdpts: helper bpf_x#N is not emulated` instead of being verified.
 */
const UNMODELLED: ReadonlySet<string> = new Set([
  'ARG_PTR_TO_BTF_ID', 'ARG_PTR_TO_PERCPU_BTF_ID', 'ARG_KPTR_XCHG_DEST', 'ARG_PTR_TO_DYNPTR', 'ARG_PTR_TO_TIMER',
  'RET_PTR_TO_BTF_ID_TRUSTED', 'RET_PTR_TO_MEM_OR_BTF_ID', 'RET_PTR_TO_DYNPTR_MEM_OR_NULL',
  // bpf_skc_to_*_sock casts return BTF-typed socket structs (tcp_sock, udp6_sock, ...).
  'RET_PTR_TO_BTF_ID_OR_NULL',
]);

/** Helpers whose maps or objects xdpts does not emulate, though their types are modelled. */
const UNMODELLED_HELPERS: ReadonlySet<string> = new Set([
  'current_task_under_cgroup', 'task_storage_get', 'task_storage_delete', 'cgrp_storage_get', 'cgrp_storage_delete',
  'user_ringbuf_drain', 'get_branch_snapshot', 'snprintf_btf', 'find_vma',
]);

/** True when the verifier of xdpts can check a call of `p` as the kernel does. */
export function protoModelled(p: HelperProto): boolean {
  if (UNMODELLED_HELPERS.has(p.name.slice(4))) return false;
  return !UNMODELLED.has(p.ret) && !p.args.some((x) => UNMODELLED.has(x.type));
}

/**
 * What xdpts says of a helper the kernel has but the emulation does not (the CLI prefixes
 * `xdpts: `), distinct from the kernel's own refusals.
 */
export function notEmulatedMessage(id: number): string {
  return `helper bpf_${helperName(id) ?? 'unknown'}#${id} is not emulated`;
}
