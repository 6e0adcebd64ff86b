/**
 * Section name → program type and expected attach type: libbpf's `section_defs[]` table
 * (tools/lib/bpf/libbpf.c, libbpf 1.x) with its matching rules (sec_def_matches):
 *   - `name+`: the exact name or `name/anything`;
 *   - `name/`: any name starting with `name/`;
 *   - otherwise the exact name (libbpf 1.0 dropped the old sloppy prefix matching, which is
 *     why SEC("xdp_drop") is not an XDP program to libbpf; xdp-loader forces XDP anyway).
 * The first matching entry wins, so order matters (as in libbpf).
 */
import {
  BPF_PROG_TYPE_KPROBE,
  BPF_PROG_TYPE_SCHED_ACT,
  BPF_PROG_TYPE_SCHED_CLS,
  BPF_PROG_TYPE_SOCKET_FILTER,
  BPF_PROG_TYPE_TRACEPOINT,
  BPF_PROG_TYPE_XDP,
  BPF_PROG_TYPE_EXT,
} from './types';

/** `enum bpf_attach_type` values used by the table (uapi linux/bpf.h). */
export const BPF_ATTACH = {
  CGROUP_INET_INGRESS: 0,
  CGROUP_INET_EGRESS: 1,
  CGROUP_INET_SOCK_CREATE: 2,
  CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4,
  SK_SKB_STREAM_VERDICT: 5,
  CGROUP_DEVICE: 6,
  SK_MSG_VERDICT: 7,
  CGROUP_INET4_BIND: 8,
  CGROUP_INET6_BIND: 9,
  CGROUP_INET4_CONNECT: 10,
  CGROUP_INET6_CONNECT: 11,
  CGROUP_INET4_POST_BIND: 12,
  CGROUP_INET6_POST_BIND: 13,
  CGROUP_UDP4_SENDMSG: 14,
  CGROUP_UDP6_SENDMSG: 15,
  LIRC_MODE2: 16,
  FLOW_DISSECTOR: 17,
  CGROUP_SYSCTL: 18,
  CGROUP_UDP4_RECVMSG: 19,
  CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21,
  CGROUP_SETSOCKOPT: 22,
  TRACE_RAW_TP: 23,
  TRACE_FENTRY: 24,
  TRACE_FEXIT: 25,
  MODIFY_RETURN: 26,
  LSM_MAC: 27,
  TRACE_ITER: 28,
  XDP_DEVMAP: 33,
  CGROUP_INET_SOCK_RELEASE: 34,
  XDP_CPUMAP: 35,
  SK_LOOKUP: 36,
  XDP: 37,
  SK_REUSEPORT_SELECT: 39,
  SK_REUSEPORT_SELECT_OR_MIGRATE: 40,
  TRACE_KPROBE_MULTI: 42,
  LSM_CGROUP: 43,
  TCX_INGRESS: 46,
  TCX_EGRESS: 47,
} as const;

/** Kernel `BPF_F_XDP_HAS_FRAGS` program flag, set by libbpf for `xdp.frags*` sections. */
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

/** What a section name means to libbpf. */
export interface SectionDef {
  readonly prefix: string;
  readonly progType: number;
  readonly attachType: number;
  /** Program load flags libbpf adds (BPF_F_XDP_HAS_FRAGS, BPF_F_SLEEPABLE). */
  readonly progFlags: number;
}

const BPF_F_SLEEPABLE = 1 << 4;
// Program types not given names in types.ts (uapi linux/bpf.h enum bpf_prog_type).
const T = {
  PERF_EVENT: 7,
  CGROUP_SKB: 8,
  CGROUP_SOCK: 9,
  LWT_IN: 10,
  LWT_OUT: 11,
  LWT_XMIT: 12,
  SOCK_OPS: 13,
  SK_SKB: 14,
  CGROUP_DEVICE: 15,
  SK_MSG: 16,
  RAW_TRACEPOINT: 17,
  CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19,
  LIRC_MODE2: 20,
  SK_REUSEPORT: 21,
  FLOW_DISSECTOR: 22,
  CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25,
  TRACING: 26,
  STRUCT_OPS: 27,
  LSM: 29,
  SK_LOOKUP: 30,
  SYSCALL: 31,
} as const;
const A = BPF_ATTACH;

const def = (prefix: string, progType: number, attachType = 0, progFlags = 0): SectionDef => ({ prefix, progType, attachType, progFlags });

/** libbpf's section_defs[], in libbpf's order. */
export const SECTION_DEFS: readonly SectionDef[] = [
  def('socket', BPF_PROG_TYPE_SOCKET_FILTER),
  def('sk_reuseport/migrate', T.SK_REUSEPORT, A.SK_REUSEPORT_SELECT_OR_MIGRATE),
  def('sk_reuseport', T.SK_REUSEPORT, A.SK_REUSEPORT_SELECT),
  def('kprobe+', BPF_PROG_TYPE_KPROBE),
  def('uprobe+', BPF_PROG_TYPE_KPROBE),
  def('uprobe.s+', BPF_PROG_TYPE_KPROBE, 0, BPF_F_SLEEPABLE),
  def('kretprobe+', BPF_PROG_TYPE_KPROBE),
  def('uretprobe+', BPF_PROG_TYPE_KPROBE),
  def('uretprobe.s+', BPF_PROG_TYPE_KPROBE, 0, BPF_F_SLEEPABLE),
  def('kprobe.multi+', BPF_PROG_TYPE_KPROBE, A.TRACE_KPROBE_MULTI),
  def('kretprobe.multi+', BPF_PROG_TYPE_KPROBE, A.TRACE_KPROBE_MULTI),
  def('ksyscall+', BPF_PROG_TYPE_KPROBE),
  def('kretsyscall+', BPF_PROG_TYPE_KPROBE),
  def('usdt+', BPF_PROG_TYPE_KPROBE),
  def('tc/ingress', BPF_PROG_TYPE_SCHED_CLS, A.TCX_INGRESS),
  def('tc/egress', BPF_PROG_TYPE_SCHED_CLS, A.TCX_EGRESS),
  def('tcx/ingress', BPF_PROG_TYPE_SCHED_CLS, A.TCX_INGRESS),
  def('tcx/egress', BPF_PROG_TYPE_SCHED_CLS, A.TCX_EGRESS),
  def('tc', BPF_PROG_TYPE_SCHED_CLS),
  def('classifier', BPF_PROG_TYPE_SCHED_CLS),
  def('action', BPF_PROG_TYPE_SCHED_ACT),
  def('tracepoint+', BPF_PROG_TYPE_TRACEPOINT),
  def('tp+', BPF_PROG_TYPE_TRACEPOINT),
  def('raw_tracepoint+', T.RAW_TRACEPOINT),
  def('raw_tp+', T.RAW_TRACEPOINT),
  def('raw_tracepoint.w+', T.RAW_TRACEPOINT_WRITABLE),
  def('raw_tp.w+', T.RAW_TRACEPOINT_WRITABLE),
  def('tp_btf+', T.TRACING, A.TRACE_RAW_TP),
  def('fentry+', T.TRACING, A.TRACE_FENTRY),
  def('fmod_ret+', T.TRACING, A.MODIFY_RETURN),
  def('fexit+', T.TRACING, A.TRACE_FEXIT),
  def('fentry.s+', T.TRACING, A.TRACE_FENTRY, BPF_F_SLEEPABLE),
  def('fmod_ret.s+', T.TRACING, A.MODIFY_RETURN, BPF_F_SLEEPABLE),
  def('fexit.s+', T.TRACING, A.TRACE_FEXIT, BPF_F_SLEEPABLE),
  def('freplace+', BPF_PROG_TYPE_EXT),
  def('lsm+', T.LSM, A.LSM_MAC),
  def('lsm.s+', T.LSM, A.LSM_MAC, BPF_F_SLEEPABLE),
  def('lsm_cgroup+', T.LSM, A.LSM_CGROUP),
  def('iter+', T.TRACING, A.TRACE_ITER),
  def('iter.s+', T.TRACING, A.TRACE_ITER, BPF_F_SLEEPABLE),
  def('syscall', T.SYSCALL, 0, BPF_F_SLEEPABLE),
  def('xdp.frags/devmap', BPF_PROG_TYPE_XDP, A.XDP_DEVMAP, BPF_F_XDP_HAS_FRAGS),
  def('xdp/devmap', BPF_PROG_TYPE_XDP, A.XDP_DEVMAP),
  def('xdp.frags/cpumap', BPF_PROG_TYPE_XDP, A.XDP_CPUMAP, BPF_F_XDP_HAS_FRAGS),
  def('xdp/cpumap', BPF_PROG_TYPE_XDP, A.XDP_CPUMAP),
  def('xdp.frags', BPF_PROG_TYPE_XDP, A.XDP, BPF_F_XDP_HAS_FRAGS),
  def('xdp', BPF_PROG_TYPE_XDP, A.XDP),
  def('perf_event', T.PERF_EVENT),
  def('lwt_in', T.LWT_IN),
  def('lwt_out', T.LWT_OUT),
  def('lwt_xmit', T.LWT_XMIT),
  def('lwt_seg6local', T.LWT_SEG6LOCAL),
  def('sockops', T.SOCK_OPS, A.CGROUP_SOCK_OPS),
  def('sk_skb/stream_parser', T.SK_SKB, A.SK_SKB_STREAM_PARSER),
  def('sk_skb/stream_verdict', T.SK_SKB, A.SK_SKB_STREAM_VERDICT),
  def('sk_skb', T.SK_SKB),
  def('sk_msg', T.SK_MSG, A.SK_MSG_VERDICT),
  def('lirc_mode2', T.LIRC_MODE2, A.LIRC_MODE2),
  def('flow_dissector', T.FLOW_DISSECTOR, A.FLOW_DISSECTOR),
  def('cgroup_skb/ingress', T.CGROUP_SKB, A.CGROUP_INET_INGRESS),
  def('cgroup_skb/egress', T.CGROUP_SKB, A.CGROUP_INET_EGRESS),
  def('cgroup/skb', T.CGROUP_SKB),
  def('cgroup/sock_create', T.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  def('cgroup/sock_release', T.CGROUP_SOCK, A.CGROUP_INET_SOCK_RELEASE),
  def('cgroup/sock', T.CGROUP_SOCK, A.CGROUP_INET_SOCK_CREATE),
  def('cgroup/post_bind4', T.CGROUP_SOCK, A.CGROUP_INET4_POST_BIND),
  def('cgroup/post_bind6', T.CGROUP_SOCK, A.CGROUP_INET6_POST_BIND),
  def('cgroup/bind4', T.CGROUP_SOCK_ADDR, A.CGROUP_INET4_BIND),
  def('cgroup/bind6', T.CGROUP_SOCK_ADDR, A.CGROUP_INET6_BIND),
  def('cgroup/connect4', T.CGROUP_SOCK_ADDR, A.CGROUP_INET4_CONNECT),
  def('cgroup/connect6', T.CGROUP_SOCK_ADDR, A.CGROUP_INET6_CONNECT),
  def('cgroup/sendmsg4', T.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_SENDMSG),
  def('cgroup/sendmsg6', T.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_SENDMSG),
  def('cgroup/recvmsg4', T.CGROUP_SOCK_ADDR, A.CGROUP_UDP4_RECVMSG),
  def('cgroup/recvmsg6', T.CGROUP_SOCK_ADDR, A.CGROUP_UDP6_RECVMSG),
  def('cgroup/sysctl', T.CGROUP_SYSCTL, A.CGROUP_SYSCTL),
  def('cgroup/getsockopt', T.CGROUP_SOCKOPT, A.CGROUP_GETSOCKOPT),
  def('cgroup/setsockopt', T.CGROUP_SOCKOPT, A.CGROUP_SETSOCKOPT),
  def('cgroup/dev', T.CGROUP_DEVICE, A.CGROUP_DEVICE),
  def('struct_ops+', T.STRUCT_OPS),
  def('sk_lookup', T.SK_LOOKUP, A.SK_LOOKUP),
];

/** libbpf's sec_def_matches: whether `name` is covered by the table entry `prefix`. */
export function sectionMatches(prefix: string, name: string): boolean {
  if (prefix.endsWith('/')) return name.startsWith(prefix);
  if (prefix.endsWith('+')) {
    const p = prefix.slice(0, -1);
    return name === p || name.startsWith(`${p}/`);
  }
  return name === prefix;
}

/** The section definition libbpf would use for a section name, or undefined (type 0). */
export function sectionDef(name: string): SectionDef | undefined {
  return SECTION_DEFS.find((d) => sectionMatches(d.prefix, name));
}
