/**
 * Where the kernel keeps its part of the state snapshot: the core (maps, programs: src/kernel's
 * KernelSnapshot) and the XDP side (attachments, dispatchers, bpffs pins: src/kernel/xdp's
 * XdpState), saved side by side as `{ core, xdp }` — the same layout the CLI reads and writes.
 */
import type { KernelSnapshot } from '../kernel';
import { emptyXdpState, isXdpState, type XdpState } from '../kernel';
import { StateError, type StateSnapshot } from '../state';

/** The kernel part of a snapshot, split. */
export interface KernelPart {
  readonly core: KernelSnapshot | undefined;
  readonly xdp: XdpState | undefined;
}

/** Reads the kernel part (either half may be absent in a fresh state). */
export function readKernelPart(snapshot: StateSnapshot): KernelPart {
  const k = snapshot.kernel as { core?: unknown; xdp?: unknown; version?: unknown; maps?: unknown } | null | undefined;
  if (k === null || k === undefined) return { core: undefined, xdp: undefined };
  if (typeof k !== 'object') throw corrupt();
  // A bare KernelSnapshot (a kernel saved with no XDP side yet) is the core alone.
  if (typeof k.version === 'number' && Array.isArray(k.maps)) return { core: k as unknown as KernelSnapshot, xdp: undefined };
  if (k.core !== undefined && (typeof k.core !== 'object' || k.core === null)) throw corrupt();
  if (k.xdp !== undefined && !isXdpState(k.xdp)) throw corrupt();
  return { core: k.core as KernelSnapshot | undefined, xdp: k.xdp as XdpState | undefined };
}

/** Refusing a kernel part this version does not understand, rather than overwriting it. */
function corrupt(): StateError {
  return new StateError('the kernel part of the state has an unknown layout; run `xdpts reset` to start from a fresh state', 'state.json', 'ECORRUPT');
}

/** Writes both halves back. */
export function writeKernelPart(snapshot: StateSnapshot, core: KernelSnapshot, xdp: XdpState | undefined): void {
  // Both halves always: the CLI reads a kernel part only when it has both.
  snapshot.kernel = { core, xdp: xdp ?? emptyXdpState() };
}
