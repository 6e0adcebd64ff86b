/** `ip -6 route` as iproute2 6.1 prints the IPv6 main table (text and `-j`). */
import { routeTable6, type Route6View } from './addr6';
import { NetError } from './errors';
import { inPrefix6, parseIpv6 } from './packet6';
import type { NetState, NetnsState } from './types';

/**
 * The prefix selector of `ip -6 route show [to] [exact|root|match] PREFIX`: a bare or `exact`
 * prefix keeps the route with that very prefix, `root` the routes inside it, `match` those that contain it.
 */
export function route6Selector(words: string[]): (r: Route6View) => boolean {
  let mode: 'exact' | 'root' | 'match' = 'exact';
  let sel: { addr: Uint8Array; len: number } | undefined;
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    if (w === 'to') continue;
    if (sel !== undefined) throw new NetError(`Error: either "to" is duplicate, or "${w}" is a garbage.`, 255, 'EINVAL');
    if (w === 'root' || w === 'match' || w === 'exact') {
      mode = w;
      w = words[++i] ?? '';
    }
    const [a, l] = w === 'default' ? ['::', '0'] : w.split('/');
    const addr = parseIpv6(a ?? '');
    const len = l === undefined ? 128 : Number(l);
    if (!addr || !(len >= 0 && len <= 128)) throw new NetError(`Error: inet6 prefix is expected rather than "${w}".`, 1, 'EINVAL');
    sel = { addr, len };
  }
  if (!sel) return () => true;
  const { addr, len } = sel;
  return (r) => {
    const d = parseIpv6(r.dst)!;
    if (mode === 'exact') return r.dstLen === len && inPrefix6(d, addr, len);
    if (mode === 'root') return r.dstLen >= len && inPrefix6(d, addr, len);
    return len >= r.dstLen && inPrefix6(addr, d, r.dstLen);
  };
}

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
