/**
 * bpf_fib_lookup (net/core/filter.c) against a routing table the network layer provides.
 * `struct bpf_fib_lookup` (include/uapi/linux/bpf.h, 64 bytes):
 *
 *   0 family u8 | 1 l4_protocol u8 | 2 sport be16 | 4 dport be16 | 6 tot_len/mtu_result u16
 *   8 ifindex u32 | 12 tos u8 / flowinfo be32 / rt_metric u32
 *  16 ipv4_src be32 / ipv6_src[4] | 32 ipv4_dst be32 / ipv6_dst[4]
 *  48 h_vlan_proto be16, h_vlan_TCI be16 / tbid u32 | 52 smac[6] (or mark u32) | 58 dmac[6]
 */
import type { HelperCall } from '../../vm';
import { EINVAL } from '../errno';
import { flagsArg, ptrArg, type HelperContext } from './context';

/** Return codes of bpf_fib_lookup (`BPF_FIB_LKUP_RET_*`). */
export const BPF_FIB_LKUP_RET_SUCCESS = 0;
/** `BPF_FIB_LKUP_RET_BLACKHOLE` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_BLACKHOLE = 1;
/** `BPF_FIB_LKUP_RET_UNREACHABLE` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_UNREACHABLE = 2;
/** `BPF_FIB_LKUP_RET_PROHIBIT` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_PROHIBIT = 3;
/** `BPF_FIB_LKUP_RET_NOT_FWDED` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
/** `BPF_FIB_LKUP_RET_FWD_DISABLED` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_FWD_DISABLED = 5;
/** `BPF_FIB_LKUP_RET_UNSUPP_LWT` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_UNSUPP_LWT = 6;
/** `BPF_FIB_LKUP_RET_NO_NEIGH` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_NO_NEIGH = 7;
/** `BPF_FIB_LKUP_RET_FRAG_NEEDED` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_FRAG_NEEDED = 8;
/** `BPF_FIB_LKUP_RET_NO_SRC_ADDR` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LKUP_RET_NO_SRC_ADDR = 9;
/** bpf_fib_lookup flags. */
export const BPF_FIB_LOOKUP_DIRECT = 1 << 0;
/** `BPF_FIB_LOOKUP_OUTPUT` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LOOKUP_OUTPUT = 1 << 1;
/** `BPF_FIB_LOOKUP_SKIP_NEIGH` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LOOKUP_SKIP_NEIGH = 1 << 2;
/** `BPF_FIB_LOOKUP_TBID` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LOOKUP_TBID = 1 << 3;
/** `BPF_FIB_LOOKUP_SRC` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LOOKUP_SRC = 1 << 4;
/** `BPF_FIB_LOOKUP_MARK` (include/uapi/linux/bpf.h). */
export const BPF_FIB_LOOKUP_MARK = 1 << 5;
const ALL_FLAGS = 0x3f;
/** Address families. */
export const AF_INET = 2;
/** `AF_INET6` (include/uapi/linux/bpf.h). */
export const AF_INET6 = 10;
const EAFNOSUPPORT = 97;
/** `sizeof(struct bpf_fib_lookup)`. */
export const BPF_FIB_LOOKUP_SIZE = 64;

/** A route query, decoded from `struct bpf_fib_lookup`. Addresses in network byte order. */
export interface FibQuery {
  readonly family: number;
  readonly l4Protocol: number;
  readonly sport: number;
  readonly dport: number;
  /** tot_len: the packet's L3 length, for the MTU check. */
  readonly totLen: number;
  /** Ingress ifindex (or egress with BPF_FIB_LOOKUP_OUTPUT). */
  readonly ifindex: number;
  readonly tos: number;
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly flags: number;
  /** Routing table id (BPF_FIB_LOOKUP_TBID) or mark (BPF_FIB_LOOKUP_MARK). */
  readonly tbid: number;
  readonly mark: number;
}

/** The answer of a route lookup: a BPF_FIB_LKUP_RET_* code and what it fills in. */
export interface FibAnswer {
  readonly ret: number;
  /** Egress device (SUCCESS, NO_NEIGH, FRAG_NEEDED). */
  readonly ifindex?: number;
  /** Source and destination MAC of the next hop (SUCCESS). */
  readonly smac?: Uint8Array;
  readonly dmac?: Uint8Array;
  /** The route's MTU (FRAG_NEEDED writes it to mtu_result). */
  readonly mtu?: number;
  /** The preferred source address (BPF_FIB_LOOKUP_SRC). */
  readonly src?: Uint8Array;
  /** The next hop's address, written back into the dst field like the kernel does. */
  readonly nexthop?: Uint8Array;
}

/** A routing table bpf_fib_lookup consults; the network layer implements it. */
export interface FibProvider {
  lookup(q: FibQuery): FibAnswer;
}

function be16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}
function le32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** bpf_fib_lookup(ctx, params, plen, flags). */
export function fibLookupHelper(k: HelperContext) {
  return (c: HelperCall): void => {
    const plen = c.u32(3);
    const flags = flagsArg(c, 4);
    if (plen < BPF_FIB_LOOKUP_SIZE) return c.ret(-EINVAL);
    if (flags & ~ALL_FLAGS || flags === 0xffffffff) return c.ret(-EINVAL);
    const [lo, hi] = ptrArg(c, 2);
    const u8 = c.mem.check(lo, hi, BPF_FIB_LOOKUP_SIZE, true);
    const p = u8.subarray(lo >>> 0, (lo >>> 0) + BPF_FIB_LOOKUP_SIZE);
    const family = p[0]!;
    if (family !== AF_INET && family !== AF_INET6) return c.ret(-EAFNOSUPPORT);
    const alen = family === AF_INET ? 4 : 16;
    if (!k.fib) return c.ret(BPF_FIB_LKUP_RET_NOT_FWDED);
    const a = k.fib.lookup({
      family,
      l4Protocol: p[1]!,
      sport: be16(p, 2),
      dport: be16(p, 4),
      totLen: p[6]! | (p[7]! << 8),
      ifindex: le32(p, 8),
      tos: p[12]!,
      src: p.slice(16, 16 + alen),
      dst: p.slice(32, 32 + alen),
      flags,
      tbid: le32(p, 48),
      mark: le32(p, 52),
    });
    // Fields the kernel writes back (bpf_fib_set_fwd_params and the MTU / source paths).
    if (a.ifindex !== undefined) {
      p.set([a.ifindex & 0xff, (a.ifindex >>> 8) & 0xff, (a.ifindex >>> 16) & 0xff, a.ifindex >>> 24], 8);
    }
    if (a.ret === BPF_FIB_LKUP_RET_FRAG_NEEDED && a.mtu !== undefined) p.set([a.mtu & 0xff, (a.mtu >>> 8) & 0xff], 6);
    if (a.src && flags & BPF_FIB_LOOKUP_SRC) p.set(a.src.subarray(0, alen), 16);
    if (a.nexthop) p.set(a.nexthop.subarray(0, alen), 32);
    if (a.ret === BPF_FIB_LKUP_RET_SUCCESS) {
      p.fill(0, 48, 52); // h_vlan_proto, h_vlan_TCI
      if (a.smac) p.set(a.smac.subarray(0, 6), 52);
      if (a.dmac) p.set(a.dmac.subarray(0, 6), 58);
    }
    c.ret(a.ret);
  };
}
