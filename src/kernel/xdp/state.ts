/**
 * The XDP side of the emulated kernel as plain data (saved in the state snapshot beside the
 * kernel core): which program each device runs in which mode, libxdp's dispatchers and their
 * components, the emulated bpffs pins, BTF object ids and the per-device XDP counters.
 */
import type { DispatcherComponent } from './dispatcher';

/** Kernel attach modes: generic (skb), driver (native), offload (hw). */
export type XdpMode = 'skb' | 'native' | 'hw';

/** A device as the attachment remembers it (to notice deletion or an ifindex reused by another device). */
export interface DeviceRef {
  ns: string;
  ifindex: number;
  name: string;
  mac: string;
}

/** One program attached to one device in one mode (`dev->xdp_state[mode]`). */
export interface XdpAttachment {
  dev: DeviceRef;
  mode: XdpMode;
  /** The program the kernel runs: a dispatcher or a program attached directly ("legacy"). */
  progId: number;
  /** Set when `progId` is a libxdp dispatcher: its components in execution order. */
  dispatcher?: { components: DispatcherComponent[] };
  /** Counters of what happened on this device (xdp tracepoint events). */
  stats: { runs: number; exceptions: number; redirects: number; redirectErrors: number };
}

/** One bpffs pin. */
export interface PinEntry {
  kind: 'prog' | 'map' | 'link';
  id: number;
}

/** The XDP state of the kernel. */
export interface XdpState {
  version: 1;
  attachments: XdpAttachment[];
  /** bpffs: absolute path → object. Directories are implied by the paths (and `dirs`). */
  pins: Record<string, PinEntry>;
  /** Directories made with mkdir semantics (xdp-loader's pin path, dispatcher dirs). */
  dirs: string[];
  /** Programs loaded as freplace components (bpftool shows type `ext`). */
  extProgs: number[];
  /** BTF object ids: per program id and per map id, and the next id to hand out. */
  progBtf: Record<string, number>;
  mapBtf: Record<string, number>;
  /** Layouts of map keys/values from BTF, for bpftool's formatted dumps (per map id). */
  mapLayouts: Record<string, { key: unknown; value: unknown }>;
  nextBtfId: number;
}

/** A fresh XDP state. */
export function emptyXdpState(): XdpState {
  return { version: 1, attachments: [], pins: {}, dirs: [], extProgs: [], progBtf: {}, mapBtf: {}, mapLayouts: {}, nextBtfId: 1 };
}

/** True when `x` looks like an XdpState (a snapshot written by this version). */
export function isXdpState(x: unknown): x is XdpState {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  return o['version'] === 1 && Array.isArray(o['attachments']) && typeof o['pins'] === 'object' && Array.isArray(o['extProgs']);
}
