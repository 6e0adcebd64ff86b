/**
 * IPv6 addresses and the IPv6 routing table of a namespace (addrconf as Linux with
 * addr_gen_mode eui64): the EUI-64 link-local of every device with carrier, `::1` on lo,
 * user addresses, the connected routes they make (`proto kernel metric 256 pref medium`), local
 * delivery, longest-prefix lookup and source address selection.
 */
import { linkLocalFromMac } from './addr';
import { NetError } from './errors';
import { getNetns, hasCarrier, requireIface } from './model';
import { formatIpv6, inPrefix6, isLinkLocal6, network6, parseIpv6 } from './packet6';
import type { IfaceState, NetState, NetnsState } from './types';

/** One IPv6 address as `ip -6 addr` lists it. */
export interface Addr6View {
  local: string;
  prefixlen: number;
  scope: 'host' | 'link' | 'global';
  nodad: boolean;
}

/**
 * The IPv6 addresses of a device in the kernel's list order (ipv6_link_dev_addr: wider scope
 * first, newest first within a scope): global ones, then the link-local once the link has
 * carrier; `::1` on lo while it is up.
 */
export function ipv6Addrs(state: NetState, iface: IfaceState): Addr6View[] {
  if (iface.kind === 'loopback') return iface.up ? [{ local: '::1', prefixlen: 128, scope: 'host', nodad: false }] : [];
  const rows: Addr6View[] = [];
  for (const a of [...(iface.addrs6 ?? [])].reverse()) {
    const ll = isLinkLocal6(parseIpv6(a.local)!);
    rows.push({ local: a.local, prefixlen: a.prefixlen, scope: ll ? 'link' : 'global', nodad: a.nodad === true });
  }
  if (hasCarrier(state, iface)) rows.push({ local: linkLocalFromMac(iface.mac), prefixlen: 64, scope: 'link', nodad: false });
  // Stable sort: global before link, list order kept within a scope.
  const rank = { global: 0, link: 1, host: 2 } as const;
  return rows.map((r, i) => ({ r, i })).sort((x, y) => rank[x.r.scope] - rank[y.r.scope] || x.i - y.i).map((x) => x.r);
}

function parsePrefix6(text: string): { addr: Uint8Array; len: number } {
  const [a, l, extra] = text.split('/');
  const addr = a !== undefined && extra === undefined ? parseIpv6(a) : undefined;
  const len = l === undefined ? 128 : /^\d{1,3}$/.test(l) ? Number(l) : NaN;
  if (!addr || !(len >= 0 && len <= 128)) throw new NetError(`Error: inet6 prefix is expected rather than "${text}".`, 1, 'EINVAL');
  return { addr, len };
}

/** `ip -6 addr add PREFIX dev DEV [nodad]`. */
export function addr6Add(state: NetState, nsName: string, prefix: string, dev: string, nodad = false): void {
  const ns = getNetns(state, nsName);
  const p = parsePrefix6(prefix);
  const iface = requireIface(ns, dev);
  const local = formatIpv6(p.addr);
  const list = (iface.addrs6 ??= []);
  if (list.some((a) => a.local === local) || ipv6Addrs(state, iface).some((a) => a.local === local)) throw new NetError('RTNETLINK answers: File exists', 2, 'EEXIST');
  list.push(nodad ? { local, prefixlen: p.len, nodad: true } : { local, prefixlen: p.len });
}

/** `ip -6 addr del PREFIX dev DEV`. */
export function addr6Del(state: NetState, nsName: string, prefix: string, dev: string): void {
  const ns = getNetns(state, nsName);
  const p = parsePrefix6(prefix);
  const iface = requireIface(ns, dev);
  const local = formatIpv6(p.addr);
  const idx = (iface.addrs6 ?? []).findIndex((a) => a.local === local && (!prefix.includes('/') || a.prefixlen === p.len));
  if (idx < 0) throw new NetError('RTNETLINK answers: Cannot assign requested address', 2, 'EADDRNOTAVAIL');
  iface.addrs6!.splice(idx, 1);
}

/** The device holding a local IPv6 address (lo's `::1` while lo is up). */
export function localAddress6(state: NetState, ns: NetnsState, addr: Uint8Array): IfaceState | undefined {
  const text = formatIpv6(addr);
  return ns.ifaces.find((i) => (i.kind !== 'loopback' || i.up) && ipv6Addrs(state, i).some((a) => a.local === text));
}

/** One IPv6 route as shown and used. */
export interface Route6View {
  dst: string;
  dstLen: number;
  dev: string;
  ifindex: number;
  linkdown: boolean;
}

/** The IPv6 main table: a connected route per prefix and device (fe80::/64 on every device with a link-local), in fib6 order. */
export function routeTable6(state: NetState, ns: NetnsState): Route6View[] {
  const rows: Route6View[] = [];
  for (const iface of ns.ifaces) {
    if (!iface.up || iface.kind === 'loopback') continue;
    for (const a of ipv6Addrs(state, iface)) {
      if (a.prefixlen === 128) continue;
      const dst = formatIpv6(network6(parseIpv6(a.local)!, a.prefixlen));
      if (rows.some((r) => r.dst === dst && r.dstLen === a.prefixlen && r.ifindex === iface.ifindex)) continue;
      rows.push({ dst, dstLen: a.prefixlen, dev: iface.name, ifindex: iface.ifindex, linkdown: !hasCarrier(state, iface) });
    }
  }
  // The fib6 tree is walked in address order; a device's routes in the order they were added.
  const key = (r: Route6View): string => Array.from(parseIpv6(r.dst)!, (b) => b.toString(16).padStart(2, '0')).join('');
  return rows.map((r, i) => ({ r, i })).sort((x, y) => (key(x.r) < key(y.r) ? -1 : key(x.r) > key(y.r) ? 1 : y.r.dstLen - x.r.dstLen || x.i - y.i)).map((x) => x.r);
}

/** Longest-prefix lookup; a link-local destination needs its device (the `%dev` scope). */
export function routeLookup6(state: NetState, ns: NetnsState, dst: Uint8Array, dev?: string): Route6View | undefined {
  let best: Route6View | undefined;
  for (const r of routeTable6(state, ns)) {
    if (dev !== undefined && r.dev !== dev) continue;
    if (!inPrefix6(dst, parseIpv6(r.dst)!, r.dstLen)) continue;
    if (!best || r.dstLen > best.dstLen) best = r;
  }
  return best;
}

/** Source address selection (RFC 6724 rule 2, simplified): same scope as the destination on the outgoing device. */
export function sourceFor6(state: NetState, iface: IfaceState, dst: Uint8Array): Uint8Array | undefined {
  const addrs = ipv6Addrs(state, iface);
  const want = isLinkLocal6(dst) ? 'link' : 'global';
  const hit = addrs.find((a) => a.scope === want && inPrefix6(dst, parseIpv6(a.local)!, a.prefixlen)) ?? addrs.find((a) => a.scope === want) ?? addrs[0];
  return hit ? parseIpv6(hit.local) : undefined;
}
