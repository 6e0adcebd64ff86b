/**
 * The delivery engine: a discrete-event simulation of the emulated network in emulated time.
 * A frame sent on veth A is received by its peer B: B's XdpHook runs first, then PASS hands it
 * to B's IPv4 stack, TX sends it back out of B, REDIRECT out of the target, DROP/ABORTED end it.
 * Every frame, ARP included, goes through the hooks (reference §8.5). Timers (neighbour
 * resolution) and frames in flight are plain data in `NetState.events`, so they survive
 * between commands; the clock only advances by what a command spends.
 */
import { toHex, fromHex } from '../util/index';
import { BROADCAST_MAC, formatIpv4, parseIpv4, ZERO_MAC } from './addr';
import { NetError } from './errors';
import { upstreamReply } from './upstream';
import { findIface, getNetns, ifaceByIndex, localAddress, peerOf } from './model';
import { routeLookup } from './routes';
import { ageNeigh, findNeigh, isValid, NEIGH_PARAMS } from './neigh';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  buildArp,
  buildEthernet,
  buildIcmp,
  buildIpv4,
  ETH_P_ARP,
  ETH_P_IP,
  ICMP_DEST_UNREACH,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  ICMP_HOST_UNREACH,
  ICMP_PORT_UNREACH,
  ICMP_PROT_UNREACH,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIpv4Packet,
} from './packet';
import { ETH_P_IPV6, formatIpv6 } from './packet6';
import { ipv6Input, ndSolicit, neighFailed6 } from './stack6';
import type { FrameEvent, NetworkOptions, OutputResult, PingDelivery, VerdictEvent } from './events';
import { PASS_ALL_HOOK, type IfaceState, type NeighState, type NetEvent, type NetEventInit, type NetState, type NetnsState, type XdpHook, type XdpVerdict } from './types';

export type { FrameEvent, VerdictEvent, PingDelivery, NetworkOptions, OutputResult } from './events';

/**
 * The live network over a NetState. It mutates the state it is given; the caller persists it.
 */
export class Network {
  readonly state: NetState;
  private readonly hook: XdpHook;
  private readonly onFrame: ((e: FrameEvent) => void) | undefined;
  private readonly onVerdict: ((e: VerdictEvent) => void) | undefined;
  private readonly sockets = new Map<string, (d: PingDelivery) => void>();

  constructor(state: NetState, options: NetworkOptions = {}) {
    this.state = state;
    this.hook = options.hook ?? PASS_ALL_HOOK;
    this.onFrame = options.onFrame;
    this.onVerdict = options.onVerdict;
  }

  /** Emulated monotonic time in µs. */
  get now(): number {
    return this.state.clockUs;
  }

  /** Emulated monotonic time in ns (for bpf_ktime_get_ns). */
  nowNs(): bigint {
    return BigInt(Math.round(this.state.clockUs)) * 1000n;
  }

  /** A deterministic random integer in [lo, hi] from the state's xorshift32 generator. */
  rand(lo: number, hi: number): number {
    let x = this.state.rng >>> 0 || 0x9e3779b9;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state.rng = x;
    return lo + (x % (hi - lo + 1));
  }

  // ---- the event queue ------------------------------------------------------------------

  private schedule(e: NetEventInit): void {
    const ev = { ...e, seq: this.state.eventSeq++ } as NetEvent;
    const q = this.state.events;
    let i = q.length;
    while (i > 0 && (q[i - 1]!.at > ev.at || (q[i - 1]!.at === ev.at && q[i - 1]!.seq > ev.seq))) i--;
    q.splice(i, 0, ev);
  }

  /** The time of the next pending event, or undefined. */
  nextEventAt(): number | undefined {
    return this.state.events[0]?.at;
  }

  /** Runs the next event (the clock moves to its time). Returns false when none is pending. */
  step(): boolean {
    const ev = this.state.events.shift();
    if (!ev) return false;
    if (ev.at > this.state.clockUs) this.state.clockUs = ev.at;
    if (ev.kind === 'rx') this.receive(ev.ns, ev.ifindex, fromHex(ev.frame));
    else this.neighTimer(ev.ns, ev.ifindex, ev.ip);
    return true;
  }

  /** Runs every event due at or before `t`, then sets the clock to `t`. */
  advanceTo(t: number): void {
    while (this.state.events.length > 0 && this.state.events[0]!.at <= t) this.step();
    if (t > this.state.clockUs) this.state.clockUs = t;
  }

  /** Advances by `us` microseconds. */
  advance(us: number): void {
    this.advanceTo(this.state.clockUs + us);
  }

  // ---- ping sockets ---------------------------------------------------------------------

  /** Opens a ping socket (identifier `ident`) in namespace `ns`; returns the close function. */
  openPingSocket(ns: string, ident: number, handler: (d: PingDelivery) => void): () => void {
    const key = `${ns}\0${ident}`;
    this.sockets.set(key, handler);
    return () => this.sockets.delete(key);
  }

  /** @internal Hands a message to a ping socket (used by the IPv6 stack too). */
  deliverPing(ns: string, ident: number, d: PingDelivery): void {
    const local = this.sockets.get(`${ns}\0${ident}`);
    if (local) return local(d);
    // The socket's process is waiting without the state lock: keep the message for it.
    this.state.pingSockets?.find((p) => p.ns === ns && p.ident === ident)?.inbox.push(d);
  }

  // ---- wire -----------------------------------------------------------------------------

  /** Latency of one veth hop plus the receiving softirq, in µs. */
  private hopUs(): number {
    return this.rand(3, 9);
  }

  /**
   * Puts a frame on the wire into DEV's receive path now (the traffic generator behind
   * `xdpts inject`): it is received like a frame the peer transmitted.
   */
  inject(nsName: string, dev: string, frame: Uint8Array): void {
    const ns = getNetns(this.state, nsName);
    const iface = findIface(ns, dev);
    if (!iface) throw new NetError(`Cannot find device "${dev}"`, 1, 'ENODEV');
    this.schedule({ at: this.now, kind: 'rx', ns: ns.name, ifindex: iface.ifindex, frame: toHex(frame) });
  }

  /** Transmits a frame out of an interface. A down interface sends nothing. */
  transmit(ns: NetnsState, iface: IfaceState, frame: Uint8Array, loDelayUs = 0): void {
    if (!iface.up) return;
    iface.stats.txPackets++;
    iface.stats.txBytes += frame.length;
    this.onFrame?.({ ns: ns.name, ifindex: iface.ifindex, direction: 'tx', frame, timeUs: this.now });
    if (iface.kind === 'loopback') {
      this.schedule({ at: this.now + 1 + loDelayUs, kind: 'rx', ns: ns.name, ifindex: iface.ifindex, frame: toHex(frame) });
      return;
    }
    if (iface.kind === 'ether') {
      this.upstream(ns, iface, frame);
      return;
    }
    const p = peerOf(this.state, iface);
    // veth_xmit drops when the peer is down (no carrier).
    if (!p || !p.iface.up) return;
    this.schedule({ at: this.now + this.hopUs(), kind: 'rx', ns: p.ns.name, ifindex: p.iface.ifindex, frame: toHex(frame) });
  }

  /** A frame arrives at an interface: the XDP hook first, then the verdict. */
  private receive(nsName: string, ifindex: number, frame: Uint8Array): void {
    const ns = this.state.namespaces.find((n) => n.name === nsName);
    const iface = ns && ifaceByIndex(ns, ifindex);
    if (!ns || !iface || !iface.up) return;
    iface.stats.rxPackets++;
    iface.stats.rxBytes += frame.length;
    const v = this.hook.runXdp(ns.name, ifindex, frame);
    this.onVerdict?.({ ns: ns.name, ifindex, action: v.action, timeUs: this.now });
    switch (v.action) {
      case 'pass':
        this.onFrame?.({ ns: ns.name, ifindex, direction: 'rx', frame: v.frame, timeUs: this.now });
        this.stackInput(ns, iface, v.frame);
        return;
      case 'tx':
        // XDP_TX: back out of the same device, as is (no MAC swap).
        this.transmit(ns, iface, v.frame);
        return;
      case 'redirect': {
        const target = v.redirect && ifaceByIndex(ns, v.redirect.ifindex);
        if (target) this.transmit(ns, target, v.frame);
        return;
      }
      default:
        return; // XDP_DROP / XDP_ABORTED: gone
    }
  }

  // ---- the emulated upstream router behind eth0 --------------------------------------------

  private upstream(ns: NetnsState, eth0: IfaceState, frame: Uint8Array): void {
    if (!eth0.upstream) return;
    const reply = upstreamReply(eth0.upstream, frame, this.rand(0, 0xffff));
    // A LAN router answers in a few hundred µs.
    if (reply) this.schedule({ at: this.now + this.rand(180, 420), kind: 'rx', ns: ns.name, ifindex: eth0.ifindex, frame: toHex(reply) });
  }

  // ---- the IPv4 stack -------------------------------------------------------------------

  private stackInput(ns: NetnsState, iface: IfaceState, frame: Uint8Array): void {
    const eth = parseEthernet(frame);
    if (!eth) return;
    const group = (parseInt(eth.dst.slice(0, 2), 16) & 1) === 1;
    // PACKET_OTHERHOST frames are dropped by the stack (e.g. an XDP_TX bounce with our peer's MAC).
    if (iface.kind !== 'loopback' && eth.dst !== iface.mac && !group) return;
    if (eth.ethertype === ETH_P_ARP) this.arpInput(ns, iface, eth.payload, eth.dst === iface.mac);
    else if (eth.ethertype === ETH_P_IP) this.ipInput(ns, iface, eth.payload, group);
    else if (eth.ethertype === ETH_P_IPV6 && iface.kind !== 'ether') ipv6Input(this, ns, iface, eth.payload);
  }

  private arpInput(ns: NetnsState, iface: IfaceState, body: Uint8Array, toUs: boolean): void {
    const a = parseArp(body);
    if (!a || iface.kind === 'loopback') return;
    if (a.op !== ARPOP_REQUEST && a.op !== ARPOP_REPLY) return;
    const spa = formatIpv4(a.spa);
    // arp_process: a request for one of our addresses (arp_ignore=0: any address of the host) is answered.
    const forUs = a.op === ARPOP_REQUEST && a.tpa !== 0 && localAddress(ns, a.tpa) !== undefined && a.spa !== 0;
    let n = findNeigh(ns, iface.ifindex, spa);
    if (forUs) {
      // neigh_event_ns: the requester is learnt as STALE (created if missing).
      if (!n) {
        n = this.newNeigh(ns, iface, spa, 'STALE');
        n.lladdr = a.sha;
      } else this.neighUpdate(ns, iface, n, a.sha, 'STALE');
      this.transmit(ns, iface, buildArp(ARPOP_REPLY, a.sha, iface.mac, a.tpa, a.sha, a.spa));
      return;
    }
    // Replies (and other requests) only update an existing entry (arp_accept=0); a reply to us confirms it.
    if (n) this.neighUpdate(ns, iface, n, a.sha, a.op === ARPOP_REPLY && toUs ? 'REACHABLE' : 'STALE');
  }

  private ipInput(ns: NetnsState, iface: IfaceState, body: Uint8Array, group: boolean): void {
    const ip = parseIpv4Packet(body);
    if (!ip) return;
    if (!localAddress(ns, ip.dst)) return; // ip_forward=0: not ours, dropped
    if (ip.proto === IPPROTO_ICMP) {
      const m = parseIcmp(ip.payload);
      if (!m) return;
      if (m.type === ICMP_ECHO) {
        if (group) return; // icmp_echo_ignore_broadcasts=1
        const reply = buildIcmp(ICMP_ECHOREPLY, 0, (m.id << 16) | m.seq, m.data);
        this.schedule0(() => this.output(ns, { src: ip.dst, dst: ip.src, proto: IPPROTO_ICMP, payload: reply }));
        return;
      }
      if (m.type === ICMP_ECHOREPLY) {
        this.deliverPing(ns.name, m.id, { kind: 'reply', from: formatIpv4(ip.src), seq: m.seq, ttl: ip.ttl, bytes: ip.payload.length, timeUs: this.now });
        return;
      }
      if (m.type === ICMP_DEST_UNREACH) {
        // The quoted datagram: its IP header and the first 8 bytes (our echo's type/code/sum/id/seq).
        const inner = m.data;
        if (inner.length < 28) return;
        const ihl = (inner[0]! & 15) * 4;
        if (inner[9] !== IPPROTO_ICMP || inner.length < ihl + 8 || inner[ihl] !== ICMP_ECHO) return;
        const id = (inner[ihl + 4]! << 8) | inner[ihl + 5]!;
        const seq = (inner[ihl + 6]! << 8) | inner[ihl + 7]!;
        this.deliverPing(ns.name, id, { kind: 'error', from: formatIpv4(ip.src), seq, type: m.type, code: m.code, timeUs: this.now });
      }
      return;
    }
    if (ip.proto === IPPROTO_UDP) {
      // No socket listens: ICMP port unreachable quoting the header + 8 bytes (RFC 792, RFC 1122 3.2.2.1).
      if (!group) this.sendIcmpError(ns, ip.dst, ip.src, ICMP_PORT_UNREACH, body.subarray(0, ip.ihl + Math.min(8, ip.payload.length)));
      return;
    }
    if (ip.proto === IPPROTO_TCP) return; // no listener: xdpts does not emulate TCP (no RST)
    if (!group) this.sendIcmpError(ns, ip.dst, ip.src, ICMP_PROT_UNREACH, body.subarray(0, ip.ihl + Math.min(8, ip.payload.length)));
  }

  /** Runs `fn` after the receiving stack's processing delay. */
  /** @internal */
  schedule0(fn: () => void): void {
    // Processing inside the same softirq: a few µs of emulated time, then the reply goes out.
    this.state.clockUs += this.rand(4, 12);
    fn();
  }

  private sendIcmpError(ns: NetnsState, from: number, to: number, code: number, quoted: Uint8Array): void {
    const msg = buildIcmp(ICMP_DEST_UNREACH, code, 0, quoted);
    this.output(ns, { src: from, dst: to, proto: IPPROTO_ICMP, payload: msg, tos: 0xc0 });
  }

  /**
   * The IPv4 output path: route, source address, IP header, then neighbour resolution.
   * Local destinations go through lo (and are lost while lo is down, as on Linux).
   */
  output(
    ns: NetnsState,
    p: {
      src?: number;
      dst: number;
      proto: number;
      payload: Uint8Array;
      df?: boolean;
      tos?: number;
      dev?: string;
      origin?: { ident: number; seq: number };
      /** Extra delay before a locally delivered packet arrives (µs). */
      delayUs?: number;
    },
  ): OutputResult {
    const local = localAddress(ns, p.dst);
    if (local) {
      const lo = ns.ifaces.find((i) => i.kind === 'loopback')!;
      if (!lo.up) return 'dropped';
      const pkt = buildIpv4({ src: p.src ?? p.dst, dst: p.dst, proto: p.proto, id: this.nextIpId(ns), df: p.df ?? false, tos: p.tos ?? 0 }, p.payload);
      this.transmit(ns, lo, buildEthernet(ZERO_MAC, ZERO_MAC, ETH_P_IP, pkt), p.delayUs ?? 0);
      return 'sent';
    }
    const route = routeLookup(this.state, ns, p.dst, p.dev);
    if (!route) return 'ENETUNREACH';
    const iface = ns.ifaces.find((i) => i.ifindex === route.ifindex)!;
    const src = p.src ?? (route.prefsrc !== undefined ? parseIpv4(route.prefsrc)! : parseIpv4(iface.addrs[0]?.local ?? '0.0.0.0')!);
    const pkt = buildIpv4({ src, dst: p.dst, proto: p.proto, id: this.nextIpId(ns), df: p.df ?? false, tos: p.tos ?? 0 }, p.payload);
    const nexthop = route.gateway ?? formatIpv4(p.dst);
    return this.neighOutput(ns, iface, nexthop, pkt, p.origin);
  }

  private nextIpId(ns: NetnsState): number {
    ns.ipId = (ns.ipId + 1 + this.rand(0, 64)) & 0xffff;
    return ns.ipId;
  }

  // ---- neighbours -----------------------------------------------------------------------

  /** @internal */
  newNeigh(ns: NetnsState, iface: IfaceState, ip: string, state: NeighState['state']): NeighState {
    const base = NEIGH_PARAMS.baseReachableMs;
    const n: NeighState = {
      ip,
      ifindex: iface.ifindex,
      state,
      confirmed: this.now,
      updated: this.now,
      reachableMs: this.rand(base / 2, (base * 3) / 2 - 1),
      probes: 0,
      queue: [],
    };
    ns.neigh.push(n);
    return n;
  }

  /** neigh_update: a new link-layer address or confirmation; a newly valid entry sends its queue. */
  /** @internal */
  neighUpdate(ns: NetnsState, iface: IfaceState, n: NeighState, lladdr: string, state: 'REACHABLE' | 'STALE'): void {
    ageNeigh(n, this.now);
    const wasValid = isValid(n);
    if (n.state === 'PERMANENT') return;
    if (state === 'STALE' && wasValid && n.lladdr === lladdr) return; // nothing new
    n.lladdr = lladdr;
    n.state = state;
    n.updated = this.now;
    n.probes = 0;
    if (state === 'REACHABLE') n.confirmed = this.now;
    if (!wasValid || n.queue.length > 0) {
      const q = n.queue;
      n.queue = [];
      for (const item of q) this.transmit(ns, iface, this.withMacs(fromHex(item.frame), lladdr, iface.mac));
    }
  }

  private withMacs(frame: Uint8Array, dst: string, src: string): Uint8Array {
    return buildEthernet(dst, src, (frame[12]! << 8) | frame[13]!, frame.subarray(14));
  }

  private arpRequest(ns: NetnsState, iface: IfaceState, target: string, unicastTo?: string): void {
    if (target.includes(':')) return ndSolicit(this, ns, iface, findNeigh(ns, iface.ifindex, target), target, unicastTo);
    const tpa = parseIpv4(target)!;
    // The source address: one on this device in the target's subnet if any, else the first (inet_select_addr).
    const mine = iface.addrs.find((a) => {
      const v = parseIpv4(a.local)!;
      const mask = a.prefixlen === 0 ? 0 : (0xffffffff << (32 - a.prefixlen)) >>> 0;
      return ((v & mask) >>> 0) === ((tpa & mask) >>> 0);
    }) ?? iface.addrs[0];
    const spa = mine ? parseIpv4(mine.local)! : 0;
    this.transmit(ns, iface, buildArp(ARPOP_REQUEST, unicastTo ?? BROADCAST_MAC, iface.mac, spa, ZERO_MAC, tpa));
  }

  /** @internal Sends an IP packet to a next hop through the neighbour table (ARP or NDP by family). */
  neighOutput(ns: NetnsState, iface: IfaceState, nexthop: string, pkt: Uint8Array, origin?: { ident: number; seq: number }, ethertype = ETH_P_IP): OutputResult {
    if (iface.kind === 'loopback') {
      this.transmit(ns, iface, buildEthernet(ZERO_MAC, ZERO_MAC, ethertype, pkt));
      return 'sent';
    }
    let n = findNeigh(ns, iface.ifindex, nexthop);
    if (n) ageNeigh(n, this.now);
    if (n && (n.state === 'REACHABLE' || n.state === 'PERMANENT' || n.state === 'DELAY' || n.state === 'PROBE')) {
      this.transmit(ns, iface, buildEthernet(n.lladdr!, iface.mac, ethertype, pkt));
      return 'sent';
    }
    if (n && n.state === 'STALE') {
      // __neigh_event_send: using a STALE entry starts the DELAY timer (delay_first_probe_time).
      n.state = 'DELAY';
      n.updated = this.now;
      this.schedule({ at: this.now + NEIGH_PARAMS.delayFirstProbeMs * 1000, kind: 'neigh', ns: ns.name, ifindex: iface.ifindex, ip: nexthop });
      this.transmit(ns, iface, buildEthernet(n.lladdr!, iface.mac, ethertype, pkt));
      return 'sent';
    }
    const src = ethertype === ETH_P_IPV6 ? formatIpv6(pkt.subarray(8, 24)) : formatIpv4(((pkt[12]! << 24) | (pkt[13]! << 16) | (pkt[14]! << 8) | pkt[15]!) >>> 0);
    const entry = { frame: toHex(buildEthernet(BROADCAST_MAC, iface.mac, ethertype, pkt)), src };
    const item = origin ? { ...entry, origin: { ns: ns.name, ident: origin.ident, seq: origin.seq } } : entry;
    if (n && n.state === 'INCOMPLETE') {
      n.queue.push(item);
      return 'queued';
    }
    // No entry, or FAILED: a fresh resolution cycle (mcast_probes broadcast requests, retrans_time apart).
    if (!n) n = this.newNeigh(ns, iface, nexthop, 'INCOMPLETE');
    n.state = 'INCOMPLETE';
    delete n.lladdr;
    n.updated = this.now;
    n.probes = 1;
    n.queue.push(item);
    this.arpRequest(ns, iface, nexthop);
    this.schedule({ at: this.now + this.retransUs(), kind: 'neigh', ns: ns.name, ifindex: iface.ifindex, ip: nexthop });
    return 'queued';
  }

  /** retrans_time plus a little timer slack (jiffies rounding). */
  private retransUs(): number {
    return NEIGH_PARAMS.retransMs * 1000 + this.rand(0, 2_000);
  }

  /** neigh_timer_handler for one entry. */
  private neighTimer(nsName: string, ifindex: number, ip: string): void {
    const ns = this.state.namespaces.find((x) => x.name === nsName);
    const iface = ns && ifaceByIndex(ns, ifindex);
    const n = ns && findNeigh(ns, ifindex, ip);
    if (!ns || !iface || !n) return;
    ageNeigh(n, this.now);
    switch (n.state) {
      case 'INCOMPLETE':
        if (n.probes < NEIGH_PARAMS.mcastProbes) {
          n.probes++;
          this.arpRequest(ns, iface, ip);
          this.schedule({ at: this.now + this.retransUs(), kind: 'neigh', ns: ns.name, ifindex, ip });
        } else this.neighFailed(ns, iface, n);
        return;
      case 'DELAY':
        if (this.now >= n.updated + NEIGH_PARAMS.delayFirstProbeMs * 1000) {
          n.state = 'PROBE';
          n.updated = this.now;
          n.probes = 1;
          this.arpRequest(ns, iface, ip, n.lladdr);
          this.schedule({ at: this.now + this.retransUs(), kind: 'neigh', ns: ns.name, ifindex, ip });
        }
        return;
      case 'PROBE':
        if (n.probes < NEIGH_PARAMS.ucastProbes) {
          n.probes++;
          this.arpRequest(ns, iface, ip, n.lladdr);
          this.schedule({ at: this.now + this.retransUs(), kind: 'neigh', ns: ns.name, ifindex, ip });
        } else this.neighFailed(ns, iface, n);
        return;
      default:
        return; // confirmed meanwhile
    }
  }

  /**
   * Resolution failed: the entry becomes FAILED and every queued packet gets an ICMP host
   * unreachable from the sender's own address (ipv4_link_failure → icmp_send), delivered
   * through lo — so with lo down the error is lost, exactly as on Linux.
   */
  private neighFailed(ns: NetnsState, iface: IfaceState, n: NeighState): void {
    n.state = 'FAILED';
    delete n.lladdr;
    n.updated = this.now;
    n.probes = 0;
    const q = n.queue;
    n.queue = [];
    if (n.ip.includes(':')) return neighFailed6(this, ns, q);
    const errDelay = this.rand(50_000, 70_000);
    for (const item of q) {
      const frame = fromHex(item.frame);
      const ip = parseIpv4Packet(frame.subarray(14));
      if (!ip) continue;
      const quoted = frame.subarray(14, 14 + ip.ihl + Math.min(8, ip.payload.length));
      const msg = buildIcmp(ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0, quoted);
      // Observed: ping prints the batch ~60 ms after the third request's timer fired (3.06–3.07 s
      // after the first request), so a probe sent just after the failure starts a new cycle.
      this.output(ns, { src: ip.src, dst: ip.src, proto: IPPROTO_ICMP, payload: msg, tos: 0xc0, delayUs: errDelay });
    }
    void iface;
  }
}
