/**
 * `ip route get ADDR [from SRC] [oif|dev DEV]`: the route the kernel picks for a packet this host
 * sends (RTM_GETROUTE → ip_route_output_key), printed as iproute2 6.1 prints the answer on
 * Linux 6.18 (recorded in test/e2e/ip-route-get.test.ts):
 *
 *   local 10.7.0.1 dev lo src 10.7.0.1 uid 0 \n    cache <local>          (an own address, 127/8)
 *   broadcast 10.7.0.255 dev v1 src 10.7.0.1 uid 0 \n    cache <local,brd>  (a directed broadcast)
 *   8.8.8.8 via 10.7.0.2 dev v1 src 10.7.0.1 uid 0 \n    cache             (unicast)
 *   10.7.0.2 from 10.7.0.1 dev v1 uid 0 \n    cache                        (with `from`: no src)
 *
 * No route: "RTNETLINK answers: Network is unreachable" (status 2); a `from` that is not an
 * address of this host gets the same answer.
 */
import { broadcastOf, formatIpv4, parseIpv4, parsePrefix } from './addr';
import { NetError } from './errors';
import { isPrimary, localAddress } from './model';
import { routeLookup } from './routes';
import type { IfaceState, NetState, NetnsState } from './types';

/** What `ip route get` answers: its text lines, its `-j` object and a warning for stderr. */
export interface RouteGetAnswer {
  lines: string[];
  json: Record<string, unknown>;
  warning?: string;
}

const unreachable = (): NetError => new NetError('RTNETLINK answers: Network is unreachable', 2, 'ENETUNREACH');

/** The primary IPv4 address of a device (the kernel's inet_select_addr for a link-scope route). */
function primaryOf(iface: IfaceState): string | undefined {
  return iface.addrs.find((_a, i) => isPrimary(iface, i))?.local;
}

/** Answers `ip route get` for `to` (with an optional source address and output device). */
export function routeGet(state: NetState, ns: NetnsState, to: string, opts: { from?: string; dev?: string } = {}): RouteGetAnswer {
  const p = parsePrefix(to) ?? (parseIpv4(to) !== undefined ? { addr: parseIpv4(to)!, len: 32 } : undefined);
  if (!p) throw new NetError(`Error: any valid prefix is expected rather than "${to}".`, 1, 'EINVAL');
  const warning = p.len !== 32 && /\//.test(to) ? `Warning: /${p.len} as prefix is invalid, only /32 (or none) is supported.` : undefined;
  const dst = formatIpv4(p.addr);
  let from: number | undefined;
  if (opts.from !== undefined) {
    from = parseIpv4(opts.from);
    if (from === undefined) throw new NetError(`Error: any valid prefix is expected rather than "${opts.from}".`, 1, 'EINVAL');
    if (!localAddress(ns, from)) throw unreachable();
  }
  const srcWords = (): { text: string; json: Record<string, unknown> } =>
    opts.from !== undefined ? { text: ` from ${opts.from}`, json: { from: opts.from } } : { text: '', json: {} };
  const tail = (src: string | undefined): { text: string; json: Record<string, unknown> } =>
    opts.from === undefined && src !== undefined ? { text: ` src ${src}`, json: { prefsrc: src } } : { text: '', json: {} };
  const local = localAddress(ns, p.addr);
  if (local) {
    // An own address goes out on lo; 127/8 takes lo's own address as source.
    const src = local.kind === 'loopback' ? primaryOf(local) ?? dst : dst;
    const f = srcWords();
    const t = tail(src);
    return {
      lines: [`local ${dst}${f.text} dev lo${t.text} uid 0 `, '    cache <local> '],
      json: { type: 'local', dst, ...f.json, dev: 'lo', ...t.json, flags: [], uid: 0, cache: ['local'] },
      ...(warning ? { warning } : {}),
    };
  }
  const r = routeLookup(state, ns, p.addr, opts.dev);
  if (!r) throw unreachable();
  const dev = ns.ifaces.find((i) => i.name === r.dev)!;
  const src = r.prefsrc ?? primaryOf(dev);
  const f = srcWords();
  const t = tail(src);
  // The directed broadcast of an address on the device (its `brd`) is delivered locally too.
  const brd = dev.addrs.some((a) => (a.broadcast !== undefined ? parseIpv4(a.broadcast) : broadcastOf(parseIpv4(a.local)!, a.prefixlen)) === p.addr && a.prefixlen < 31);
  const via = r.gateway !== undefined ? { text: ` via ${r.gateway}`, json: { gateway: r.gateway } } : { text: '', json: {} };
  if (brd) {
    return {
      lines: [`broadcast ${dst}${f.text} dev ${r.dev}${t.text} uid 0 `, '    cache <local,brd> '],
      json: { type: 'broadcast', dst, ...f.json, dev: r.dev, ...t.json, flags: [], uid: 0, cache: ['local', 'brd'] },
      ...(warning ? { warning } : {}),
    };
  }
  return {
    lines: [`${dst}${f.text}${via.text} dev ${r.dev}${t.text} uid 0 `, '    cache '],
    json: { dst, ...f.json, ...via.json, dev: r.dev, ...t.json, flags: [], uid: 0, cache: [] },
    ...(warning ? { warning } : {}),
  };
}
