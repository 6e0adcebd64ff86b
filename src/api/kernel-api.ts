/**
 * `Kernel`: the library's handle on an emulated kernel, as a test or an application holds it.
 * `Kernel.inMemory()` makes a private kernel in this process (no state directory, no lock, no
 * file: what a unit test in vitest or jest wants, the way Go tests use cilium/ebpf's
 * `Collection` and `Program.Run` — but with no root); `Kernel.shared()` is the kernel of the
 * state directory that the CLI (`xdpts status`, `xdpts ping`) works on.
 *
 * `loadCollection` loads an object and hands out its maps typed from BTF (src/api/btf-codec.ts)
 * and its programs, by C name; a name the object does not have is an ObjectError naming the
 * object, not `undefined`.
 */
import type { BpfMap, CollectionSpec, KernelTarget, LoadOptions, Program } from '../gen/runtime-contract';
import { btfValueLayout } from '../kernel';
import { ObjectError, XdptsError } from '../util/errors';
import { btfCodec, type BtfData } from './btf-codec';
import { hostFor, isPerCpuType, loadCollectionSpec, ObjectCollectionSpec, registerTarget, type HostPins } from './collection';
import { closeAll, disposeByClose, type MaybeDisposable } from './dispose';
import { MemoryHost } from './host';
import { PinService } from './pins';

/** Options of {@link Kernel.inMemory}, fixed when the kernel is made. */
export interface InMemoryKernelOptions {
  /** Seed of bpf_get_prandom_u32 and of the network's MACs (default 1: runs repeat exactly). */
  readonly seed?: number;
  /**
   * `virtual` (the default: bpf_ktime_get_ns starts at 1 s and advances 1 µs per reading, so
   * runs repeat exactly) or `real` (follows the host's monotonic clock).
   */
  readonly clock?: 'virtual' | 'real';
  /** Possible CPUs (per-CPU map values have one element per CPU). Default 1. */
  readonly ncpus?: number;
  /** `jit` (default: programs compiled to JavaScript) or `interp`. */
  readonly engine?: 'jit' | 'interp';
}

/** Options of {@link Kernel.shared}. */
export interface SharedKernelOptions {
  /** The state directory (default `XDPTS_STATE_DIR`, else ~/.local/state/xdpts). */
  readonly stateDir?: string;
}

/** A map of a collection loaded through {@link Kernel.loadCollection}: keys and values from BTF. */
export type BtfMap = BpfMap<BtfData, BtfData>;

/** Options of {@link Kernel.loadCollection}: those of CollectionSpec.load but the kernel. */
export type KernelLoadOptions = Omit<LoadOptions, 'kernel'>;

/** What {@link Kernel.loadCollection} takes: a spec, an object's bytes, or its path. */
export type CollectionSource = CollectionSpec | Uint8Array | string;

/**
 * Maps and programs of one loaded object, by C name. Type the names with the type arguments of
 * {@link Kernel.loadCollection} (`loadCollection<'blocklist', 'xdp_blocklist'>(...)`) for exact
 * keys; a name the object lacks throws an ObjectError at run time either way.
 */
export interface KernelCollection<M extends string = string, P extends string = string> extends MaybeDisposable {
  /** The maps, typed from the object's BTF (raw bytes for a map without BTF). */
  readonly maps: { readonly [name in M]: BtfMap };
  /** The programs (XDP ones: the emulated kernel runs no other type). */
  readonly programs: { readonly [name in P]: Program };
  /** Where the object came from (its path, or `object bytes`). */
  readonly source: string;
  /** Closes every map and program handle (pinned or attached objects live on). */
  close(): void;
}

/** Property names asked by tools that probe any object (await, test matchers, inspectors). */
const PROBES: ReadonlySet<string> = new Set(['then', 'toJSON', 'constructor', 'asymmetricMatch', 'nodeType', 'tagName', 'toString', 'valueOf', 'inspect', '$$typeof']);

/** A read-only record whose unknown names throw an ObjectError listing the known ones. */
function named<T>(kind: 'map' | 'program', source: string, entries: Map<string, T>): Record<string, T> {
  const target = Object.freeze(Object.assign(Object.create(null) as Record<string, T>, Object.fromEntries(entries)));
  return new Proxy(target, {
    get(t, key) {
      if (typeof key !== 'string' || key in t || PROBES.has(key) || key.startsWith('@@') || key.startsWith('_')) return t[key as string];
      throw new ObjectError(`${source} has no ${kind} '${key}' (${kind}s: ${[...entries.keys()].join(', ') || 'none'})`);
    },
  });
}

class LoadedKernelCollection implements KernelCollection {
  readonly maps: Record<string, BtfMap>;
  readonly programs: Record<string, Program>;

  constructor(
    readonly source: string,
    maps: Map<string, BtfMap>,
    programs: Map<string, Program>,
  ) {
    this.maps = named('map', source, maps);
    this.programs = named('program', source, programs);
  }

  close(): void {
    closeAll([...Object.values(this.programs), ...Object.values(this.maps)]);
  }
}
interface LoadedKernelCollection extends MaybeDisposable {}
disposeByClose(LoadedKernelCollection);

/** An emulated kernel: a private in-memory one, or the shared one of a state directory. */
export class Kernel implements KernelTarget {
  /** True for a private in-memory kernel. */
  readonly inMemory: boolean;
  /** Where it lives: the state directory, or `memory:N`. */
  readonly where: string;
  private readonly hp: HostPins;

  private constructor(hp: HostPins) {
    this.hp = hp;
    this.inMemory = hp.host.inMemory;
    this.where = hp.host.stateDir;
    registerTarget(this, hp);
  }

  /** A private kernel in this process: nothing on disk, nothing shared, gone with its last reference. */
  static inMemory(opts: InMemoryKernelOptions = {}): Kernel {
    const clock = opts.clock ?? 'virtual';
    if (clock !== 'virtual' && clock !== 'real') throw new XdptsError(`Kernel.inMemory: clock must be 'virtual' or 'real', not ${String(clock)}`, 'EINVAL');
    const seed = opts.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new XdptsError(`Kernel.inMemory: seed ${String(seed)} is not a u32`, 'EINVAL');
    const host = new MemoryHost({ seed, clock, ncpus: opts.ncpus ?? 1, engine: opts.engine ?? 'jit' });
    return new Kernel({ host, pins: new PinService(host) });
  }

  /** The kernel of a state directory, shared with the CLI and other processes. */
  static shared(opts: SharedKernelOptions = {}): Kernel {
    return new Kernel(hostFor(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}));
  }

  /**
   * Loads an object (a spec from loadCollectionSpec or a generated binding, its bytes, or its
   * path) into this kernel: maps first, then every XDP program through the verifier (a refused
   * program throws VerifierError with the log, and nothing of the object stays loaded).
   */
  loadCollection<M extends string = string, P extends string = string>(source: CollectionSource, opts: KernelLoadOptions = {}): KernelCollection<M, P> {
    const spec = typeof source === 'string' || source instanceof Uint8Array ? loadCollectionSpec(source) : source;
    if (!(spec instanceof ObjectCollectionSpec)) throw new XdptsError('loadCollection: the spec was not made by this library (loadCollectionSpec or a generated binding)', 'EINVAL');
    const coll = spec.load({ ...opts, kernel: this });
    const object = spec.object;
    const maps = new Map<string, BtfMap>();
    const programs = new Map<string, Program>();
    try {
      for (const ms of object.maps) {
        if (!coll.maps.has(ms.name)) continue;
        const what = (part: string): string => `map ${ms.name}: ${part}`;
        const layout = (id: number) => (object.btf && id ? btfValueLayout(object.btf, id) : undefined);
        const key = btfCodec(layout(ms.keyTypeId), ms.keySize, object.endian, what('key'));
        const value = btfCodec(layout(ms.valueTypeId), ms.valueSize, object.endian, what('value'));
        maps.set(
          ms.name,
          isPerCpuType(ms.type) ? (coll.detachPerCpuMap(ms.name, key, value) as unknown as BtfMap) : coll.detachMap(ms.name, key, value),
        );
      }
      for (const name of [...coll.programs.keys()]) programs.set(name, coll.detachProgram(name));
    } catch (e) {
      for (const x of [...programs.values(), ...maps.values()]) x.close();
      throw e;
    } finally {
      coll.close();
    }
    return new LoadedKernelCollection(spec.source, maps, programs) as unknown as KernelCollection<M, P>;
  }
}
