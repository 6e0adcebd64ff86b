/**
 * What `ping` does differently over IPv6 (iputils ping6_common.c): the target with its optional
 * `%dev` scope, the connect-time checks, the `PING host(addr) [from SRC DEV: ]N data bytes`
 * header, link-local peers printed with their scope, ICMPv6 echo requests checksummed over the
 * pseudo-header, and the ICMPv6 error texts.
 */
import { localAddress6, routeLookup6, sourceFor6 } from './addr6';
import { NetError } from './errors';
import type { Network, OutputResult } from './engine';
import { findIface } from './model';
import { buildIcmp6, formatIpv6, ICMPV6_ECHO_REQUEST, isLinkLocal6, parseIpv6 } from './packet6';
import { output6 } from './stack6';
import type { NetState, NetnsState } from './types';

/** A connected IPv6 ping target. */
export interface Ping6Target {
  /** The address as the header prints it (`fe80::1%veth0` when a scope was given). */
  address: string;
  /** The `from SRC DEV: ` part of the header (with -I), else empty. */
  from: string;
  /** How a reply's source is printed (link-local sources carry the device). */
  who: (from: string) => string;
  /** Sends echo request `seq` of socket `ident`. */
  send: (net: Network, ns: NetnsState, ident: number, seq: number, payload: Uint8Array) => OutputResult;
}

/** Resolves and "connects" an IPv6 target as ping does, or throws ping's message (exit 2). */
export function connect6(state: NetState, ns: NetnsState, target: string, bind?: string): Ping6Target {
  const [text, scope, extra] = target.split('%');
  const dst = extra === undefined && text !== undefined ? parseIpv6(text) : undefined;
  if (!dst || (scope !== undefined && !findIface(ns, scope))) throw new NetError(`ping: ${target}: Name or service not known`, 2, 'EAI_NONAME');
  let bindDev: string | undefined;
  let src: Uint8Array | undefined;
  if (bind !== undefined) {
    if (findIface(ns, bind)) bindDev = bind;
    else if (parseIpv6(bind)) {
      src = parseIpv6(bind)!;
      if (!localAddress6(state, ns, src)) throw new NetError('ping: bind icmp socket: Cannot assign requested address', 2, 'EADDRNOTAVAIL');
    } else throw new NetError(`ping: SO_BINDTODEVICE ${bind}: No such device`, 2, 'ENODEV');
  }
  const scopeDev = isLinkLocal6(dst) ? (scope ?? bindDev) : bindDev;
  const local = localAddress6(state, ns, dst);
  const route = local ? undefined : routeLookup6(state, ns, dst, scopeDev);
  if (!local && !route) throw new NetError('ping: connect: Network is unreachable', 2, 'ENETUNREACH');
  const dev = scopeDev ?? route?.dev;
  const address = scope !== undefined ? `${formatIpv6(dst)}%${scope}` : formatIpv6(dst);
  let from = '';
  if (bindDev !== undefined || src !== undefined) {
    const chosen = src ?? (local ? dst : undefined);
    const iface = dev !== undefined ? findIface(ns, dev) : undefined;
    const auto = iface ? sourceFor6(state, iface, dst) : undefined;
    const shown = formatIpv6(chosen ?? auto ?? new Uint8Array(16));
    from = `from ${shown} ${bindDev ?? ''}: `;
  }
  return {
    address,
    from,
    who: (f) => (isLinkLocal6(parseIpv6(f) ?? new Uint8Array(16)) && dev !== undefined ? `${f}%${dev}` : f),
    send: (net, nsNow, ident, seq, payload) =>
      output6(net, nsNow, {
        dst,
        ...(src ? { src, payload: buildIcmp6(src, dst, ICMPV6_ECHO_REQUEST, 0, ((ident << 16) | seq) >>> 0, payload) } : {}),
        make: (s) => buildIcmp6(s, dst, ICMPV6_ECHO_REQUEST, 0, ((ident << 16) | seq) >>> 0, payload),
        ...(dev !== undefined && !local ? { dev } : {}),
        origin: { ident, seq },
      }),
  };
}

/** iputils' text for an ICMPv6 error (pr_icmph). */
export function icmp6ErrorText(type: number, code: number): string {
  if (type === 1) {
    const why = ['No route', 'Administratively prohibited', 'Beyond scope of source address', 'Address unreachable', 'Port unreachable'][code];
    return `Destination unreachable: ${why ?? `Unknown code ${code}`}`;
  }
  if (type === 3) return `Time exceeded: ${code === 0 ? 'Hop limit' : code === 1 ? 'Defragmentation failure' : `code ${code}`}`;
  return `Unknown icmp type: ${type}`;
}
