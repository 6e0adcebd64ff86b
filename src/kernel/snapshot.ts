/**
 * The emulated kernel as plain data, so the state store can keep it between CLI commands:
 * options, id counters, clock, prandom state, unread trace text, every map (its own snapshot)
 * and every program as its as-loaded instructions (hex, little-endian) plus metadata. Programs
 * are recompiled on restore; they are not verified again (the kernel does not either: a loaded
 * program stays loaded).
 */
import { decode, encode } from '../isa';
import { XdptsError } from '../util/errors';
import { fromHex, toHex } from '../util/hex';
import type { Engine } from '../vm/types';
import { Prandom, TracePipe, realClock, type FibProvider, type KernelClock } from './helpers';
import { Kernel } from './kernel';
import { mapFromSnapshot, type MapSnapshot } from './maps';
import type { ProgramInfo } from './program';

/** Version of {@link KernelSnapshot}; bumped on incompatible changes. */
export const KERNEL_SNAPSHOT_VERSION = 1;

/** A saved clock: a real one remembers when it booted, a virtual one where it is. */
export type ClockState =
  | { readonly kind: 'real'; readonly bootWallMs: number }
  | { readonly kind: 'virtual'; readonly nowNs: string; readonly stepNs: string };

/** How a kernel's clock is chosen at creation. */
export type ClockSetting = 'real' | 'virtual' | ClockState;

/** TAI - UTC in ns (37 s since 2017), as the helpers' clocks use. */
const TAI_OFFSET_NS = 37_000_000_000n;

/**
 * Makes a clock and a function that saves its state. A real clock resumes its uptime from the
 * boot wall time (so ktime keeps growing across commands); a virtual one resumes its counter.
 */
export function makeClock(setting: ClockSetting): { clock: KernelClock; save: () => ClockState } {
  const s: ClockState = setting === 'real' ? { kind: 'real', bootWallMs: Date.now() } : setting === 'virtual' ? { kind: 'virtual', nowNs: '1000000000', stepNs: '1000' } : setting;
  if (s.kind === 'real') {
    const boot = Number.isFinite(s.bootWallMs) ? s.bootWallMs : Date.now();
    const clock = realClock(BigInt(Math.max(0, Date.now() - boot)) * 1_000_000n);
    return { clock, save: () => ({ kind: 'real', bootWallMs: boot }) };
  }
  let now = BigInt(s.nowNs);
  const step = BigInt(s.stepNs);
  const tick = (): bigint => {
    const t = now;
    now += step;
    return t;
  };
  const clock: KernelClock = { monotonicNs: tick, bootNs: tick, taiNs: () => tick() + 1_700_000_000_000_000_000n + TAI_OFFSET_NS };
  return { clock, save: () => ({ kind: 'virtual', nowNs: now.toString(), stepNs: step.toString() }) };
}

/** One program as plain data: its metadata and its as-loaded instructions in hex. */
export interface ProgramSnapshot extends Omit<ProgramInfo, 'insns' | 'tag' | 'mapIds' | 'xlatedBytes' | 'name' | 'frags'> {
  /** Instructions encoded little-endian, as hex. */
  readonly code: string;
}

/** The whole kernel as JSON-compatible data. */
export interface KernelSnapshot {
  readonly version: number;
  readonly ncpus: number;
  readonly engine: Engine;
  readonly seed?: number;
  readonly nextMapId: number;
  readonly nextProgId: number;
  readonly clock: ClockState;
  readonly random: readonly number[];
  readonly trace: string;
  readonly maps: readonly MapSnapshot[];
  readonly programs: readonly ProgramSnapshot[];
}

/** Host hooks that are not data (they are given again when a kernel is restored). */
export interface KernelHooks {
  readonly fib?: FibProvider;
  readonly ifindexExists?: (ifindex: number) => boolean;
}

/** The snapshot of a kernel (see {@link Kernel.toSnapshot}). */
export function kernelToSnapshot(k: Kernel): KernelSnapshot {
  return {
    version: KERNEL_SNAPSHOT_VERSION,
    ncpus: k.ncpus,
    engine: k.engine,
    ...(k.seed !== undefined ? { seed: k.seed } : {}),
    nextMapId: k.nextMapId,
    nextProgId: k.nextProgId,
    clock: k.saveClock(),
    random: k.helpers.random.toSnapshot(),
    trace: k.helpers.trace.toSnapshot(),
    maps: k.mapList().map((m) => m.toSnapshot()),
    programs: k.programList().map((p) => ({
      id: p.id,
      funcName: p.funcName,
      section: p.section,
      type: p.type,
      attachType: p.attachType,
      loadTime: p.loadTime,
      license: p.license,
      verified: p.verified,
      ...(p.verifiedInsns !== undefined ? { verifiedInsns: p.verifiedInsns } : {}),
      code: toHex(encode(p.insns, 'le')),
    })),
  };
}

function corrupt(what: string): XdptsError {
  return new XdptsError(`corrupt kernel snapshot: ${what}`, 'snapshot');
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw corrupt(`${what} is not a non-negative integer`);
  return v;
}

/** Rebuilds a kernel from a snapshot (see {@link Kernel.fromSnapshot}). Throws XdptsError when corrupt. */
export function kernelFromSnapshot(snap: KernelSnapshot, hooks: KernelHooks = {}): Kernel {
  if (typeof snap !== 'object' || snap === null) throw corrupt('not an object');
  if (snap.version !== KERNEL_SNAPSHOT_VERSION) throw corrupt(`version ${String(snap.version)}, expected ${KERNEL_SNAPSHOT_VERSION}`);
  if (!Array.isArray(snap.maps) || !Array.isArray(snap.programs) || !Array.isArray(snap.random)) throw corrupt('maps, programs or random missing');
  const k = new Kernel(
    {
      ncpus: int(snap.ncpus, 'ncpus'),
      engine: snap.engine,
      ...(snap.seed !== undefined ? { seed: snap.seed } : {}),
      clock: snap.clock,
      ...(hooks.fib ? { fib: hooks.fib } : {}),
      ...(hooks.ifindexExists ? { ifindexExists: hooks.ifindexExists } : {}),
    },
    { random: Prandom.fromSnapshot(snap.random), trace: TracePipe.fromSnapshot(snap.trace) },
  );
  for (const ms of snap.maps) k.adoptMap(mapFromSnapshot(ms, k.mapEnv));
  for (const ps of snap.programs) {
    if (typeof ps.code !== 'string') throw corrupt(`program ${String(ps.id)} has no code`);
    const { insns, problem } = decode(fromHex(ps.code), 'le');
    if (problem) throw corrupt(`program ${String(ps.id)}: ${problem.message}`);
    k.loadInsns(insns, {
      id: int(ps.id, 'program id'),
      name: String(ps.funcName ?? ''),
      section: String(ps.section ?? ''),
      type: int(ps.type, 'program type'),
      attachType: int(ps.attachType, 'attach type'),
      license: String(ps.license ?? ''),
      loadTime: int(ps.loadTime, 'load time'),
      verified: ps.verified === true,
      ...(ps.verifiedInsns !== undefined ? { verifiedInsns: ps.verifiedInsns } : {}),
    });
  }
  k.nextMapId = Math.max(k.nextMapId, int(snap.nextMapId, 'nextMapId'));
  k.nextProgId = Math.max(k.nextProgId, int(snap.nextProgId, 'nextProgId'));
  return k;
}
