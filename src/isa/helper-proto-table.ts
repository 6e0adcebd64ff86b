/**
 * The helper prototypes (`struct bpf_func_proto`) of Linux 6.18, transcribed from
 * kernel/bpf/helpers.c, kernel/bpf/ringbuf.c, kernel/bpf/bpf_iter.c, kernel/bpf/bpf_task_storage.c,
 * kernel/bpf/bpf_cgrp_storage.c, kernel/trace/bpf_trace.c and net/core/filter.c: one entry per
 * helper an XDP program may call (plus none other). `gplOnly` was checked on the 6.18 kernel
 * (fixtures/kernel/helper-probe-mit.out); the `cap` groups follow `bpf_base_func_proto` and
 * `bpf_sk_base_func_proto`.
 */
import { defineProto as proto, type HelperArg, type HelperArgType } from './helper-proto-types';

const a = (type: HelperArgType, flags: Omit<HelperArg, 'type'> = {}): HelperArg => ({ type, ...flags });
const MAP = a('ARG_CONST_MAP_PTR');
const KEY = a('ARG_PTR_TO_MAP_KEY');
const ANY = a('ARG_ANYTHING');
const CTX = a('ARG_PTR_TO_CTX');
const FUNC = a('ARG_PTR_TO_FUNC');
const SIZE = a('ARG_CONST_SIZE');
const SIZE0 = a('ARG_CONST_SIZE_OR_ZERO');
/** ARG_PTR_TO_MEM | MEM_RDONLY. */
const IN = a('ARG_PTR_TO_MEM', { rdonly: true });
/** ARG_PTR_TO_UNINIT_MEM (ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE). */
const OUT = a('ARG_PTR_TO_MEM', { uninit: true });
const SOCK = a('ARG_PTR_TO_BTF_ID_SOCK_COMMON');
const BTF = a('ARG_PTR_TO_BTF_ID');
const DYNPTR = a('ARG_PTR_TO_DYNPTR');
const TIMER = a('ARG_PTR_TO_TIMER');
const GPL = { gplOnly: true } as const;
const BPF = { cap: 'CAP_BPF' } as const;
const PERFMON = { cap: 'CAP_PERFMON' } as const;
const IPHDR = 20;
const IPV6HDR = 40;
const TCPHDR = 20;

export const HELPER_PROTO_TABLE = [
  // kernel/bpf/helpers.c
  proto('map_lookup_elem', 'RET_PTR_TO_MAP_VALUE_OR_NULL', [MAP, KEY], { pktAccess: true }),
  proto('map_update_elem', 'RET_INTEGER', [MAP, KEY, a('ARG_PTR_TO_MAP_VALUE'), ANY], { pktAccess: true }),
  proto('map_delete_elem', 'RET_INTEGER', [MAP, KEY], { pktAccess: true }),
  proto('map_push_elem', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_MAP_VALUE'), ANY], { pktAccess: true }),
  proto('map_pop_elem', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_UNINIT_MAP_VALUE')]),
  proto('map_peek_elem', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_UNINIT_MAP_VALUE')]),
  proto('map_lookup_percpu_elem', 'RET_PTR_TO_MAP_VALUE_OR_NULL', [MAP, KEY, ANY], { pktAccess: true }),
  proto('get_prandom_u32', 'RET_INTEGER', []),
  proto('get_smp_processor_id', 'RET_INTEGER', []),
  proto('get_numa_node_id', 'RET_INTEGER', []),
  proto('get_current_pid_tgid', 'RET_INTEGER', []),
  proto('get_current_uid_gid', 'RET_INTEGER', [], PERFMON),
  proto('get_current_comm', 'RET_INTEGER', [OUT, SIZE], PERFMON),
  proto('get_current_cgroup_id', 'RET_INTEGER', [], PERFMON),
  proto('get_current_ancestor_cgroup_id', 'RET_INTEGER', [ANY], PERFMON),
  proto('get_cgroup_classid', 'RET_INTEGER', [], PERFMON),
  proto('get_ns_current_pid_tgid', 'RET_INTEGER', [ANY, ANY, OUT, SIZE], PERFMON),
  proto('ktime_get_ns', 'RET_INTEGER', []),
  proto('ktime_get_boot_ns', 'RET_INTEGER', []),
  proto('ktime_get_tai_ns', 'RET_INTEGER', []),
  proto('jiffies64', 'RET_INTEGER', [], BPF),
  proto('spin_lock', 'RET_VOID', [a('ARG_PTR_TO_SPIN_LOCK')], BPF),
  proto('spin_unlock', 'RET_VOID', [a('ARG_PTR_TO_SPIN_LOCK')], BPF),
  proto('strtol', 'RET_INTEGER', [IN, SIZE, ANY, a('ARG_PTR_TO_FIXED_SIZE_MEM', { uninit: true, size: 8, aligned: true })], BPF),
  proto('strtoul', 'RET_INTEGER', [IN, SIZE, ANY, a('ARG_PTR_TO_FIXED_SIZE_MEM', { uninit: true, size: 8, aligned: true })], BPF),
  proto('strncmp', 'RET_INTEGER', [IN, SIZE, a('ARG_PTR_TO_CONST_STR')], BPF),
  proto('snprintf', 'RET_INTEGER', [a('ARG_PTR_TO_MEM', { maybeNull: true }), SIZE0, a('ARG_PTR_TO_CONST_STR'),
    a('ARG_PTR_TO_MEM', { maybeNull: true, rdonly: true }), SIZE0], { ...GPL, ...PERFMON }),
  proto('timer_init', 'RET_INTEGER', [TIMER, MAP, ANY], { ...GPL, ...BPF }),
  proto('timer_set_callback', 'RET_INTEGER', [TIMER, FUNC], { ...GPL, ...BPF }),
  proto('timer_start', 'RET_INTEGER', [TIMER, ANY, ANY], { ...GPL, ...BPF }),
  proto('timer_cancel', 'RET_INTEGER', [TIMER], { ...GPL, ...BPF }),
  proto('kptr_xchg', 'RET_PTR_TO_BTF_ID_OR_NULL', [a('ARG_KPTR_XCHG_DEST'), a('ARG_PTR_TO_BTF_ID', { maybeNull: true, release: true })], BPF),
  proto('per_cpu_ptr', 'RET_PTR_TO_MEM_OR_BTF_ID', [a('ARG_PTR_TO_PERCPU_BTF_ID'), ANY], BPF),
  proto('this_cpu_ptr', 'RET_PTR_TO_MEM_OR_BTF_ID', [a('ARG_PTR_TO_PERCPU_BTF_ID')], BPF),
  proto('dynptr_from_mem', 'RET_INTEGER', [OUT, SIZE0, ANY, DYNPTR], BPF),
  proto('dynptr_read', 'RET_INTEGER', [OUT, SIZE0, DYNPTR, ANY, ANY], BPF),
  proto('dynptr_write', 'RET_INTEGER', [DYNPTR, ANY, IN, SIZE0, ANY], BPF),
  proto('dynptr_data', 'RET_PTR_TO_DYNPTR_MEM_OR_NULL', [DYNPTR, ANY, a('ARG_CONST_ALLOC_SIZE_OR_ZERO')], BPF),
  proto('copy_from_user', 'RET_INTEGER', [OUT, SIZE0, ANY], { mightSleep: true, ...PERFMON }),
  proto('copy_from_user_task', 'RET_INTEGER', [OUT, SIZE0, ANY, BTF, ANY], { ...GPL, mightSleep: true, ...PERFMON }),
  // kernel/bpf/core.c: tail_call is patched by the verifier; its proto only types the args.
  proto('tail_call', 'RET_VOID', [CTX, MAP, ANY]),
  // kernel/bpf/ringbuf.c
  proto('ringbuf_output', 'RET_INTEGER', [MAP, IN, SIZE0, ANY]),
  proto('ringbuf_reserve', 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', [MAP, a('ARG_CONST_ALLOC_SIZE_OR_ZERO'), ANY]),
  proto('ringbuf_submit', 'RET_VOID', [a('ARG_PTR_TO_RINGBUF_MEM', { release: true }), ANY]),
  proto('ringbuf_discard', 'RET_VOID', [a('ARG_PTR_TO_RINGBUF_MEM', { release: true }), ANY]),
  proto('ringbuf_query', 'RET_INTEGER', [MAP, ANY]),
  proto('ringbuf_reserve_dynptr', 'RET_INTEGER', [MAP, ANY, ANY, DYNPTR]),
  proto('ringbuf_submit_dynptr', 'RET_VOID', [a('ARG_PTR_TO_DYNPTR', { release: true }), ANY]),
  proto('ringbuf_discard_dynptr', 'RET_VOID', [a('ARG_PTR_TO_DYNPTR', { release: true }), ANY]),
  proto('user_ringbuf_drain', 'RET_INTEGER', [MAP, FUNC, a('ARG_PTR_TO_STACK_OR_NULL'), ANY]),
  // kernel/bpf/bpf_iter.c
  proto('loop', 'RET_INTEGER', [ANY, FUNC, a('ARG_PTR_TO_STACK_OR_NULL'), ANY]),
  proto('for_each_map_elem', 'RET_INTEGER', [MAP, FUNC, a('ARG_PTR_TO_STACK_OR_NULL'), ANY]),
  // kernel/bpf/bpf_task_storage.c, bpf_cgrp_storage.c
  proto('task_storage_get', 'RET_PTR_TO_MAP_VALUE_OR_NULL', [MAP, a('ARG_PTR_TO_BTF_ID', { maybeNull: true }), a('ARG_PTR_TO_MAP_VALUE', { maybeNull: true }), ANY], BPF),
  proto('task_storage_delete', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_BTF_ID', { maybeNull: true })], BPF),
  proto('cgrp_storage_get', 'RET_PTR_TO_MAP_VALUE_OR_NULL', [MAP, a('ARG_PTR_TO_BTF_ID', { maybeNull: true }), a('ARG_PTR_TO_MAP_VALUE', { maybeNull: true }), ANY], BPF),
  proto('cgrp_storage_delete', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_BTF_ID', { maybeNull: true })], BPF),
  // kernel/trace/bpf_trace.c
  proto('trace_printk', 'RET_INTEGER', [IN, SIZE], { ...GPL, ...PERFMON }),
  proto('trace_vprintk', 'RET_INTEGER', [IN, SIZE, a('ARG_PTR_TO_MEM', { maybeNull: true, rdonly: true }), SIZE0], { ...GPL, ...PERFMON }),
  proto('probe_read_user', 'RET_INTEGER', [OUT, SIZE0, ANY], { ...GPL, ...PERFMON }),
  proto('probe_read_kernel', 'RET_INTEGER', [OUT, SIZE0, ANY], { ...GPL, ...PERFMON }),
  proto('probe_read_user_str', 'RET_INTEGER', [OUT, SIZE0, ANY], { ...GPL, ...PERFMON }),
  proto('probe_read_kernel_str', 'RET_INTEGER', [OUT, SIZE0, ANY], { ...GPL, ...PERFMON }),
  proto('get_current_task', 'RET_INTEGER', [], { ...GPL, ...PERFMON }),
  proto('get_current_task_btf', 'RET_PTR_TO_BTF_ID_TRUSTED', [], { ...GPL, ...PERFMON }),
  proto('current_task_under_cgroup', 'RET_INTEGER', [MAP, ANY], PERFMON),
  proto('task_pt_regs', 'RET_PTR_TO_BTF_ID_OR_NULL', [BTF], { ...GPL, ...PERFMON }),
  proto('get_task_stack', 'RET_INTEGER', [BTF, OUT, SIZE0, ANY], PERFMON),
  proto('find_vma', 'RET_INTEGER', [BTF, ANY, FUNC, a('ARG_PTR_TO_STACK_OR_NULL'), ANY], PERFMON),
  proto('get_branch_snapshot', 'RET_INTEGER', [OUT, SIZE0, ANY], { ...GPL, ...PERFMON }),
  proto('snprintf_btf', 'RET_INTEGER', [OUT, SIZE, IN, SIZE, ANY], PERFMON),
  proto('send_signal', 'RET_INTEGER', [ANY], PERFMON),
  proto('send_signal_thread', 'RET_INTEGER', [ANY], PERFMON),
  proto('perf_event_read', 'RET_INTEGER', [MAP, ANY], { ...GPL, ...PERFMON }),
  proto('perf_event_read_value', 'RET_INTEGER', [MAP, ANY, OUT, SIZE], { ...GPL, ...PERFMON }),
  // net/core/filter.c
  proto('csum_diff', 'RET_INTEGER', [a('ARG_PTR_TO_MEM', { rdonly: true, maybeNull: true }), SIZE0,
    a('ARG_PTR_TO_MEM', { rdonly: true, maybeNull: true }), SIZE0, ANY], { pktAccess: true }),
  proto('xdp_adjust_head', 'RET_INTEGER', [CTX, ANY], { changesPktData: true }),
  proto('xdp_adjust_tail', 'RET_INTEGER', [CTX, ANY], { changesPktData: true }),
  proto('xdp_adjust_meta', 'RET_INTEGER', [CTX, ANY], { changesPktData: true }),
  proto('redirect', 'RET_INTEGER', [ANY, ANY]),
  proto('redirect_map', 'RET_INTEGER', [MAP, ANY, ANY]),
  proto('fib_lookup', 'RET_INTEGER', [CTX, a('ARG_PTR_TO_MEM'), SIZE, ANY], GPL),
  proto('check_mtu', 'RET_INTEGER', [CTX, ANY, a('ARG_PTR_TO_FIXED_SIZE_MEM', { size: 4, aligned: true }), ANY, ANY], GPL),
  proto('xdp_get_buff_len', 'RET_INTEGER', [CTX]),
  proto('xdp_load_bytes', 'RET_INTEGER', [CTX, ANY, OUT, SIZE]),
  proto('xdp_store_bytes', 'RET_INTEGER', [CTX, ANY, IN, SIZE]),
  // bpf_xdp_event_output_proto: flags carry the CPU index and BPF_F_CTX_LEN_MASK.
  proto('perf_event_output', 'RET_INTEGER', [CTX, MAP, ANY, IN, SIZE0], GPL),
  proto('sk_lookup_tcp', 'RET_PTR_TO_SOCKET_OR_NULL', [CTX, IN, SIZE, ANY, ANY], { pktAccess: true }),
  proto('sk_lookup_udp', 'RET_PTR_TO_SOCKET_OR_NULL', [CTX, IN, SIZE, ANY, ANY], { pktAccess: true }),
  proto('skc_lookup_tcp', 'RET_PTR_TO_SOCK_COMMON_OR_NULL', [CTX, IN, SIZE, ANY, ANY], { pktAccess: true }),
  proto('sk_release', 'RET_INTEGER', [a('ARG_PTR_TO_BTF_ID_SOCK_COMMON', { release: true })]),
  proto('tcp_check_syncookie', 'RET_INTEGER', [SOCK, IN, SIZE, IN, SIZE], { ...GPL, pktAccess: true }),
  proto('tcp_gen_syncookie', 'RET_INTEGER', [SOCK, IN, SIZE, IN, SIZE], { ...GPL, pktAccess: true }),
  proto('tcp_raw_gen_syncookie_ipv4', 'RET_INTEGER', [a('ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, size: IPHDR }), IN, SIZE0], { ...GPL, pktAccess: true }),
  proto('tcp_raw_gen_syncookie_ipv6', 'RET_INTEGER', [a('ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, size: IPV6HDR }), IN, SIZE0], { ...GPL, pktAccess: true }),
  proto('tcp_raw_check_syncookie_ipv4', 'RET_INTEGER', [a('ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, size: IPHDR }),
    a('ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, size: TCPHDR })], { ...GPL, pktAccess: true }),
  proto('tcp_raw_check_syncookie_ipv6', 'RET_INTEGER', [a('ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, size: IPV6HDR }),
    a('ARG_PTR_TO_FIXED_SIZE_MEM', { rdonly: true, size: TCPHDR })], { ...GPL, pktAccess: true }),
  // bpf_sk_base_func_proto: BTF casts of socket pointers and the coarse clock.
  proto('skc_to_tcp6_sock', 'RET_PTR_TO_BTF_ID_OR_NULL', [SOCK], PERFMON),
  proto('skc_to_tcp_sock', 'RET_PTR_TO_BTF_ID_OR_NULL', [SOCK], PERFMON),
  proto('skc_to_tcp_timewait_sock', 'RET_PTR_TO_BTF_ID_OR_NULL', [SOCK], PERFMON),
  proto('skc_to_tcp_request_sock', 'RET_PTR_TO_BTF_ID_OR_NULL', [SOCK], PERFMON),
  proto('skc_to_udp6_sock', 'RET_PTR_TO_BTF_ID_OR_NULL', [SOCK], PERFMON),
  proto('skc_to_unix_sock', 'RET_PTR_TO_BTF_ID_OR_NULL', [SOCK], PERFMON),
  proto('skc_to_mptcp_sock', 'RET_PTR_TO_BTF_ID_OR_NULL', [a('ARG_PTR_TO_SOCK_COMMON')], PERFMON),
  proto('ktime_get_coarse_ns', 'RET_INTEGER', [], PERFMON),
];
