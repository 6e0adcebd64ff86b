/**
 * `ip route` (show with iproute2's prefix selector, add, del) and `ip neigh` (show, add, replace,
 * del, flush) over the emulated network, for both families.
 */
import {
  formatNeigh,
  formatRoutes,
  formatRoutes6,
  neighAdd,
  neighDel,
  neighFlush,
  neighJson,
  NetError,
  requireIface,
  route6Selector,
  routeSelector,
  routeAdd,
  routeDel,
  routes6Json,
  routesJson,
  routeGet,
} from '../../net/index';
import { err } from '../output';
import { devArg, garbage, matches, need, showIn, type IpGlobals } from './ip-common';
import { withNet } from './net-session';

/** `ip route ...` in `g.ns`. */
export async function ipRoute(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'show';
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    const { dev, rest } = devArg(args);
    const keep6 = g.family === 'inet6' ? route6Selector(rest) : undefined;
    const keep = keep6 ? () => true : routeSelector(rest);
    return showIn(g, (s, ns) => {
      if (dev !== undefined) requireIface(ns, dev);
      if (keep6) return { json: () => routes6Json(s.state, ns, dev, keep6), lines: () => formatRoutes6(s.state, ns, dev, keep6) };
      return { json: () => routesJson(s.state, ns, dev, keep), lines: () => formatRoutes(s.state, ns, dev, keep) };
    });
  }
  if (matches(cmd, 'add') || matches(cmd, 'delete')) {
    let dst: string | undefined;
    const o: { via?: string; dev?: string; src?: string } = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'via') o.via = need(args, ++i, 'via');
      else if (a === 'dev') o.dev = need(args, ++i, 'dev');
      else if (a === 'src') o.src = need(args, ++i, 'src');
      else if (a === 'to') dst = need(args, ++i, 'to');
      else if (dst === undefined) dst = a;
      else throw garbage(a);
    }
    if (dst === undefined) throw new NetError('Command line is not complete. Try option "help"', 255, 'EINVAL');
    const isAdd = matches(cmd, 'add');
    await withNet((s) => (isAdd ? routeAdd(s.state, g.ns, dst!, o) : routeDel(s.state, g.ns, dst!, o)));
    return 0;
  }
  if (matches(cmd, 'get')) {
    // ip route get [to] ADDR [from SRC] [oif|dev DEV]
    let to: string | undefined;
    const o: { from?: string; dev?: string } = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'from') o.from = need(args, ++i, 'from');
      else if (a === 'oif' || a === 'dev') o.dev = need(args, ++i, 'dev');
      else if (a === 'to') to = need(args, ++i, 'to');
      else if (to === undefined) to = a;
      else throw garbage(a);
    }
    if (to === undefined) throw new NetError('need at least a destination address', 1, 'EINVAL');
    return showIn(g, (s, ns) => {
      if (o.dev !== undefined) requireIface(ns, o.dev);
      const r = routeGet(s.state, ns, to!, o);
      if (r.warning) err(r.warning);
      return { json: () => [r.json], lines: () => r.lines };
    });
  }
  err(`Command "${cmd}" is unknown, try "ip route help".`);
  return 255;
}

/** `ip neigh ...` in `g.ns`. */
export async function ipNeigh(args: string[], g: IpGlobals): Promise<number> {
  const cmd = args.shift() ?? 'show';
  if (matches(cmd, 'show') || matches(cmd, 'list')) {
    const { dev } = devArg(args);
    return showIn(g, (s, ns) => {
      const ifindex = dev !== undefined ? requireIface(ns, dev).ifindex : undefined;
      return { json: () => neighJson(s.state, ns, ifindex, g.family), lines: () => formatNeigh(s.state, ns, ifindex, g.family) };
    });
  }
  if (matches(cmd, 'add') || matches(cmd, 'replace') || matches(cmd, 'delete')) {
    let ip: string | undefined;
    const o: { dev?: string; lladdr?: string; nud?: string } = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === 'dev') o.dev = need(args, ++i, 'dev');
      else if (a === 'lladdr') o.lladdr = need(args, ++i, 'lladdr');
      else if (a === 'nud') o.nud = need(args, ++i, 'nud');
      else if (a === 'to') ip = need(args, ++i, 'to');
      else if (ip === undefined) ip = a;
      else throw garbage(a);
    }
    if (o.dev === undefined || ip === undefined) throw new NetError('Device and destination are required arguments.', 255, 'EINVAL');
    const dev = o.dev;
    if (matches(cmd, 'delete')) await withNet((s) => neighDel(s.state, g.ns, ip!, dev));
    else await withNet((s) => neighAdd(s.state, g.ns, ip!, { ...o, dev, replace: matches(cmd, 'replace') }));
    return 0;
  }
  if (matches(cmd, 'flush')) {
    const { dev, rest } = devArg(args);
    if (dev === undefined && rest[0] !== 'all') throw new NetError('Flush requires arguments.', 1, 'EINVAL');
    await withNet((s) => void neighFlush(s.state, g.ns, dev));
    return 0;
  }
  err(`Command "${cmd}" is unknown, try "ip neigh help".`);
  return 255;
}
