/**
 * Configuration of the emulated network: namespaces, links, addresses, routes and neighbour
 * flushes, with iproute2's checks and messages. All functions mutate a `NetState` in place.
 */
import { broadcastOf, formatIpv4, formatMac, inPrefix, parseIpv4, parseMac, parsePrefix } from './addr';
import { NetError } from './errors';
import { ROOT_NS, type IfaceState, type NeighState, type NetState, type NetnsState } from './types';

/** Options of a new network. */
export interface NewNetOptions {
  /** Seed of MACs and timing jitter (default: random). */
  seed?: number;
  /** Wall-clock epoch of emulated time zero, in µs (default: now). */
  epochUs?: number;
}

/** The root namespace's eth0 address, prefix, and its emulated upstream router (QEMU user-net layout). */
export const ETH0_ADDR = '10.0.2.15';
export const ETH0_PREFIXLEN = 24;
export const UPSTREAM_ADDR = '10.0.2.2';

function newStats(): IfaceState['stats'] {
  return { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 };
}

function newNetns(name: string): NetnsState {
  const lo: IfaceState = {
    ifindex: 1,
    name: 'lo',
    kind: 'loopback',
    mac: '00:00:00:00:00:00',
    mtu: 65536,
    up: false,
    everUp: false,
    addrs: [],
    stats: newStats(),
  };
  return { name, ifaces: [lo], nextIfindex: 2, routes: [], neigh: [], nsids: {}, ipId: 0 };
}

/** splitmix32: a small, good-enough mixer for deterministic MACs from (seed, counter). */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The next MAC: random-looking, locally administered (bit 0x02 set) and unicast (bit 0x01
 * clear) like the kernel's eth_random_addr(), but derived from the state's seed so that a
 * given seed always produces the same addresses.
 */
export function nextMac(state: NetState): string {
  const n = state.macCounter++;
  const a = mix32(state.seed ^ Math.imul(n + 1, 0x27d4eb2d));
  const b = mix32(a ^ 0x5bd1e995);
  const bytes = [(a >>> 24) & 0xfe, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, (b >>> 24) & 255, (b >>> 16) & 255];
  bytes[0] = (bytes[0]! | 0x02) & 0xfe;
  return bytes.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** A fresh network: the root namespace with `lo` (up) and `eth0` (up, 10.0.2.15/24, default via 10.0.2.2). */
export function createNetState(options: NewNetOptions = {}): NetState {
  const seed = (options.seed ?? Math.floor(Math.random() * 0x100000000)) >>> 0;
  const state: NetState = {
    version: 1,
    seed,
    rng: seed || 0x1234567,
    clockUs: 0,
    epochUs: options.epochUs ?? Date.now() * 1000,
    macCounter: 0,
    eventSeq: 0,
    namespaces: [],
    events: [],
    captures: [],
    nextCaptureId: 1,
  };
  const root = newNetns(ROOT_NS);
  state.namespaces.push(root);
  const lo = root.ifaces[0]!;
  setUp(lo);
  const eth0: IfaceState = {
    ifindex: root.nextIfindex++,
    name: 'eth0',
    kind: 'ether',
    mac: nextMac(state),
    mtu: 1500,
    up: true,
    everUp: true,
    addrs: [{ local: ETH0_ADDR, prefixlen: ETH0_PREFIXLEN, broadcast: formatIpv4(broadcastOf(parseIpv4(ETH0_ADDR)!, ETH0_PREFIXLEN)) }],
    upstream: { mac: nextMac(state), ip: UPSTREAM_ADDR },
    stats: newStats(),
  };
  root.ifaces.push(eth0);
  root.routes.push({ dst: '0.0.0.0', dstLen: 0, gateway: UPSTREAM_ADDR, dev: 'eth0' });
  return state;
}

/** Validates that an unknown value looks like a NetState (from a snapshot). */
export function isNetState(v: unknown): v is NetState {
  return typeof v === 'object' && v !== null && (v as NetState).version === 1 && Array.isArray((v as NetState).namespaces);
}

/** Finds a namespace, or throws as `ip netns exec` does (exit 255). */
export function getNetns(state: NetState, name: string): NetnsState {
  const ns = state.namespaces.find((n) => n.name === name);
  if (!ns) throw new NetError(`Cannot open network namespace "${name}": No such file or directory`, 255, 'ENOENT');
  return ns;
}

/** Finds a namespace or returns undefined. */
export function findNetns(state: NetState, name: string): NetnsState | undefined {
  return state.namespaces.find((n) => n.name === name);
}

/** Finds a device by name, or undefined. */
export function findIface(ns: NetnsState, name: string): IfaceState | undefined {
  return ns.ifaces.find((i) => i.name === name);
}

/** Finds a device by name or throws iproute2's `Cannot find device "X"` (exit 1). */
export function requireIface(ns: NetnsState, name: string): IfaceState {
  const i = findIface(ns, name);
  if (!i) throw new NetError(`Cannot find device "${name}"`, 1, 'ENODEV');
  return i;
}

/** Finds a device by ifindex. */
export function ifaceByIndex(ns: NetnsState, ifindex: number): IfaceState | undefined {
  return ns.ifaces.find((i) => i.ifindex === ifindex);
}

/** The peer end of a veth, with its namespace. */
export function peerOf(state: NetState, iface: IfaceState): { ns: NetnsState; iface: IfaceState } | undefined {
  if (!iface.peer) return undefined;
  const ns = findNetns(state, iface.peer.ns);
  const p = ns && ifaceByIndex(ns, iface.peer.ifindex);
  return ns && p ? { ns, iface: p } : undefined;
}

/** Carrier (IFF_LOWER_UP): lo and eth0 when up; a veth when both ends are up. */
export function hasCarrier(state: NetState, iface: IfaceState): boolean {
  if (!iface.up) return false;
  if (iface.kind !== 'veth') return true;
  const p = peerOf(state, iface);
  return p !== undefined && p.iface.up;
}

function setUp(iface: IfaceState): void {
  iface.up = true;
  iface.everUp = true;
  // Linux gives lo 127.0.0.1/8 when it first comes up (inet_init → NETDEV_UP on loopback).
  if (iface.kind === 'loopback' && !iface.addrs.some((a) => a.local === '127.0.0.1')) iface.addrs.unshift({ local: '127.0.0.1', prefixlen: 8 });
}

const IFNAMSIZ = 16;

function checkIfname(name: string): void {
  // iproute2 refuses names that do not fit IFNAMSIZ or contain '/', ':' or whitespace.
  if (name.length === 0 || name.length >= IFNAMSIZ || /[/:\s]/.test(name) || name === '.' || name === '..') {
    throw new NetError(`Error: argument "${name}" is wrong: "name" not a valid ifname`, 255, 'EINVAL');
  }
}

/** `ip netns add NAME`. */
export function netnsAdd(state: NetState, name: string): void {
  if (!name || name.includes('/') || name === '.' || name === '..') throw new NetError(`Invalid netns name "${name}"`, 1, 'EINVAL');
  if (findNetns(state, name)) throw new NetError(`Cannot create namespace file "/run/netns/${name}": File exists`, 1, 'EEXIST');
  state.namespaces.push(newNetns(name));
}

/** `ip netns del NAME`: its veths are destroyed, and with them their peers elsewhere. */
export function netnsDel(state: NetState, name: string): void {
  const ns = name === ROOT_NS ? undefined : findNetns(state, name);
  if (!ns) throw new NetError(`Cannot remove namespace file "/run/netns/${name}": No such file or directory`, 1, 'ENOENT');
  for (const i of [...ns.ifaces]) if (i.kind === 'veth') deleteVeth(state, ns, i);
  state.namespaces = state.namespaces.filter((n) => n !== ns);
  for (const n of state.namespaces) delete n.nsids[name];
  state.events = state.events.filter((e) => e.ns !== name);
  state.captures = state.captures.filter((c) => c.ns !== name);
}

/** `ip netns list` as seen from namespace `from`: newest first (the /run/netns tmpfs order), ` (id: N)` where assigned. */
export function netnsList(state: NetState, from: string): { name: string; id?: number }[] {
  const self = getNetns(state, from);
  return state.namespaces
    .filter((n) => n.name !== ROOT_NS)
    .reverse()
    .map((n) => (self.nsids[n.name] !== undefined ? { name: n.name, id: self.nsids[n.name]! } : { name: n.name }));
}

function assignNsid(from: NetnsState, to: NetnsState): void {
  if (from === to || from.nsids[to.name] !== undefined) return;
  const used = new Set(Object.values(from.nsids));
  let id = 0;
  while (used.has(id)) id++;
  from.nsids[to.name] = id;
}

function allocIfindex(ns: NetnsState, wanted?: number): number {
  if (wanted !== undefined && !ns.ifaces.some((i) => i.ifindex === wanted)) return wanted;
  let idx = ns.nextIfindex;
  while (ns.ifaces.some((i) => i.ifindex === idx)) idx++;
  ns.nextIfindex = idx + 1;
  return idx;
}

/** `ip link add NAME type veth peer name PEER [netns NS]`; the peer is registered first (lower ifindex in one namespace). */
export function linkAddVeth(state: NetState, nsName: string, name: string, peerName: string, peerNsName?: string, devNsName?: string): void {
  const netnsArg = (n: string): NetnsState => {
    const found = findNetns(state, n);
    if (!found) throw new NetError(`Error: argument "${n}" is wrong: Invalid "netns" value\n`, 255, 'EINVAL');
    return found;
  };
  // `ip link add NAME netns NS1 type veth peer name PEER netns NS2`: each end where it is told to
  // go; a peer without `netns` stays in the caller's namespace (veth_newlink: rtnl_link_get_net(src_net)).
  const ns = devNsName !== undefined ? netnsArg(devNsName) : getNetns(state, nsName);
  const peerNs = peerNsName !== undefined ? netnsArg(peerNsName) : getNetns(state, nsName);
  checkIfname(name);
  checkIfname(peerName);
  if (findIface(ns, name) || findIface(peerNs, peerName) || (peerNs === ns && name === peerName)) {
    throw new NetError('RTNETLINK answers: File exists', 2, 'EEXIST');
  }
  const peerIndex = allocIfindex(peerNs);
  const peer: IfaceState = {
    ifindex: peerIndex,
    name: peerName,
    kind: 'veth',
    mac: nextMac(state),
    mtu: 1500,
    up: false,
    everUp: false,
    addrs: [],
    stats: newStats(),
  };
  peerNs.ifaces.push(peer);
  const index = allocIfindex(ns);
  const dev: IfaceState = {
    ifindex: index,
    name,
    kind: 'veth',
    mac: nextMac(state),
    mtu: 1500,
    up: false,
    everUp: false,
    addrs: [],
    peer: { ns: peerNs.name, ifindex: peerIndex },
    stats: newStats(),
  };
  peer.peer = { ns: ns.name, ifindex: index };
  ns.ifaces.push(dev);
  // Linking two namespaces makes each assign the other an nsid (rtnl_link_get_net / peernet2id_alloc).
  assignNsid(ns, peerNs);
  assignNsid(peerNs, ns);
}

function forgetIface(state: NetState, ns: NetnsState, iface: IfaceState): void {
  ns.ifaces = ns.ifaces.filter((i) => i !== iface);
  ns.neigh = ns.neigh.filter((n) => n.ifindex !== iface.ifindex);
  ns.routes = ns.routes.filter((r) => r.dev !== iface.name);
  state.events = state.events.filter((e) => !(e.ns === ns.name && e.ifindex === iface.ifindex));
  state.captures = state.captures.filter((c) => !(c.ns === ns.name && c.ifindex === iface.ifindex));
}

function deleteVeth(state: NetState, ns: NetnsState, iface: IfaceState): void {
  const p = peerOf(state, iface);
  forgetIface(state, ns, iface);
  if (p) forgetIface(state, p.ns, p.iface);
}

/** `ip link del DEV`: deleting one end of a veth deletes both. lo and eth0 cannot be deleted. */
export function linkDel(state: NetState, nsName: string, dev: string): { removed: { ns: string; ifindex: number }[] } {
  const ns = getNetns(state, nsName);
  const iface = requireIface(ns, dev);
  if (iface.kind !== 'veth') throw new NetError('RTNETLINK answers: Operation not supported', 2, 'EOPNOTSUPP');
  const removed = [{ ns: ns.name, ifindex: iface.ifindex }];
  const p = peerOf(state, iface);
  if (p) removed.push({ ns: p.ns.name, ifindex: p.iface.ifindex });
  deleteVeth(state, ns, iface);
  return { removed };
}

/** `ip link set DEV up|down`. Setting a device down flushes its neighbours and the routes through it (fib_sync_down_dev). */
export function linkSetUp(state: NetState, nsName: string, dev: string, up: boolean): void {
  const ns = getNetns(state, nsName);
  const iface = requireIface(ns, dev);
  if (up) {
    setUp(iface);
    return;
  }
  iface.up = false;
  // addrconf_ifdown with keep_addr_on_down=0 (the default): every IPv6 address goes.
  delete iface.addrs6;
  ns.neigh = ns.neigh.filter((n) => n.ifindex !== iface.ifindex);
  ns.routes = ns.routes.filter((r) => r.dev !== iface.name);
  // The peer loses its carrier: neigh_carrier_down flushes its entries too (arp_netdev_event, NETDEV_CHANGE).
  const p = peerOf(state, iface);
  if (p) p.ns.neigh = p.ns.neigh.filter((n) => n.ifindex !== p.iface.ifindex);
}

/** `ip link set DEV mtu N`. */
export function linkSetMtu(state: NetState, nsName: string, dev: string, mtu: number): void {
  const iface = requireIface(getNetns(state, nsName), dev);
  if (!Number.isInteger(mtu) || mtu < 68 || mtu > (iface.kind === 'loopback' ? 0x7fffffff : 65535)) {
    throw new NetError(`Error: mtu ${mtu} is invalid.`, 2, 'EINVAL');
  }
  iface.mtu = mtu;
}

/**
 * `ip link set DEV address LLADDR`: iproute2's ll_addr_a2n parse (colon-separated hex bytes, exit
 * 1 on a bad byte or a length other than the device's 6), then the kernel's eth_mac_addr check
 * (a multicast or all-zero address is EADDRNOTAVAIL, exit 2).
 */
export function linkSetAddress(state: NetState, nsName: string, dev: string, text: string): void {
  const iface = requireIface(getNetns(state, nsName), dev);
  const bytes = text.split(':').map((part) => (/^[0-9a-fA-F]{1,2}$/.test(part) ? parseInt(part, 16) : NaN));
  const bad = bytes.findIndex((b) => Number.isNaN(b));
  if (bad >= 0) throw new NetError(`"${text.split(':')[bad]}" is invalid lladdr.`, 1, 'EINVAL');
  if (bytes.length !== 6) throw new NetError(`Invalid address length ${bytes.length} - must be 6 bytes`, 1, 'EINVAL');
  if ((bytes[0]! & 1) !== 0 || bytes.every((b) => b === 0)) throw new NetError('RTNETLINK answers: Cannot assign requested address', 2, 'EADDRNOTAVAIL');
  iface.mac = bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

/**
 * `ip link set DEV netns NS`: the device moves (down, its addresses and routes gone, as
 * dev_change_net_namespace does); it keeps its ifindex if free in the target.
 */
export function linkSetNetns(state: NetState, nsName: string, dev: string, target: string): void {
  const ns = getNetns(state, nsName);
  const iface = requireIface(ns, dev);
  const to = findNetns(state, target);
  if (!to) throw new NetError(`Error: argument "${target}" is wrong: Invalid "netns" value\n`, 255, 'EINVAL');
  if (iface.kind !== 'veth') throw new NetError('RTNETLINK answers: Invalid argument', 2, 'EINVAL');
  if (to === ns) return;
  if (findIface(to, iface.name)) throw new NetError('RTNETLINK answers: File exists', 2, 'EEXIST');
  const p = peerOf(state, iface);
  forgetIface(state, ns, iface);
  iface.up = false;
  iface.addrs = [];
  iface.ifindex = allocIfindex(to, iface.ifindex);
  to.ifaces.push(iface);
  to.ifaces.sort((a, b) => a.ifindex - b.ifindex);
  if (p) {
    p.iface.peer = { ns: to.name, ifindex: iface.ifindex };
    assignNsid(to, p.ns);
    assignNsid(p.ns, to);
  }
}

/** Parses an `ip addr` prefix argument as iproute2 does, or throws its message (exit 1). */
export function parseAddrArg(text: string): { addr: number; len: number } {
  const p = parsePrefix(text);
  if (!p) throw new NetError(`Error: any valid prefix is expected rather than "${text}".`, 1, 'EINVAL');
  return p;
}

/** `ip addr add PREFIX [brd ADDR|+] dev DEV`. A second address in an existing subnet is secondary. */
export function addrAdd(state: NetState, nsName: string, prefix: string, dev: string, brd?: string): void {
  const ns = getNetns(state, nsName);
  const p = parseAddrArg(prefix);
  const iface = requireIface(ns, dev);
  const local = formatIpv4(p.addr);
  if (iface.addrs.some((a) => a.local === local && a.prefixlen === p.len)) throw new NetError('Error: ipv4: Address already assigned.', 2, 'EEXIST');
  let broadcast: string | undefined;
  if (brd === '+') broadcast = formatIpv4(broadcastOf(p.addr, p.len));
  else if (brd !== undefined) {
    const b = parseIpv4(brd);
    if (b === undefined) throw new NetError(`Error: inet address is expected rather than "${brd}".`, 1, 'EINVAL');
    broadcast = formatIpv4(b);
  }
  iface.addrs.push(broadcast !== undefined ? { local, prefixlen: p.len, broadcast } : { local, prefixlen: p.len });
}

/** `ip addr del PREFIX dev DEV`. */
export function addrDel(state: NetState, nsName: string, prefix: string, dev: string): void {
  const ns = getNetns(state, nsName);
  const p = parseAddrArg(prefix);
  const iface = requireIface(ns, dev);
  const local = formatIpv4(p.addr);
  const hasLen = prefix.includes('/');
  const idx = iface.addrs.findIndex((a) => a.local === local && (!hasLen || a.prefixlen === p.len));
  if (idx < 0) throw new NetError('Error: ipv4: Address not found.', 2, 'EADDRNOTAVAIL');
  const [gone] = iface.addrs.splice(idx, 1);
  // Routes whose preferred source was this address go with it (fib_del_ifaddr).
  ns.routes = ns.routes.filter((r) => r.src !== gone!.local);
}

/** True when the address is the first one of its subnet on the device (not ` secondary`). */
export function isPrimary(iface: IfaceState, index: number): boolean {
  const a = iface.addrs[index]!;
  const av = parseIpv4(a.local)!;
  for (let i = 0; i < index; i++) {
    const b = iface.addrs[i]!;
    if (b.prefixlen === a.prefixlen && inPrefix(av, parseIpv4(b.local)!, b.prefixlen)) return false;
  }
  return true;
}

/** The local addresses of a namespace (for delivery to the host and ARP replies); lo's only while it is up. */
export function localAddress(ns: NetnsState, addr: number): IfaceState | undefined {
  for (const iface of ns.ifaces) {
    if (iface.kind === 'loopback' && !iface.up) continue;
    for (const a of iface.addrs) {
      if (parseIpv4(a.local) === addr) return iface;
      // 127.0.0.0/8 is all local once lo is up.
      if (iface.kind === 'loopback' && inPrefix(addr, parseIpv4(a.local)!, a.prefixlen)) return iface;
    }
  }
  return undefined;
}

/** `ip neigh flush dev DEV` (or all devices): removes every non-permanent entry. Returns how many. */
export function neighFlush(state: NetState, nsName: string, dev?: string): number {
  const ns = getNetns(state, nsName);
  let ifindex: number | undefined;
  if (dev !== undefined) ifindex = requireIface(ns, dev).ifindex;
  const before = ns.neigh.length;
  ns.neigh = ns.neigh.filter((n) => n.state === 'PERMANENT' || (ifindex !== undefined && n.ifindex !== ifindex));
  return before - ns.neigh.length;
}

const NUD_WORDS: Record<string, NeighState['state']> = {
  permanent: 'PERMANENT',
  reachable: 'REACHABLE',
  stale: 'STALE',
  delay: 'DELAY',
  probe: 'PROBE',
  failed: 'FAILED',
  incomplete: 'INCOMPLETE',
};

/**
 * `ip neigh add|replace IP lladdr MAC dev DEV [nud STATE]` (default PERMANENT, as iproute2
 * asks). `add` refuses an existing entry (`RTNETLINK answers: File exists`, exit 2).
 */
export function neighAdd(state: NetState, nsName: string, ip: string, o: { dev: string; lladdr?: string; nud?: string; replace?: boolean }): void {
  const ns = getNetns(state, nsName);
  const addr = parseIpv4(ip);
  if (addr === undefined) throw new NetError(`Error: inet address is expected rather than "${ip}".`, 1, 'EINVAL');
  const iface = requireIface(ns, o.dev);
  const nud = o.nud === undefined ? 'PERMANENT' : NUD_WORDS[o.nud.toLowerCase()];
  if (nud === undefined) throw new NetError(`Error: argument "${o.nud}" is wrong: nud state is bad`, 255, 'EINVAL');
  if (o.lladdr !== undefined && parseMac(o.lladdr) === undefined) throw new NetError(`"${o.lladdr}" is invalid lladdr.`, 255, 'EINVAL');
  const key = formatIpv4(addr);
  const existing = ns.neigh.find((n) => n.ifindex === iface.ifindex && n.ip === key);
  if (existing && !o.replace) throw new NetError('RTNETLINK answers: File exists', 2, 'EEXIST');
  const entry: NeighState = existing ?? {
    ip: key,
    ifindex: iface.ifindex,
    state: nud,
    confirmed: state.clockUs,
    updated: state.clockUs,
    reachableMs: 30_000,
    probes: 0,
    queue: [],
  };
  entry.state = nud;
  entry.confirmed = state.clockUs;
  entry.updated = state.clockUs;
  if (o.lladdr !== undefined) entry.lladdr = formatMac(parseMac(o.lladdr)!);
  if (!existing) ns.neigh.push(entry);
}

/** `ip neigh del IP dev DEV`. */
export function neighDel(state: NetState, nsName: string, ip: string, dev: string): void {
  const ns = getNetns(state, nsName);
  const iface = requireIface(ns, dev);
  const idx = ns.neigh.findIndex((n) => n.ifindex === iface.ifindex && n.ip === ip);
  if (idx < 0) throw new NetError('RTNETLINK answers: No such file or directory', 2, 'ENOENT');
  ns.neigh.splice(idx, 1);
}
