/**
 * The socket helpers XDP may call (net/core/filter.c `bpf_xdp_sk_lookup_tcp`,
 * `bpf_xdp_sk_lookup_udp`, `bpf_xdp_skc_lookup_tcp`, `bpf_sk_release`,
 * `bpf_tcp_check_syncookie`, `bpf_tcp_gen_syncookie`).
 *
 * The emulated network has no TCP or UDP sockets (src/net answers ICMP and ping sockets only;
 * a UDP datagram to any port gets "port unreachable", TCP nothing), so a lookup finds what the
 * kernel finds when nothing is bound to the tuple: NULL. That is also what the kernel returns
 * for a tuple size that is neither IPv4's 12 bytes nor IPv6's 36, for non-zero flags and for a
 * netns id that names no namespace. With no socket ever handed out, bpf_sk_release and the
 * syncookie helpers (which the verifier only lets a program call on a non-NULL socket) cannot
 * be reached; they answer as the kernel does for a socket that is not a TCP listener.
 */
import type { HelperCall } from '../../vm';
import { EINVAL } from '../errno';

/** bpf_sk_lookup_tcp / bpf_sk_lookup_udp / bpf_skc_lookup_tcp(ctx, tuple, size, netns, flags): NULL. */
export function skLookup(c: HelperCall): void {
  c.ret(0);
}

/** bpf_sk_release(sk): 0. */
export function skRelease(c: HelperCall): void {
  c.ret(0);
}

/** bpf_tcp_check_syncookie / bpf_tcp_gen_syncookie(sk, iph, iph_len, th, th_len): -EINVAL (not a listener). */
export function tcpSyncookieNoListener(c: HelperCall): void {
  c.ret(-EINVAL);
}
