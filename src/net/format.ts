/**
 * Text and JSON views of the emulated network exactly as iproute2 6.1 prints them
 * (`ip link`, `ip addr`, `ip route`, `ip neigh`, `ip netns list`, plain and `-j`).
 */
import { parseIpv4, parsePrefix } from './addr';
import { NetError } from './errors';
import { prefixSelector, type PrefixFamily } from './route-select';
import { ipv6Addrs } from './addr6';
import { hasCarrier, isPrimary, netnsList, peerOf } from './model';
import { routeTable, type RouteView } from './routes';
import { ageAll } from './neigh';
import { ROOT_NS, type IfaceState, type NetState, type NetnsState } from './types';

/** What the kernel reports about the XDP program attached to a device (for the `xdp` words and `prog/xdp` line). */
export interface XdpAttachInfo {
  mode: 'skb' | 'native' | 'hw';
  id: number;
  /** Kernel object name (at most 15 characters). */
  name: string;
  tag: string;
}

/** Looks up the XDP attachment of a device, if any (provided by src/kernel through the CLI). */
export type XdpInfoLookup = (ns: string, ifindex: number) => XdpAttachInfo | undefined;

const XDP_WORD = { skb: 'xdpgeneric', native: 'xdp', hw: 'xdpoffload' } as const;

/** The flag words iproute2 prints between `<` and `>`. */
export function linkFlags(state: NetState, ns: NetnsState, iface: IfaceState): string[] {
  if (iface.kind === 'loopback') return iface.up ? ['LOOPBACK', 'UP', 'LOWER_UP'] : ['LOOPBACK'];
  const carrier = hasCarrier(state, iface);
  const f: string[] = [];
  if (iface.up && !carrier) f.push('NO-CARRIER');
  f.push('BROADCAST', 'MULTICAST');
  if (iface.up) f.push('UP');
  if (carrier) f.push('LOWER_UP');
  // M-DOWN: iproute2 prints it when IFLA_LINK names a device of the same namespace that is down.
  const p = peerOf(state, iface);
  if (p && p.ns === ns && !p.iface.up) f.push('M-DOWN');
  return f;
}

/**
 * IF_OPER_* as the kernel computes it (net/core/link_watch.c default_operstate): an up device
 * without carrier takes its iflink (a veth's peer ifindex) and looks that index up in ITS OWN
 * namespace; it is LOWERLAYERDOWN only when a device is found there, is not itself, and has no
 * carrier. So a veth whose peer (down) is in the same namespace says LOWERLAYERDOWN, while one
 * whose peer is in another namespace usually says DOWN (index 2 at home is eth0, or itself).
 */
function operstate(state: NetState, ns: NetnsState, iface: IfaceState): string {
  if (iface.kind === 'loopback') return iface.up ? 'UNKNOWN' : 'DOWN';
  if (!iface.up) return 'DOWN';
  if (hasCarrier(state, iface)) return 'UP';
  const iflink = iface.peer?.ifindex;
  if (iflink === undefined || iflink === iface.ifindex) return 'DOWN';
  const lower = ns.ifaces.find((i) => i.ifindex === iflink);
  // lo and the emulated NIC never drop their carrier.
  if (!lower || lower.kind !== 'veth' || hasCarrier(state, lower)) return 'DOWN';
  return 'LOWERLAYERDOWN';
}

function qdiscOf(iface: IfaceState): string {
  // lo and veth have no queue (`noqueue`) once up; before the first up no qdisc is attached
  // (`noop`). eth0 stands for a real NIC with the default pfifo_fast.
  if (iface.kind === 'loopback') return iface.up ? 'noqueue' : 'noop';
  if (!iface.everUp) return 'noop';
  return iface.kind === 'ether' ? 'pfifo_fast' : 'noqueue';
}

function atName(state: NetState, ns: NetnsState, iface: IfaceState): string {
  if (iface.kind !== 'veth' || !iface.peer) return iface.name;
  const p = peerOf(state, iface);
  if (p && p.ns === ns) return `${iface.name}@${p.iface.name}`;
  return `${iface.name}@if${iface.peer.ifindex}`;
}

function linkNetns(state: NetState, ns: NetnsState, iface: IfaceState): string {
  if (iface.kind !== 'veth' || !iface.peer || iface.peer.ns === ns.name) return '';
  if (iface.peer.ns !== ROOT_NS) return ` link-netns ${iface.peer.ns}`;
  return ` link-netnsid ${ns.nsids[ROOT_NS] ?? 0}`;
}

function header(state: NetState, ns: NetnsState, iface: IfaceState, xdp: XdpAttachInfo | undefined, addrView: boolean): string {
  const x = xdp ? (addrView ? ` ${XDP_WORD[xdp.mode]}/id:${xdp.id}` : ` ${XDP_WORD[xdp.mode]}`) : '';
  const mode = addrView ? '' : ' mode DEFAULT';
  return `${iface.ifindex}: ${atName(state, ns, iface)}: <${linkFlags(state, ns, iface).join(',')}> mtu ${iface.mtu}${x} qdisc ${qdiscOf(iface)} state ${operstate(state, ns, iface)}${mode} group default qlen 1000`;
}

function linkLine(state: NetState, ns: NetnsState, iface: IfaceState): string {
  if (iface.kind === 'loopback') return '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00';
  return `    link/ether ${iface.mac} brd ff:ff:ff:ff:ff:ff${linkNetns(state, ns, iface)}`;
}

/** `ip link show [DEV]` lines; `stats` adds the `-s` RX/TX blocks. */
export function formatLinks(state: NetState, ns: NetnsState, ifaces: IfaceState[], xdpInfo?: XdpInfoLookup, stats = false): string[] {
  const out: string[] = [];
  for (const i of ifaces) {
    const xdp = xdpInfo?.(ns.name, i.ifindex);
    out.push(header(state, ns, i, xdp, false), linkLine(state, ns, i));
    if (xdp) out.push(`    prog/xdp id ${xdp.id} name ${xdp.name.slice(0, 15)} tag ${xdp.tag} jited `);
    if (stats) {
      // iproute2 6.1 print_link_stats64: right-aligned columns 10, 7, 6, 7, 7, 7, then a space.
      const row = (a: number, b: number): string => `    ${String(a).padStart(10)} ${String(b).padStart(7)} ${'0'.padStart(6)} ${'0'.padStart(7)} ${'0'.padStart(7)} ${'0'.padStart(7)} `;
      out.push('    RX:  bytes packets errors dropped  missed   mcast           ', row(i.stats.rxBytes, i.stats.rxPackets));
      out.push('    TX:  bytes packets errors dropped carrier collsns           ', row(i.stats.txBytes, i.stats.txPackets));
    }
  }
  return out;
}

/** `ip -j link show` objects. */
export function linksJson(state: NetState, ns: NetnsState, ifaces: IfaceState[], xdpInfo?: XdpInfoLookup, stats = false): Record<string, unknown>[] {
  return ifaces.map((i) => {
    const o = linkJson(state, ns, i, xdpInfo);
    if (stats) {
      o['stats64'] = {
        rx: { bytes: i.stats.rxBytes, packets: i.stats.rxPackets, errors: 0, dropped: 0, over_errors: 0, multicast: 0 },
        tx: { bytes: i.stats.txBytes, packets: i.stats.txPackets, errors: 0, dropped: 0, carrier_errors: 0, collisions: 0 },
      };
    }
    return o;
  });
}

function linkJson(state: NetState, ns: NetnsState, i: IfaceState, xdpInfo?: XdpInfoLookup, addr = false): Record<string, unknown> {
  const o: Record<string, unknown> = { ifindex: i.ifindex };
  const p = peerOf(state, i);
  if (i.kind === 'veth' && i.peer) {
    if (p && p.ns === ns) o['link'] = p.iface.name;
    else o['link_index'] = i.peer.ifindex;
  }
  o['ifname'] = i.name;
  o['flags'] = linkFlags(state, ns, i);
  o['mtu'] = i.mtu;
  const xdp = xdpInfo?.(ns.name, i.ifindex);
  if (xdp) {
    o['xdp'] = { mode: xdp.mode === 'skb' ? 2 : xdp.mode === 'native' ? 1 : 3, prog: { id: xdp.id, name: xdp.name.slice(0, 15), tag: xdp.tag, jited: 1 } };
  }
  o['qdisc'] = qdiscOf(i);
  o['operstate'] = operstate(state, ns, i);
  if (!addr) o['linkmode'] = 'DEFAULT';
  o['group'] = 'default';
  o['txqlen'] = 1000;
  o['link_type'] = i.kind === 'loopback' ? 'loopback' : 'ether';
  o['address'] = i.mac;
  o['broadcast'] = i.kind === 'loopback' ? '00:00:00:00:00:00' : 'ff:ff:ff:ff:ff:ff';
  if (i.kind === 'veth' && i.peer && i.peer.ns !== ns.name) o['link_netnsid'] = ns.nsids[i.peer.ns] ?? 0;
  return o;
}

interface AddrRow {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope: string;
  secondary: boolean;
  label?: string;
  nodad?: boolean;
}

function addrRows(state: NetState, iface: IfaceState): AddrRow[] {
  const rows: AddrRow[] = [];
  iface.addrs.forEach((a, idx) => {
    const row: AddrRow = {
      family: 'inet',
      local: a.local,
      prefixlen: a.prefixlen,
      scope: a.local.startsWith('127.') ? 'host' : 'global',
      secondary: !isPrimary(iface, idx),
      label: iface.name,
    };
    if (a.broadcast !== undefined) row.broadcast = a.broadcast;
    rows.push(row);
  });
  // IPv6: ::1 on lo when up, user addresses, the EUI-64 link-local once the link has carrier (addrconf).
  for (const a of ipv6Addrs(state, iface)) rows.push({ family: 'inet6', local: a.local, prefixlen: a.prefixlen, scope: a.scope, secondary: false, ...(a.nodad ? { nodad: true } : {}) });
  return rows;
}

/**
 * The first line of `ip -6 addr show` without a device: iproute2 6.1 then dumps links with
 * family AF_INET6, whose replies carry no qdisc, group nor peer (`2: veth0: <…> mtu 1500 state UP qlen 1000`).
 */
function header6(state: NetState, ns: NetnsState, iface: IfaceState): string {
  return `${iface.ifindex}: ${iface.name}: <${linkFlags(state, ns, iface).join(',')}> mtu ${iface.mtu} state ${operstate(state, ns, iface)} qlen 1000`;
}

/**
 * `ip addr show [dev DEV]` lines. With a family (`ip -4` / `ip -6`), only that family's
 * addresses, no link/ether line, and the `link-netns` attribute moves to the end of the first
 * line; `ip -6` without a device prints the short AF_INET6 link header.
 */
export function formatAddrs(state: NetState, ns: NetnsState, ifaces: IfaceState[], xdpInfo?: XdpInfoLookup, family?: 'inet' | 'inet6', byDev = false): string[] {
  const out: string[] = [];
  for (const i of ifaces) {
    const rows = addrRows(state, i).filter((r) => family === undefined || r.family === family);
    if (family !== undefined) {
      if (rows.length === 0) continue;
      if (family === 'inet6' && !byDev) out.push(header6(state, ns, i));
      else out.push(header(state, ns, i, xdpInfo?.(ns.name, i.ifindex), true) + linkNetns(state, ns, i));
    } else out.push(header(state, ns, i, xdpInfo?.(ns.name, i.ifindex), true), linkLine(state, ns, i));
    for (const r of rows) {
      if (r.family === 'inet') {
        const brd = r.broadcast !== undefined ? ` brd ${r.broadcast}` : '';
        out.push(`    inet ${r.local}/${r.prefixlen}${brd} scope ${r.scope}${r.secondary ? ' secondary' : ''} ${r.label}`);
      } else out.push(`    inet6 ${r.local}/${r.prefixlen} scope ${r.scope} ${r.nodad ? 'nodad ' : ''}`);
      out.push('       valid_lft forever preferred_lft forever');
    }
  }
  return out;
}

/** `ip -j addr show` objects. */
export function addrsJson(state: NetState, ns: NetnsState, ifaces: IfaceState[], xdpInfo?: XdpInfoLookup, family?: 'inet' | 'inet6', byDev = false): Record<string, unknown>[] {
  const shown = family === undefined ? ifaces : ifaces.filter((i) => addrRows(state, i).some((r) => r.family === family));
  return shown.map((i) => {
    const o = linkJson(state, ns, i, xdpInfo, true);
    // With a family filter there is no link/ether part; the AF_INET6 link dump has fewer fields still (see header6).
    if (family !== undefined) for (const k of ['link_type', 'address', 'broadcast']) delete o[k];
    if (family === 'inet6' && !byDev) for (const k of ['link', 'link_index', 'qdisc', 'group', 'link_netnsid', 'xdp']) delete o[k];
    o['addr_info'] = addrRows(state, i).filter((r) => family === undefined || r.family === family).map((r) => {
      const a: Record<string, unknown> = { family: r.family, local: r.local, prefixlen: r.prefixlen };
      if (r.broadcast !== undefined) a['broadcast'] = r.broadcast;
      a['scope'] = r.scope;
      if (r.secondary) a['secondary'] = true;
      if (r.label !== undefined) a['label'] = r.label;
      if (r.nodad) a['nodad'] = true;
      a['valid_life_time'] = 4294967295;
      a['preferred_life_time'] = 4294967295;
      return a;
    });
    return o;
  });
}

function routeDst(r: RouteView): string {
  return r.dstLen === 0 ? 'default' : `${r.dst}/${r.dstLen}`;
}

/** `ip route show [SELECTOR] [dev DEV]` lines (each ends with a space, as iproute2's do); `keep` is the selector. */
export function formatRoutes(state: NetState, ns: NetnsState, dev?: string, keep: (r: RouteView) => boolean = () => true): string[] {
  return routeTable(state, ns)
    .filter((r) => (dev === undefined || r.dev === dev) && keep(r))
    .map((r) => {
      let s = routeDst(r);
      if (r.gateway !== undefined) s += ` via ${r.gateway}`;
      if (dev === undefined) s += ` dev ${r.dev}`;
      if (r.proto !== undefined) s += ` proto ${r.proto}`;
      if (r.scope !== undefined) s += ` scope ${r.scope}`;
      if (r.prefsrc !== undefined) s += ` src ${r.prefsrc}`;
      if (r.linkdown) s += ' linkdown';
      return s + ' ';
    });
}

/** `ip -j route show` objects. */
export function routesJson(state: NetState, ns: NetnsState, dev?: string, keep: (r: RouteView) => boolean = () => true): Record<string, unknown>[] {
  return routeTable(state, ns)
    .filter((r) => (dev === undefined || r.dev === dev) && keep(r))
    .map((r) => {
      const o: Record<string, unknown> = { dst: routeDst(r) };
      if (r.gateway !== undefined) o['gateway'] = r.gateway;
      if (dev === undefined) o['dev'] = r.dev;
      if (r.proto !== undefined) o['protocol'] = r.proto;
      if (r.scope !== undefined) o['scope'] = r.scope;
      if (r.prefsrc !== undefined) o['prefsrc'] = r.prefsrc;
      o['flags'] = r.linkdown ? ['linkdown'] : [];
      return o;
    });
}

/** An address family filter (`ip -4` / `ip -6`). */
export type Family = 'inet' | 'inet6';

function neighRows(state: NetState, ns: NetnsState, ifindex?: number, family?: Family): { ip: string; dev: string; lladdr?: string; state: string }[] {
  ageAll(ns, state.clockUs);
  return ns.neigh
    .filter((n) => (ifindex === undefined || n.ifindex === ifindex) && (family === undefined || n.ip.includes(':') === (family === 'inet6')))
    .map((n) => {
      const dev = ns.ifaces.find((i) => i.ifindex === n.ifindex)?.name ?? `if${n.ifindex}`;
      const row: { ip: string; dev: string; lladdr?: string; state: string } = { ip: n.ip, dev, state: n.state };
      if (n.lladdr !== undefined && n.state !== 'INCOMPLETE' && n.state !== 'FAILED') row.lladdr = n.lladdr;
      return row;
    });
}

/** `ip neigh show [dev DEV]` lines. */
export function formatNeigh(state: NetState, ns: NetnsState, ifindex?: number, family?: Family): string[] {
  return neighRows(state, ns, ifindex, family).map((r) => `${r.ip}${ifindex === undefined ? ` dev ${r.dev}` : ''}${r.lladdr ? ` lladdr ${r.lladdr}` : ''} ${r.state} `);
}

/** `ip -j neigh show` objects. */
export function neighJson(state: NetState, ns: NetnsState, ifindex?: number, family?: Family): Record<string, unknown>[] {
  return neighRows(state, ns, ifindex, family).map((r) => {
    const o: Record<string, unknown> = { dst: r.ip };
    if (ifindex === undefined) o['dev'] = r.dev;
    if (r.lladdr) o['lladdr'] = r.lladdr;
    o['state'] = [r.state];
    return o;
  });
}

/** `ip netns list` lines as seen from namespace `from`. */
export function formatNetnsList(state: NetState, from: string): string[] {
  return netnsList(state, from).map((n) => (n.id !== undefined ? `${n.name} (id: ${n.id})` : n.name));
}

function brief(state: NetState, ns: NetnsState, iface: IfaceState): string {
  return `${atName(state, ns, iface).padEnd(16)} ${operstate(state, ns, iface).padEnd(14)} `;
}

/** `ip -br link` lines: name (16 wide), state (14 wide), MAC, flags, a trailing space. */
export function formatLinksBrief(state: NetState, ns: NetnsState, ifaces: IfaceState[]): string[] {
  return ifaces.map((i) => `${brief(state, ns, i)}${i.mac} <${linkFlags(state, ns, i).join(',')}> `);
}

/** `ip -br addr` lines: name, state, then every address followed by a space. */
export function formatAddrsBrief(state: NetState, ns: NetnsState, ifaces: IfaceState[]): string[] {
  return ifaces.map((i) => `${brief(state, ns, i)}${addrRows(state, i).map((r) => `${r.local}/${r.prefixlen} `).join('')}`);
}

/** The filter of `ip route show [to] [exact|root|match] PREFIX` over the IPv4 table. */
export function routeSelector(words: readonly string[]): (r: RouteView) => boolean {
  const keep = prefixSelector(words, IPV4_PREFIX);
  return (r) => keep({ dst: parseIpv4(r.dst) ?? 0, dstLen: r.dstLen });
}

const IPV4_PREFIX: PrefixFamily<number> = {
  parse: (w) => parsePrefix(w.includes('/') ? w : `${w}/32`),
  bad: (w) => new NetError(`Error: any valid prefix is expected rather than "${w}".`, 1, 'EINVAL'),
  samePrefix: (a, b, len) => len === 0 || a >>> (32 - len) === b >>> (32 - len),
  zero: 0,
};
