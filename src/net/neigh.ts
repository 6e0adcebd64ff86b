/**
 * The neighbour (ARP) table's timing, as Linux's neighbour subsystem (net/core/neighbour.c) with
 * the default ARP parameters: base_reachable_time 30 s (an entry stays REACHABLE a random time
 * in [15 s, 45 s)), delay_first_probe_time 5 s, retrans_time 1 s, mcast_probes 3 (broadcast
 * requests while INCOMPLETE), ucast_probes 3 (unicast requests while PROBE).
 */
import type { NeighState, NetnsState } from './types';

/** Linux ARP defaults, in milliseconds / counts. */
export const NEIGH_PARAMS = {
  baseReachableMs: 30_000,
  delayFirstProbeMs: 5_000,
  retransMs: 1_000,
  mcastProbes: 3,
  ucastProbes: 3,
} as const;

/** Entries with a usable link-layer address (NUD_VALID minus NOARP). */
export function isValid(n: NeighState): boolean {
  return n.state === 'REACHABLE' || n.state === 'STALE' || n.state === 'DELAY' || n.state === 'PROBE' || n.state === 'PERMANENT';
}

/**
 * Lazy REACHABLE → STALE aging: the kernel's timer does it at `confirmed + reachable_time`;
 * computing it on access gives the same observable state, with no timer to persist.
 */
export function ageNeigh(n: NeighState, nowUs: number): void {
  if (n.state === 'REACHABLE' && nowUs >= n.confirmed + n.reachableMs * 1000) {
    n.state = 'STALE';
    n.updated = n.confirmed + n.reachableMs * 1000;
  }
}

/** Ages every entry of a namespace to `nowUs`. */
export function ageAll(ns: NetnsState, nowUs: number): void {
  for (const n of ns.neigh) ageNeigh(n, nowUs);
}

/** Finds the entry for (ifindex, ip). */
export function findNeigh(ns: NetnsState, ifindex: number, ip: string): NeighState | undefined {
  return ns.neigh.find((n) => n.ifindex === ifindex && n.ip === ip);
}
