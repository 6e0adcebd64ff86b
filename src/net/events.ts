/** What the delivery engine reports to observers and ping sockets, and the options it takes. */
import type { XdpHook, XdpVerdict } from './types';

/** A frame crossing an interface, reported to observers (captures, traces). */
export interface FrameEvent {
  ns: string;
  ifindex: number;
  direction: 'rx' | 'tx';
  frame: Uint8Array;
  timeUs: number;
}

/** An XDP verdict, reported to observers (inject's summary, tests). */
export interface VerdictEvent {
  ns: string;
  ifindex: number;
  action: XdpVerdict['action'];
  timeUs: number;
}

/** A message for a ping socket: an echo reply or an ICMP error about one of its probes. */
export type PingDelivery =
  | { kind: 'reply'; from: string; seq: number; ttl: number; bytes: number; timeUs: number }
  | { kind: 'error'; from: string; seq: number; type: number; code: number; timeUs: number };

/** Options of a Network over a state. */
export interface NetworkOptions {
  hook?: XdpHook;
  /** Called for every frame that crosses an interface (tx always; rx after the hook passed it). */
  onFrame?: (e: FrameEvent) => void;
  /** Called for every XDP verdict. */
  onVerdict?: (e: VerdictEvent) => void;
}

/** The result of handing an IP packet (IPv4 or IPv6) to the output path. */
export type OutputResult = 'sent' | 'queued' | 'ENETUNREACH' | 'dropped';
