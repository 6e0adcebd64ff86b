/**
 * The IPv4 main routing table: connected routes derived from addresses on up devices
 * (fib_add_ifaddr), static routes from `ip route add`, the `ip route show` order, and
 * longest-prefix lookup.
 */
import { formatIpv4, inPrefix, networkOf, parseIpv4, parsePrefix } from './addr';
import { NetError } from './errors';
import { findIface, getNetns, hasCarrier, isPrimary, requireIface } from './model';
import type { NetState, NetnsState } from './types';

/** `ip route add PREFIX [via GW] [dev DEV] [src ADDR]`. */
export function routeAdd(state: NetState, nsName: string, dst: string, opts: { via?: string; dev?: string; src?: string }): void {
  const ns = getNetns(state, nsName);
  let d: { addr: number; len: number };
  if (dst === 'default') d = { addr: 0, len: 0 };
  else {
    const p = parsePrefix(dst);
    if (!p) throw new NetError(`Error: any valid prefix is expected rather than "${dst}".`, 1, 'EINVAL');
    d = p;
  }
  if (networkOf(d.addr, d.len) !== d.addr) throw new NetError('Error: Invalid prefix for given prefix length.', 2, 'EINVAL');
  let gw: number | undefined;
  if (opts.via !== undefined) {
    gw = parseIpv4(opts.via);
    if (gw === undefined) throw new NetError(`Error: inet address is expected rather than "${opts.via}".`, 1, 'EINVAL');
  }
  let devName = opts.dev;
  if (devName !== undefined) {
    const iface = requireIface(ns, devName);
    if (!iface.up) throw new NetError('Error: Nexthop device is not up.', 2, 'ENETDOWN');
  }
  if (gw !== undefined) {
    // The gateway must be reachable through a connected route (fib_check_nh).
    const conn = connectedRoutes(state, ns).find((r) => inPrefix(gw!, parseIpv4(r.dst)!, r.dstLen) && (devName === undefined || r.dev === devName));
    if (!conn) throw new NetError('Error: Nexthop has invalid gateway.', 2, 'ENETUNREACH');
    devName ??= conn.dev;
  }
  if (devName === undefined) throw new NetError('Error: Device for nexthop is not up.', 2, 'ENODEV');
  const dstText = formatIpv4(d.addr);
  if (ns.routes.some((r) => r.dst === dstText && r.dstLen === d.len) || connectedRoutes(state, ns).some((r) => r.dst === dstText && r.dstLen === d.len && opts.via === undefined && r.dev === devName)) {
    throw new NetError('RTNETLINK answers: File exists', 2, 'EEXIST');
  }
  const route: NetnsState['routes'][number] = { dst: dstText, dstLen: d.len, dev: devName };
  if (gw !== undefined) route.gateway = formatIpv4(gw);
  if (opts.src !== undefined) route.src = opts.src;
  if (gw === undefined) route.scope = 'link';
  ns.routes.push(route);
}

/** `ip route del PREFIX`. */
export function routeDel(state: NetState, nsName: string, dst: string, opts: { via?: string; dev?: string }): void {
  const ns = getNetns(state, nsName);
  const p = dst === 'default' ? { addr: 0, len: 0 } : parsePrefix(dst);
  if (!p) throw new NetError(`Error: any valid prefix is expected rather than "${dst}".`, 1, 'EINVAL');
  const dstText = formatIpv4(p.addr);
  const idx = ns.routes.findIndex(
    (r) => r.dst === dstText && r.dstLen === p.len && (opts.dev === undefined || r.dev === opts.dev) && (opts.via === undefined || r.gateway === opts.via),
  );
  if (idx < 0) throw new NetError('RTNETLINK answers: No such process', 2, 'ESRCH');
  ns.routes.splice(idx, 1);
}

/** A route as shown and used: connected (derived) or static. */
export interface RouteView {
  dst: string;
  dstLen: number;
  gateway?: string;
  dev: string;
  ifindex: number;
  proto?: string;
  scope?: string;
  prefsrc?: string;
  linkdown: boolean;
}

/** The connected routes: one per primary address on an up device (fib_add_ifaddr), `linkdown` without carrier. */
export function connectedRoutes(state: NetState, ns: NetnsState): RouteView[] {
  const out: RouteView[] = [];
  for (const iface of ns.ifaces) {
    if (!iface.up || iface.kind === 'loopback') continue;
    iface.addrs.forEach((a, i) => {
      if (!isPrimary(iface, i)) return;
      const net = networkOf(parseIpv4(a.local)!, a.prefixlen);
      out.push({
        dst: formatIpv4(net),
        dstLen: a.prefixlen,
        dev: iface.name,
        ifindex: iface.ifindex,
        proto: 'kernel',
        scope: a.prefixlen === 32 ? 'host' : 'link',
        prefsrc: a.local,
        linkdown: !hasCarrier(state, iface),
      });
    });
  }
  // A /32 address makes no connected route on Linux (the local table covers it).
  return out.filter((r) => r.dstLen < 32);
}

/** The main routing table of a namespace, in `ip route show` order. */
export function routeTable(state: NetState, ns: NetnsState): RouteView[] {
  const rows: RouteView[] = connectedRoutes(state, ns);
  for (const r of ns.routes) {
    const iface = findIface(ns, r.dev);
    if (!iface || !iface.up) continue;
    const v: RouteView = { dst: r.dst, dstLen: r.dstLen, dev: r.dev, ifindex: iface.ifindex, linkdown: !hasCarrier(state, iface) };
    if (r.gateway !== undefined) v.gateway = r.gateway;
    if (r.proto !== undefined) v.proto = r.proto;
    if (r.scope !== undefined) v.scope = r.scope;
    if (r.src !== undefined) v.prefsrc = r.src;
    rows.push(v);
  }
  // The fib trie is walked in key order; equal keys list the longer prefix first.
  return rows.sort((a, b) => parseIpv4(a.dst)! - parseIpv4(b.dst)! || b.dstLen - a.dstLen);
}

/** Longest-prefix lookup in the main table (optionally bound to one device, as SO_BINDTODEVICE does). */
export function routeLookup(state: NetState, ns: NetnsState, dst: number, dev?: string): RouteView | undefined {
  let best: RouteView | undefined;
  for (const r of routeTable(state, ns)) {
    if (dev !== undefined && r.dev !== dev) continue;
    if (!inPrefix(dst, parseIpv4(r.dst)!, r.dstLen)) continue;
    if (!best || r.dstLen > best.dstLen) best = r;
  }
  return best;
}

