/**
 * The shape check of the kernel's part of a state snapshot — `{core, xdp}` (the Kernel's own
 * snapshot beside the XDP side), or a bare core — against freshly made ones, so that a damaged
 * state file is refused with the path of the first bad field instead of crashing a command or
 * being replaced by a fresh kernel (which would silently drop its programs, maps and attachments).
 */
import { shapeMismatch, shapeOf, type Shape } from '../util/index';
import { Kernel } from './kernel';
import { emptyXdpState } from './xdp/index';

let shapes: { core: Shape; coreKeys: string[]; xdp: Shape; xdpKeys: string[] } | undefined;

function templates(): NonNullable<typeof shapes> {
  if (shapes) return shapes;
  const made = [new Kernel({ clock: 'real' }), new Kernel({ clock: 'virtual' }), new Kernel({ seed: 1 })].map((k) => k.toSnapshot());
  // Required: the fields every kind of fresh kernel saves.
  const coreKeys = Object.keys(made[0]!).filter((key) => made.every((m) => key in m));
  const xdp = emptyXdpState();
  return (shapes = { core: shapeOf(...made), coreKeys, xdp: shapeOf(xdp), xdpKeys: Object.keys(xdp) });
}

/** What is wrong with a snapshot's `kernel` part (null or absent is fine: a fresh kernel), or undefined. */
export function kernelStateProblem(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return `kernel is ${Array.isArray(v) ? 'an array' : `a ${typeof v}`}, expected an object`;
  const t = templates();
  const o = v as Record<string, unknown>;
  // A bare kernel snapshot (saved with no XDP side yet) is the core alone.
  if ('maps' in o || 'programs' in o) return shapeMismatch(o, t.core, 'kernel', t.coreKeys);
  if (o['core'] !== undefined) {
    const m = shapeMismatch(o['core'], t.core, 'kernel.core', t.coreKeys);
    if (m) return m;
  }
  if (o['xdp'] !== undefined) {
    const m = shapeMismatch(o['xdp'], t.xdp, 'kernel.xdp', t.xdpKeys);
    if (m) return m;
  }
  for (const key of Object.keys(o)) if (key !== 'core' && key !== 'xdp') return `kernel.${key} is not a part this xdpts knows`;
  return undefined;
}
