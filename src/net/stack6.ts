/**
 * The IPv6 stack of the emulated network: input of ICMPv6 (echo, neighbour discovery, errors),
 * the output path (route, source selection, neighbour resolution over NDP through the same
 * neighbour table and timers as ARP), and what a failed resolution reports (RFC 4443 address
 * unreachable, as ndisc_error_report → icmpv6_send does). Frames reach it only after the XDP
 * hook passed them, like IPv4 frames.
 */
import { fromHex } from '../util/index';
import { ZERO_MAC } from './addr';
import { ipv6Addrs, localAddress6, routeLookup6, sourceFor6 } from './addr6';
import type { Network, OutputResult } from './engine';
import { findNeigh } from './neigh';
import { buildEthernet } from './packet';
import {
  buildIcmp6,
  buildIpv6,
  buildNeighAdvert,
  buildNeighSolicit,
  ETH_P_IPV6,
  formatIpv6,
  ICMPV6_ADDR_UNREACH,
  ICMPV6_DEST_UNREACH,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  IPPROTO_ICMPV6,
  isLinkLocal6,
  isMulticast6,
  multicastMac,
  NDISC_NEIGHBOUR_ADVERTISEMENT,
  NDISC_NEIGHBOUR_SOLICITATION,
  parseIcmp6,
  parseIpv6,
  parseIpv6Packet,
  parseNd,
  solicitedNode,
} from './packet6';
import type { IfaceState, NeighState, NetnsState } from './types';

const ALL_NODES = parseIpv6('ff02::1')!;
const UNSPECIFIED = new Uint8Array(16);

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The groups a device listens to: all-nodes and the solicited-node group of each of its addresses. */
function inGroup(net: Network, iface: IfaceState, dst: Uint8Array): boolean {
  if (same(dst, ALL_NODES)) return true;
  return ipv6Addrs(net.state, iface).some((a) => same(solicitedNode(parseIpv6(a.local)!), dst));
}

/** A stable 20-bit flow label per address pair (Linux hashes the flow; the value itself is not specified). */
function flowLabel(src: Uint8Array, dst: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of [...src, ...dst]) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return (h & 0xfffff) || 1;
}

/** ipv6_rcv → icmpv6_rcv for a frame the XDP hook passed. */
export function ipv6Input(net: Network, ns: NetnsState, iface: IfaceState, body: Uint8Array): void {
  const ip = parseIpv6Packet(body);
  if (!ip) return;
  const mine = isMulticast6(ip.dst) ? inGroup(net, iface, ip.dst) : localAddress6(net.state, ns, ip.dst) !== undefined;
  if (!mine) return; // forwarding is off: not ours, dropped
  const m = parseIcmp6(ip);
  if (!m) return; // only ICMPv6 is emulated over IPv6 (no UDP/TCP sockets yet)
  switch (m.type) {
    case NDISC_NEIGHBOUR_SOLICITATION: {
      const nd = parseNd(ip, m);
      if (!nd || iface.kind === 'loopback') return;
      // ndisc_recv_ns: only for an address of this device.
      if (!ipv6Addrs(net.state, iface).some((a) => same(parseIpv6(a.local)!, nd.target))) return;
      const dad = same(ip.src, UNSPECIFIED);
      if (!dad && nd.lladdr !== undefined) {
        // neigh_event_ns: the solicitor is learnt as STALE (created if missing).
        const who = formatIpv6(ip.src);
        const n = findNeigh(ns, iface.ifindex, who);
        if (n) net.neighUpdate(ns, iface, n, nd.lladdr, 'STALE');
        else net.newNeigh(ns, iface, who, 'STALE').lladdr = nd.lladdr;
      }
      const to = dad ? ALL_NODES : ip.src;
      const na = buildNeighAdvert(nd.target, to, nd.target, iface.mac, { solicited: !dad, override: true });
      const dstMac = dad ? multicastMac(ALL_NODES) : (nd.lladdr ?? findNeigh(ns, iface.ifindex, formatIpv6(ip.src))?.lladdr);
      if (dstMac !== undefined) net.transmit(ns, iface, buildEthernet(dstMac, iface.mac, ETH_P_IPV6, na));
      return;
    }
    case NDISC_NEIGHBOUR_ADVERTISEMENT: {
      const nd = parseNd(ip, m);
      if (!nd || nd.lladdr === undefined) return;
      // ndisc_recv_na: only an entry being tracked is updated (accept_untracked_na=0).
      const n = findNeigh(ns, iface.ifindex, formatIpv6(nd.target));
      if (!n) return;
      if (nd.solicited) net.neighUpdate(ns, iface, n, nd.lladdr, 'REACHABLE');
      else if (nd.override || n.lladdr === undefined) net.neighUpdate(ns, iface, n, nd.lladdr, 'STALE');
      return;
    }
    case ICMPV6_ECHO_REQUEST: {
      if (isMulticast6(ip.dst)) return; // kept simple: no replies to group echo
      const reply = buildIcmp6(ip.dst, ip.src, ICMPV6_ECHO_REPLY, 0, m.rest, m.body);
      net.schedule0(() => output6(net, ns, { src: ip.dst, dst: ip.src, payload: reply, dev: iface.name }));
      return;
    }
    case ICMPV6_ECHO_REPLY:
      net.deliverPing(ns.name, m.rest >>> 16, { kind: 'reply', from: formatIpv6(ip.src), seq: m.rest & 0xffff, ttl: ip.hopLimit, bytes: ip.payload.length, timeUs: net.now });
      return;
    case ICMPV6_DEST_UNREACH: {
      // The quoted packet: our echo request's IPv6 header and ICMPv6 header.
      const inner = m.body;
      if (inner.length < 48 || inner[6] !== IPPROTO_ICMPV6 || inner[40] !== ICMPV6_ECHO_REQUEST) return;
      const id = (inner[44]! << 8) | inner[45]!;
      const seq = (inner[46]! << 8) | inner[47]!;
      net.deliverPing(ns.name, id, { kind: 'error', from: formatIpv6(ip.src), seq, type: m.type, code: m.code, timeUs: net.now });
      return;
    }
    default:
      return;
  }
}

/** What the IPv6 output path takes: an ICMPv6 message (checksummed for src/dst already when src is given). */
export interface Output6 {
  src?: Uint8Array;
  dst: Uint8Array;
  /** The ICMPv6 message; when `src` is absent it is built by `make` once the source is chosen. */
  payload?: Uint8Array;
  make?: (src: Uint8Array) => Uint8Array;
  hopLimit?: number;
  /** The device a link-local destination is scoped to (`%dev`), or SO_BINDTODEVICE. */
  dev?: string;
  origin?: { ident: number; seq: number };
  /** Extra delay before a locally delivered packet arrives (µs). */
  delayUs?: number;
}

/** The IPv6 output path: route, source address, header, then NDP resolution (or lo for a local destination). */
export function output6(net: Network, ns: NetnsState, p: Output6): OutputResult {
  const local = !isLinkLocal6(p.dst) || p.dev === undefined ? localAddress6(net.state, ns, p.dst) : undefined;
  let iface: IfaceState | undefined;
  if (local) {
    iface = ns.ifaces.find((i) => i.kind === 'loopback');
    if (!iface?.up) return 'dropped';
  } else {
    const route = routeLookup6(net.state, ns, p.dst, p.dev);
    if (!route) return 'ENETUNREACH';
    iface = ns.ifaces.find((i) => i.ifindex === route.ifindex)!;
  }
  const src = p.src ?? (local ? p.dst : sourceFor6(net.state, iface, p.dst));
  if (!src) return 'ENETUNREACH';
  const payload = p.payload ?? p.make!(src);
  const pkt = buildIpv6({ src, dst: p.dst, nextHeader: IPPROTO_ICMPV6, hopLimit: p.hopLimit ?? 64, flowLabel: flowLabel(src, p.dst) }, payload);
  if (local) {
    net.transmit(ns, iface, buildEthernet(ZERO_MAC, ZERO_MAC, ETH_P_IPV6, pkt), p.delayUs ?? 0);
    return 'sent';
  }
  if (isMulticast6(p.dst)) {
    net.transmit(ns, iface, buildEthernet(multicastMac(p.dst), iface.mac, ETH_P_IPV6, pkt));
    return 'sent';
  }
  return net.neighOutput(ns, iface, formatIpv6(p.dst), pkt, p.origin, ETH_P_IPV6);
}

/**
 * ndisc_solicit: a neighbour solicitation for `target`, to its solicited-node group (or unicast
 * to the known address when probing). The source is the queued packet's own source when it is
 * one of ours, else the device's link-local.
 */
export function ndSolicit(net: Network, ns: NetnsState, iface: IfaceState, n: NeighState | undefined, target: string, unicastTo?: string): void {
  const t = parseIpv6(target);
  if (!t) return;
  const queued = n?.queue[0] !== undefined ? parseIpv6(n.queue[0].src) : undefined;
  const src = queued && ipv6Addrs(net.state, iface).some((a) => same(parseIpv6(a.local)!, queued)) ? queued : sourceFor6(net.state, iface, parseIpv6('fe80::1')!);
  if (!src) return;
  const dst = unicastTo !== undefined ? t : solicitedNode(t);
  const dstMac = unicastTo ?? multicastMac(dst);
  net.transmit(ns, iface, buildEthernet(dstMac, iface.mac, ETH_P_IPV6, buildNeighSolicit(src, dst, t, iface.mac)));
}

/**
 * Resolution failed: each queued packet gets an ICMPv6 address unreachable from the sender's own
 * address, delivered through lo (so ping prints "Destination unreachable: Address unreachable").
 */
export function neighFailed6(net: Network, ns: NetnsState, queue: NeighState['queue']): void {
  const errDelay = net.rand(50_000, 70_000);
  for (const item of queue) {
    const ip = fromHex(item.frame).subarray(14);
    const pkt = parseIpv6Packet(ip);
    if (!pkt) continue;
    const quoted = ip.subarray(0, Math.min(ip.length, 1280 - 48));
    const msg = buildIcmp6(pkt.src, pkt.src, ICMPV6_DEST_UNREACH, ICMPV6_ADDR_UNREACH, 0, quoted);
    output6(net, ns, { src: pkt.src, dst: pkt.src, payload: msg, delayUs: errDelay });
  }
}
