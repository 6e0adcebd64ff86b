/**
 * Wiring of the emulated kernel into every state session: the snapshot's `kernel` part is
 * `{core, xdp}` — the Kernel's own snapshot and the XDP side (attachments, dispatchers, bpffs
 * pins, BTF ids). For each command it hydrates a Kernel and an XdpManager over the network's
 * devices, plugs the XDP hook into the network and gives `ip link` its view of attachments, and
 * saves both parts back before the snapshot is written. `withSystem` is the session the loader
 * and bpftool commands (load, unload, status, features, prog, map) run in.
 */
import type { Command } from 'commander';
import { seedFromEnv } from '../../util/index';
import {
  emptyXdpState,
  ipLinkSetXdp,
  isXdpState,
  Kernel,
  XdpHookRunner,
  XdpManager,
  type KernelSnapshot,
  type XdpDevice,
  type XdpState,
  type XdpTopology,
} from '../../kernel/index';
import { getNetns, ifaceByIndex, isNetState, ROOT_NS, type IfaceState, type NetState, type NetnsState } from '../../net/index';
import { damagedState, StateStore, type StateSnapshot } from '../../state/index';

const damaged = (e: unknown): Error => damagedState(new StateStore().file, e);
import { setKernelAttachment, withNet, type NetSession } from './ip';

/** The kernel part of the state snapshot. */
interface KernelPart {
  core: KernelSnapshot;
  xdp: XdpState;
}

/** The kernel and its XDP side for one command. */
export interface System {
  kernel: Kernel;
  xdp: XdpManager;
}

function device(net: NetState, ns: NetnsState, i: IfaceState): XdpDevice {
  void net;
  return {
    ns: ns.name,
    ifindex: i.ifindex,
    name: i.name,
    mac: i.mac,
    kind: i.kind,
    up: i.up,
    ...(i.peer ? { peer: { ns: i.peer.ns, ifindex: i.peer.ifindex } } : {}),
  };
}

/** The network's devices as the kernel's XDP code sees them. */
export function topologyOf(net: NetState): XdpTopology {
  const nsOf = (name: string): NetnsState | undefined => net.namespaces.find((n) => n.name === name);
  return {
    device(ns, ifindex) {
      const n = nsOf(ns);
      const i = n && ifaceByIndex(n, ifindex);
      return n && i ? device(net, n, i) : undefined;
    },
    byName(ns, name) {
      const n = nsOf(ns);
      const i = n?.ifaces.find((x) => x.name === name);
      return n && i ? device(net, n, i) : undefined;
    },
    list(ns) {
      const n = nsOf(ns);
      return n ? [...n.ifaces].sort((a, b) => a.ifindex - b.ifindex).map((i) => device(net, n, i)) : [];
    },
    byMac(mac) {
      for (const n of net.namespaces) for (const i of n.ifaces) if (i.mac === mac) return device(net, n, i);
      return undefined;
    },
  };
}

const systems = new WeakMap<StateSnapshot, System>();

/** The kernel part's halves: `{core, xdp}`, or a bare core saved with no XDP side yet (either may be absent). */
function partsOf(k: unknown): { core: KernelSnapshot | undefined; xdp: XdpState | undefined } {
  if (typeof k !== 'object' || k === null) return { core: undefined, xdp: undefined };
  if ('maps' in k) return { core: k as KernelSnapshot, xdp: undefined };
  const p = k as Partial<KernelPart>;
  return { core: p.core, xdp: isXdpState(p.xdp) ? p.xdp : undefined };
}

/**
 * The kernel of a snapshot (hydrated once per snapshot object). The store has checked the parts'
 * shapes; a part that still cannot be rebuilt is reported as a damaged state (nothing is written),
 * never replaced by a fresh kernel, which would drop its programs, maps and attachments.
 */
export function systemOf(snapshot: StateSnapshot): System {
  const known = systems.get(snapshot);
  if (known) return known;
  const net = snapshot.net as NetState;
  const { core, xdp: xdpState } = partsOf(snapshot.kernel);
  const ifindexExists = (ifindex: number): boolean => ifaceByIndex(getNetns(net, ROOT_NS), ifindex) !== undefined;
  const s = seedFromEnv();
  let sys: System;
  try {
    const kernel = core ? Kernel.fromSnapshot(core, { ifindexExists }) : new Kernel({ ifindexExists, ...(s !== undefined ? { seed: s } : {}) });
    const xdp = new XdpManager(kernel, xdpState ?? emptyXdpState(), topologyOf(net));
    xdp.reconcile();
    sys = { kernel, xdp };
  } catch (e) {
    throw damaged(e);
  }
  systems.set(snapshot, sys);
  return sys;
}

/** Writes the kernel part back into the snapshot. */
export function saveSystem(snapshot: StateSnapshot, sys: System): void {
  sys.xdp.reconcile();
  const part: KernelPart = { core: sys.kernel.toSnapshot(), xdp: sys.xdp.state };
  snapshot.kernel = part;
}

/** A network session with the kernel. */
export interface SystemSession extends NetSession {
  sys: System;
}

/** Runs `fn` with the network and the kernel loaded from the state (under the state lock), then saves both. */
export function withSystem<T>(fn: (s: SystemSession) => T | Promise<T>, options: { readonly?: boolean } = {}): Promise<T> {
  return withNet((s) => fn({ ...s, sys: systemOf(s.snapshot) }), options);
}

/** Connects the kernel to every network session (called once when the CLI registers its commands). */
export function register(_program: Command, _setExit: (code: number) => void): void {
  setKernelAttachment((snapshot) => {
    if (!isNetState(snapshot.net)) return {};
    const sys = systemOf(snapshot);
    const hook = new XdpHookRunner(sys.xdp, { comm: 'xdpts', pid: process.pid });
    return {
      hook,
      xdpInfo: (ns, ifindex) => sys.xdp.linkInfo(ns, ifindex),
      save: () => saveSystem(snapshot, sys),
      linkSetXdp: (r) => ipLinkSetXdp(sys.xdp, r),
    };
  });
}
