/**
 * BPF helper prototypes as data: argument and return types the verifier checks a call against,
 * and which helpers an XDP program may call.
 *
 * Transcribed from the kernel's `struct bpf_func_proto` definitions (Linux 6.x):
 * kernel/bpf/helpers.c (map_*_elem, ktime_get_*, get_prandom_u32, get_smp_processor_id,
 * jiffies64, loop, trace_printk via kernel/trace/bpf_trace.c), kernel/bpf/ringbuf.c
 * (ringbuf_*), kernel/bpf/bpf_iter.c (loop, for_each_map_elem), kernel/bpf/core.c (tail_call's
 * placeholder proto, in kernel/bpf/helpers.c as bpf_tail_call_proto) and net/core/filter.c
 * (xdp_* helpers, csum_diff, redirect, redirect_map, fib_lookup, `xdp_func_proto`).
 * `bpf_base_func_proto` (kernel/bpf/helpers.c) gates some helpers behind CAP_BPF / CAP_PERFMON:
 * that is `cap` below.
 */
import { helperId } from './helpers';

/** Argument types (`enum bpf_arg_type`, include/linux/bpf.h), with flags folded in as fields. */
export type HelperArgType =
  | 'ARG_DONTCARE'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  /** ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE (the older ARG_PTR_TO_UNINIT_MAP_VALUE). */
  | 'ARG_PTR_TO_UNINIT_MAP_VALUE'
  | 'ARG_PTR_TO_MEM'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_ANYTHING'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_STACK_OR_NULL'
  | 'ARG_PTR_TO_RINGBUF_MEM'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO';

/** One argument: its base type and the type flags the kernel ORs into it. */
export interface HelperArg {
  readonly type: HelperArgType;
  /** MEM_RDONLY: the helper only reads the memory, so read-only memory is accepted. */
  readonly rdonly?: boolean;
  /** MEM_UNINIT: the helper writes the memory, which need not be initialised. */
  readonly uninit?: boolean;
  /** PTR_MAYBE_NULL: NULL (a known zero scalar) is accepted. */
  readonly maybeNull?: boolean;
  /** OBJ_RELEASE: the call releases the reference the argument holds. */
  readonly release?: boolean;
}

/** Return types (`enum bpf_return_type`). */
export type HelperRetType =
  | 'RET_INTEGER'
  | 'RET_VOID'
  | 'RET_PTR_TO_MAP_VALUE_OR_NULL'
  | 'RET_PTR_TO_RINGBUF_MEM_OR_NULL';

/** A helper's prototype (`struct bpf_func_proto`). */
export interface HelperProto {
  readonly id: number;
  /** Kernel function name (`bpf_map_lookup_elem`), as the verifier log prints it. */
  readonly name: string;
  readonly gplOnly: boolean;
  readonly ret: HelperRetType;
  /** Arguments r1..r5; missing entries are ARG_DONTCARE. */
  readonly args: readonly HelperArg[];
  /** Capability `bpf_base_func_proto` requires beyond CAP_SYS_ADMIN-less loading, if any. */
  readonly cap?: 'CAP_BPF' | 'CAP_PERFMON';
  /** True when the helper may change packet data (`bpf_helper_changes_pkt_data`). */
  readonly changesPktData?: boolean;
  /** `.pkt_access`: memory arguments may point into the packet. */
  readonly pktAccess?: boolean;
}

const a = (type: HelperArgType, flags: Omit<HelperArg, 'type'> = {}): HelperArg => ({ type, ...flags });
const MAP = a('ARG_CONST_MAP_PTR');
const KEY = a('ARG_PTR_TO_MAP_KEY');
const ANY = a('ARG_ANYTHING');
const CTX = a('ARG_PTR_TO_CTX');

function proto(
  name: string,
  ret: HelperRetType,
  args: HelperArg[],
  extra: { gplOnly?: boolean; cap?: 'CAP_BPF' | 'CAP_PERFMON'; changesPktData?: boolean; pktAccess?: boolean } = {},
): HelperProto {
  const id = helperId(name);
  if (id === undefined) throw new Error(`helper-protos: unknown helper ${name}`);
  return { id, name: `bpf_${name}`, gplOnly: extra.gplOnly ?? false, ret, args, ...extra };
}

/** Every prototype xdpts knows, in helper-id order of appearance in the kernel sources. */
export const HELPER_PROTOS: readonly HelperProto[] = [
  // kernel/bpf/helpers.c
  proto('map_lookup_elem', 'RET_PTR_TO_MAP_VALUE_OR_NULL', [MAP, KEY], { pktAccess: true }),
  proto('map_update_elem', 'RET_INTEGER', [MAP, KEY, a('ARG_PTR_TO_MAP_VALUE'), ANY], { pktAccess: true }),
  proto('map_delete_elem', 'RET_INTEGER', [MAP, KEY], { pktAccess: true }),
  proto('map_push_elem', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_MAP_VALUE'), ANY], { pktAccess: true }),
  proto('map_pop_elem', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_UNINIT_MAP_VALUE')]),
  proto('map_peek_elem', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_UNINIT_MAP_VALUE')]),
  proto('get_prandom_u32', 'RET_INTEGER', []),
  proto('get_smp_processor_id', 'RET_INTEGER', []),
  proto('get_numa_node_id', 'RET_INTEGER', []),
  // kernel/bpf/helpers.c: bpf_base_func_proto grants it to every program type since 6.10.
  proto('get_current_pid_tgid', 'RET_INTEGER', []),
  proto('ktime_get_ns', 'RET_INTEGER', []),
  proto('ktime_get_boot_ns', 'RET_INTEGER', []),
  proto('ktime_get_tai_ns', 'RET_INTEGER', []),
  proto('jiffies64', 'RET_INTEGER', [], { cap: 'CAP_BPF' }),
  // kernel/bpf/core.c: tail_call is patched by the verifier; its proto only types the args.
  proto('tail_call', 'RET_VOID', [CTX, MAP, ANY]),
  // kernel/trace/bpf_trace.c: bpf_trace_printk_proto (gpl_only, CAP_PERFMON in base protos).
  proto('trace_printk', 'RET_INTEGER', [a('ARG_PTR_TO_MEM', { rdonly: true }), a('ARG_CONST_SIZE')], {
    gplOnly: true,
    cap: 'CAP_PERFMON',
  }),
  // kernel/bpf/ringbuf.c
  proto('ringbuf_output', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_MEM', { rdonly: true }), a('ARG_CONST_SIZE_OR_ZERO'), ANY]),
  proto('ringbuf_reserve', 'RET_PTR_TO_RINGBUF_MEM_OR_NULL', [MAP, a('ARG_CONST_ALLOC_SIZE_OR_ZERO'), ANY]),
  proto('ringbuf_submit', 'RET_VOID', [a('ARG_PTR_TO_RINGBUF_MEM', { release: true }), ANY]),
  proto('ringbuf_discard', 'RET_VOID', [a('ARG_PTR_TO_RINGBUF_MEM', { release: true }), ANY]),
  proto('ringbuf_query', 'RET_INTEGER', [MAP, ANY]),
  // kernel/bpf/bpf_iter.c
  proto('loop', 'RET_INTEGER', [ANY, a('ARG_PTR_TO_FUNC'), a('ARG_PTR_TO_STACK_OR_NULL'), ANY]),
  proto('for_each_map_elem', 'RET_INTEGER', [MAP, a('ARG_PTR_TO_FUNC'), a('ARG_PTR_TO_STACK_OR_NULL'), ANY]),
  // net/core/filter.c
  proto(
    'csum_diff',
    'RET_INTEGER',
    [
      a('ARG_PTR_TO_MEM', { rdonly: true, maybeNull: true }),
      a('ARG_CONST_SIZE_OR_ZERO'),
      a('ARG_PTR_TO_MEM', { rdonly: true, maybeNull: true }),
      a('ARG_CONST_SIZE_OR_ZERO'),
      ANY,
    ],
    { pktAccess: true },
  ),
  proto('xdp_adjust_head', 'RET_INTEGER', [CTX, ANY], { changesPktData: true }),
  proto('xdp_adjust_tail', 'RET_INTEGER', [CTX, ANY], { changesPktData: true }),
  proto('xdp_adjust_meta', 'RET_INTEGER', [CTX, ANY], { changesPktData: true }),
  proto('redirect', 'RET_INTEGER', [ANY, ANY]),
  proto('redirect_map', 'RET_INTEGER', [MAP, ANY, ANY]),
  proto('fib_lookup', 'RET_INTEGER', [CTX, a('ARG_PTR_TO_MEM'), a('ARG_CONST_SIZE'), ANY], { gplOnly: true }),
  proto('xdp_get_buff_len', 'RET_INTEGER', [CTX]),
  proto('xdp_load_bytes', 'RET_INTEGER', [CTX, ANY, a('ARG_PTR_TO_MEM', { uninit: true }), a('ARG_CONST_SIZE')]),
  proto('xdp_store_bytes', 'RET_INTEGER', [CTX, ANY, a('ARG_PTR_TO_MEM', { rdonly: true }), a('ARG_CONST_SIZE')]),
];

const BY_ID = new Map(HELPER_PROTOS.map((p) => [p.id, p] as const));

/** The prototype of helper `id`, or undefined if xdpts does not know it. */
export function helperProto(id: number): HelperProto | undefined {
  return BY_ID.get(id);
}

/**
 * Helpers `xdp_func_proto` (net/core/filter.c) returns itself, before falling back to
 * `bpf_sk_base_func_proto` → `bpf_base_func_proto`.
 */
const XDP_OWN = new Set(
  ['csum_diff', 'xdp_adjust_head', 'xdp_adjust_meta', 'redirect', 'redirect_map', 'xdp_adjust_tail',
    'xdp_get_buff_len', 'xdp_load_bytes', 'xdp_store_bytes', 'fib_lookup', 'get_smp_processor_id']
    .map((n) => helperId(n)!),
);

/** Helpers `bpf_base_func_proto` (kernel/bpf/helpers.c) grants without extra capability. */
const BASE = new Set(
  ['map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem',
    'map_peek_elem', 'get_prandom_u32', 'get_smp_processor_id', 'get_numa_node_id', 'tail_call',
    'ktime_get_ns', 'ktime_get_boot_ns', 'ktime_get_tai_ns', 'ringbuf_output', 'ringbuf_reserve',
    'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query', 'for_each_map_elem', 'loop', 'get_current_pid_tgid']
    .map((n) => helperId(n)!),
);

/**
 * The prototype an XDP program gets for helper `id` (`xdp_func_proto`), or undefined when the
 * kernel would say `program of this type cannot use helper bpf_x#N` / `invalid func unknown#N`.
 * `privileged` stands for CAP_BPF + CAP_PERFMON (a root loader): without it the CAP_BPF and
 * CAP_PERFMON groups of `bpf_base_func_proto` are refused.
 */
export function xdpHelperProto(id: number, privileged = true): HelperProto | undefined {
  const p = BY_ID.get(id);
  if (!p) return undefined;
  if (XDP_OWN.has(id) || BASE.has(id)) return p;
  if (p.cap && privileged) return p;
  return undefined;
}
