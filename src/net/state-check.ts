/**
 * The shape check of the network's part of a state snapshot: every field a fresh network has must
 * keep its JSON type, so a damaged state file is refused (with the path of the bad field) instead
 * of crashing a command or being silently replaced by a fresh network.
 */
import { shapeMismatch, shapeOf, type Shape } from '../util/index';
import { createNetState } from './model';

let shape: Shape | undefined;

/** What is wrong with a snapshot's `net` part (null or absent is fine: a fresh network), or undefined. */
export function netStateProblem(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  shape ??= shapeOf(createNetState({ seed: 1, epochUs: 0 }));
  const top = Object.keys(createNetState({ seed: 1, epochUs: 0 }));
  const m = shapeMismatch(v, shape, 'net', top);
  if (m) return m;
  if ((v as { version: unknown }).version !== 1) return `net.version is ${JSON.stringify((v as { version: unknown }).version)}, expected 1`;
  return undefined;
}
