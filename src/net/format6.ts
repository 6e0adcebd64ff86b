/** `ip -6 route` as iproute2 6.1 prints the IPv6 main table (text and `-j`). */
import { routeTable6, type Route6View } from './addr6';
import { NetError } from './errors';
import { inPrefix6, parseIpv6 } from './packet6';
import { prefixSelector, type PrefixFamily } from './route-select';
import type { NetState, NetnsState } from './types';

/**
 * The prefix selector of `ip -6 route show [to] [exact|root|match] PREFIX`: a bare or `exact`
 * prefix keeps the route with that very prefix, `root` the routes inside it, `match` those that contain it.
 */
export function route6Selector(words: string[]): (r: Route6View) => boolean {
  const keep = prefixSelector(words, IPV6_PREFIX);
  return (r) => keep({ dst: parseIpv6(r.dst)!, dstLen: r.dstLen });
}

const IPV6_PREFIX: PrefixFamily<Uint8Array> = {
  parse(w) {
    const [a, l] = w.split('/');
    const addr = parseIpv6(a ?? '');
    const len = l === undefined ? 128 : Number(l);
    return addr && len >= 0 && len <= 128 ? { addr, len } : undefined;
  },
  bad: (w) => new NetError(`Error: inet6 prefix is expected rather than "${w}".`, 1, 'EINVAL'),
  samePrefix: (a, b, len) => inPrefix6(a, b, len),
  zero: new Uint8Array(16),
};

function rows(state: NetState, ns: NetnsState, dev?: string, keep: (r: Route6View) => boolean = () => true): Route6View[] {
  return routeTable6(state, ns).filter((r) => (dev === undefined || r.dev === dev) && keep(r));
}

/** `ip -6 route show [dev DEV]` lines: connected routes carry `proto kernel metric 256 pref medium` (no trailing space). */
export function formatRoutes6(state: NetState, ns: NetnsState, dev?: string, keep?: (r: Route6View) => boolean): string[] {
  return rows(state, ns, dev, keep).map((r) => `${r.dst}/${r.dstLen}${dev === undefined ? ` dev ${r.dev}` : ''} proto kernel metric 256${r.linkdown ? ' linkdown' : ''} pref medium`);
}

/** `ip -j -6 route show` objects. */
export function routes6Json(state: NetState, ns: NetnsState, dev?: string, keep?: (r: Route6View) => boolean): Record<string, unknown>[] {
  return rows(state, ns, dev, keep).map((r) => {
    const o: Record<string, unknown> = { dst: `${r.dst}/${r.dstLen}` };
    if (dev === undefined) o['dev'] = r.dev;
    o['protocol'] = 'kernel';
    o['metric'] = 256;
    o['flags'] = r.linkdown ? ['linkdown'] : [];
    o['pref'] = 'medium';
    return o;
  });
}
