/**
 * The network as the kernel's XDP code sees it (src/kernel/xdp/topology.ts): the kernel may not
 * import src/net, so the composing layer describes the devices of a NetState to it.
 */
import type { XdpDevice, XdpTopology } from '../kernel';
import type { IfaceState, NetState } from '../net';

function device(ns: string, i: IfaceState): XdpDevice {
  return { ns, ifindex: i.ifindex, name: i.name, mac: i.mac, kind: i.kind, up: i.up, ...(i.peer ? { peer: { ...i.peer } } : {}) };
}

/** The XdpTopology over a network state (live: it reads the state at each call). */
export function netTopology(state: NetState): XdpTopology {
  const nsOf = (name: string) => state.namespaces.find((n) => n.name === name);
  return {
    device(ns, ifindex) {
      const i = nsOf(ns)?.ifaces.find((x) => x.ifindex === ifindex);
      return i ? device(ns, i) : undefined;
    },
    byName(ns, name) {
      const i = nsOf(ns)?.ifaces.find((x) => x.name === name);
      return i ? device(ns, i) : undefined;
    },
    list(ns) {
      return (nsOf(ns)?.ifaces ?? []).map((i) => device(ns, i)).sort((a, b) => a.ifindex - b.ifindex);
    },
    byMac(mac) {
      for (const n of state.namespaces) {
        const i = n.ifaces.find((x) => x.mac === mac && x.kind !== 'loopback');
        if (i) return device(n.name, i);
      }
      return undefined;
    },
  };
}
