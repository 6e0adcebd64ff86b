/**
 * The emulated network as plain data: everything here serialises into the state snapshot
 * (`JSON.stringify`-safe: numbers, strings, arrays, plain objects; frames as hex).
 */

/** Linux neighbour (NUD) states, as `ip neigh` names them. */
export type NudState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE' | 'FAILED' | 'PERMANENT';

/** One IPv4 address on an interface. */
export interface AddrState {
  /** Dotted quad. */
  local: string;
  prefixlen: number;
  /** Broadcast address when one was given (`brd`), else absent (iproute2 adds none by default). */
  broadcast?: string;
}

/** One IPv6 address added by the user. */
export interface Addr6State {
  /** Compressed text form (`2001:db8::1`). */
  local: string;
  prefixlen: number;
  /** Added with `nodad` (iproute2 prints the flag). */
  nodad?: boolean;
}

/** The emulated upstream peer behind eth0: a router that answers ARP and ping for its address. */
export interface UpstreamState {
  mac: string;
  ip: string;
}

/** One network interface. */
export interface IfaceState {
  ifindex: number;
  name: string;
  kind: 'loopback' | 'veth' | 'ether';
  mac: string;
  mtu: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Has been up once: the qdisc is `noop` before, `noqueue` after (veth, lo). */
  everUp: boolean;
  /** The other end of a veth pair. */
  peer?: { ns: string; ifindex: number };
  addrs: AddrState[];
  /** IPv6 addresses added with `ip -6 addr add`, oldest first (the EUI-64 link-local is derived). */
  addrs6?: Addr6State[];
  upstream?: UpstreamState;
  /** Receive/transmit counters (`ip -s link`). */
  stats: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number };
}

/** A route added by the user (connected routes are derived from addresses). */
export interface RouteState {
  /** Destination network, dotted quad, and its prefix length (0 = default). */
  dst: string;
  dstLen: number;
  gateway?: string;
  dev: string;
  /** Kernel-derived routes carry proto kernel/scope link; user routes proto boot. */
  proto?: string;
  scope?: string;
  src?: string;
}

/** One neighbour (ARP) entry. */
export interface NeighState {
  ip: string;
  ifindex: number;
  lladdr?: string;
  state: NudState;
  /** Emulated time (µs) of the last confirmation / state change. */
  confirmed: number;
  updated: number;
  /** REACHABLE lifetime of this entry (ms), randomised in [base/2, 3·base/2) like Linux. */
  reachableMs: number;
  /** Probes sent in the current INCOMPLETE/PROBE cycle. */
  probes: number;
  /** Frames waiting for resolution (hex), with the sender's ping socket for errors. */
  queue: { frame: string; src: string; origin?: { ns: string; ident: number; seq: number } }[];
}

/** One network namespace (`''` is the root namespace, which has no name). */
export interface NetnsState {
  name: string;
  ifaces: IfaceState[];
  /** Next ifindex to hand out (Linux allocates cyclically per namespace). */
  nextIfindex: number;
  routes: RouteState[];
  neigh: NeighState[];
  /** The ids this namespace assigned to other namespaces (`ip netns list` shows `(id: N)`). */
  nsids: Record<string, number>;
  /** IPv4 identification counter. */
  ipId: number;
}

/** A timer waiting in emulated time (persisted so work in flight survives between commands). */
export type NetEvent =
  | { at: number; seq: number; kind: 'rx'; ns: string; ifindex: number; frame: string }
  | { at: number; seq: number; kind: 'neigh'; ns: string; ifindex: number; ip: string };

/** A new event, before the queue numbers it. */
export type NetEventInit = Omit<Extract<NetEvent, { kind: 'rx' }>, 'seq'> | Omit<Extract<NetEvent, { kind: 'neigh' }>, 'seq'>;

/** A capture session: frames crossing an interface are appended to a pcap file. */
export interface CaptureState {
  id: number;
  ns: string;
  ifindex: number;
  file: string;
  /** Stop after this many frames (0 = unlimited). */
  limit: number;
  count: number;
  /** The `xdpts capture` process that waits on it, if any. */
  pid?: number;
}

/** The whole emulated network. */
export interface NetState {
  version: 1;
  /** Seed of MACs and jitter: the same seed gives the same MACs, so tests are stable. */
  seed: number;
  /** PRNG state (xorshift32). */
  rng: number;
  /** Emulated monotonic clock in microseconds. */
  clockUs: number;
  /** Wall-clock epoch (µs) at clock 0, for ping timestamps and pcap times. */
  epochUs: number;
  macCounter: number;
  eventSeq: number;
  namespaces: NetnsState[];
  events: NetEvent[];
  captures: CaptureState[];
  nextCaptureId: number;
  /**
   * Ping sockets whose process let go of the state lock while it waits between probes: what
   * arrives for them meanwhile (another command ran the event) waits here until they read it.
   */
  pingSockets?: PingSocketState[];
}

/** A ping socket kept in the state (see {@link NetState.pingSockets}). */
export interface PingSocketState {
  ns: string;
  ident: number;
  /** The process that owns it (a socket of a dead process is dropped). */
  pid?: number;
  /** Deliveries not yet read, oldest first (the engine's PingDelivery values). */
  inbox: unknown[];
}

/** What an XDP program decided for one received frame. */
export interface XdpVerdict {
  action: 'pass' | 'drop' | 'tx' | 'redirect' | 'aborted';
  /** The frame after the program (it may have rewritten or resized it). */
  frame: Uint8Array;
  /** For `redirect`: the target interface (in the receiving interface's namespace). */
  redirect?: { ifindex: number };
}

/**
 * The XDP hook: every frame an interface RECEIVES goes through it before the stack sees it.
 * src/kernel implements it with the attached programs; the default passes everything.
 */
export interface XdpHook {
  runXdp(nsName: string, ifindex: number, frame: Uint8Array): XdpVerdict;
}

/** The hook with no programs attached: everything passes unchanged. */
export const PASS_ALL_HOOK: XdpHook = {
  runXdp(_ns: string, _ifindex: number, frame: Uint8Array): XdpVerdict {
    return { action: 'pass', frame };
  },
};

/** The root namespace's internal name. */
export const ROOT_NS = '';
