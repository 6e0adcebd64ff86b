/** `ip -6 route` as iproute2 6.1 prints the IPv6 main table (text and `-j`). */
import { routeTable6, type Route6View } from './addr6';
import type { NetState, NetnsState } from './types';

function rows(state: NetState, ns: NetnsState, dev?: string): Route6View[] {
  return routeTable6(state, ns).filter((r) => dev === undefined || r.dev === dev);
}

/** `ip -6 route show [dev DEV]` lines: connected routes carry `proto kernel metric 256 pref medium` (no trailing space). */
export function formatRoutes6(state: NetState, ns: NetnsState, dev?: string): string[] {
  return rows(state, ns, dev).map((r) => `${r.dst}/${r.dstLen}${dev === undefined ? ` dev ${r.dev}` : ''} proto kernel metric 256${r.linkdown ? ' linkdown' : ''} pref medium`);
}

/** `ip -j -6 route show` objects. */
export function routes6Json(state: NetState, ns: NetnsState, dev?: string): Record<string, unknown>[] {
  return rows(state, ns, dev).map((r) => {
    const o: Record<string, unknown> = { dst: `${r.dst}/${r.dstLen}` };
    if (dev === undefined) o['dev'] = r.dev;
    o['protocol'] = 'kernel';
    o['metric'] = 256;
    o['flags'] = r.linkdown ? ['linkdown'] : [];
    o['pref'] = 'medium';
    return o;
  });
}
