/**
 * `loadCollectionSpec` → `CollectionSpec.load` → `Collection` (cilium/ebpf's names): reading an
 * object into readonly specs, then loading it into the shared emulated kernel the way libbpf's
 * bpf_object__load does — maps first (reusing `mapReplacements` and maps pinned by name under
 * `pinPath`, LIBBPF_PIN_BY_NAME), then each program through the verifier. The whole load is
 * one transaction: a program the verifier refuses leaves nothing behind.
 */
import { readFileSync } from 'node:fs';
import type {
  BpfMap,
  Codec,
  Collection,
  KernelTarget,
  CollectionSpec,
  LoadOptions,
  MapSpecInfo,
  PerCpuMap,
  Program,
  ProgramSpecInfo,
} from '../gen/runtime-contract';
import type { BpfMap as KernelMap, LoadedProgram } from '../kernel';
import { btfValueLayout as layoutOf } from '../kernel';
import { BPF_MAP_TYPE, BPF_PROG_TYPE_XDP, loadObject, rewriteConstants, type MapSpec, type ObjectSpec } from '../object';
import { MapError, ObjectError, XdptsError } from '../util/errors';
import { bytesCodec, perCpuCodec, perCpuSlot } from './codec';
import { closeAll, disposeByClose, type MaybeDisposable } from './dispose';
import { collect } from './gc';
import { Fd } from './handles';
import { StateHost, type Host, type HostOptions, type Txn } from './host';
import { MapHandle, type MapInfo } from './map';
import { PinService } from './pins';
import { ProgramHandle, type ProgramInfo } from './program';

/** libbpf's LIBBPF_PIN_BY_NAME: the map is pinned at `<pin_root_path>/<map name>`. */
const LIBBPF_PIN_BY_NAME = 1;

const PERCPU_TYPES: ReadonlySet<number> = new Set([BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.PERCPU_HASH, BPF_MAP_TYPE.LRU_PERCPU_HASH]);

/** True for the programs the emulated kernel loads: XDP ones, and those of unknown sections. */
function loadable(p: { type: number }): boolean {
  return p.type === BPF_PROG_TYPE_XDP || p.type === 0;
}

/** True for the map types whose values are per CPU. */
export function isPerCpuType(type: number): boolean {
  return PERCPU_TYPES.has(type);
}

/** A host and its pin bookkeeping. */
export interface HostPins {
  readonly host: Host;
  readonly pins: PinService;
}

/** The hosts of this process, one per state directory, sharing their pin bookkeeping. */
const hosts = new Map<string, HostPins>();

/** The host (and pin service) of a state directory, made once per process. */
export function hostFor(opts: HostOptions = {}): HostPins {
  const probe = new StateHost(opts);
  let h = hosts.get(probe.stateDir);
  if (!h) hosts.set(probe.stateDir, (h = { host: probe, pins: new PinService(probe) }));
  return h;
}

/** The hosts behind the kernel objects of the facade (src/api/kernel-api.ts). */
const targets = new WeakMap<KernelTarget, HostPins>();

/** Records the host a kernel object stands for (its constructor calls this). */
export function registerTarget(target: KernelTarget, h: HostPins): void {
  targets.set(target, h);
}

/** The host a load goes to: the given kernel, else the state directory of the options. */
function targetHost(opts: CollectionLoadOptions): HostPins {
  if (opts.kernel !== undefined) {
    const h = targets.get(opts.kernel);
    if (!h) throw new XdptsError('load: `kernel` is not a kernel made by Kernel.inMemory() or Kernel.shared()', 'EINVAL');
    if (opts.stateDir !== undefined) throw new XdptsError('load: give either `kernel` or `stateDir`, not both', 'EINVAL');
    return h;
  }
  return hostFor(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {});
}

/** Options of loading beyond the contract: the state directory to load into. */
export interface CollectionLoadOptions extends LoadOptions {
  /** The state directory (`XDPTS_STATE_DIR` when absent). */
  readonly stateDir?: string;
}

/** Checks that an existing map can stand in for a spec (libbpf's map_is_reuse_compat). */
function checkCompatible(spec: MapSpec, m: { type: number; keySize: number; valueSize: number; maxEntries: number; flags: number }, what: string): void {
  const diffs: string[] = [];
  if (m.type !== spec.type) diffs.push(`type ${m.type} != ${spec.type}`);
  if (m.keySize !== spec.keySize) diffs.push(`key size ${m.keySize} != ${spec.keySize}`);
  if (m.valueSize !== spec.valueSize) diffs.push(`value size ${m.valueSize} != ${spec.valueSize}`);
  if (m.maxEntries !== spec.maxEntries) diffs.push(`max entries ${m.maxEntries} != ${spec.maxEntries}`);
  if (m.flags !== spec.flags) diffs.push(`flags ${m.flags} != ${spec.flags}`);
  if (diffs.length) throw new MapError('EINVAL', `${what} is incompatible with map '${spec.name}': ${diffs.join(', ')}`);
}

/**
 * Gives the object's BTF a BTF object id, as BPF_BTF_LOAD does once per object in
 * bpf_object__load, and records the map key/value layouts, so `xdpts prog show` prints the
 * `btf_id` and `xdpts map dump` formats the values as for an object xdp-loader loaded.
 */
function recordBtf(t: Txn, spec: ObjectSpec, programs: readonly LoadedProgram[], maps: ReadonlyMap<string, KernelMap>): void {
  const btf = spec.btf;
  if (!btf) return;
  const st = t.xdp().state;
  const id = st.nextBtfId++;
  for (const p of programs) st.progBtf[String(p.id)] = id;
  for (const ms of spec.maps) {
    const m = maps.get(ms.name);
    if (!m || st.mapBtf[String(m.id)] !== undefined || (!ms.keyTypeId && !ms.valueTypeId)) continue;
    st.mapBtf[String(m.id)] = id;
    const key = layoutOf(btf, ms.keyTypeId);
    const value = layoutOf(btf, ms.valueTypeId);
    if (key && value) st.mapLayouts[String(m.id)] = { key, value };
  }
}

/** Removes what a failed load made, newest first. */
function undo(t: Txn, made: { maps: readonly number[]; pins: readonly string[]; progs: readonly number[] }): void {
  for (const id of [...made.progs].reverse()) t.kernel.unloadProgram(id);
  for (const path of made.pins) t.xdp().bpffs.unpin(path);
  for (const id of [...made.maps].reverse()) if (t.kernel.map(id)) t.kernel.deleteMap(id);
}

/** An object read into readonly specs; `load` puts it into the emulated kernel. */
export class ObjectCollectionSpec implements CollectionSpec {
  readonly byteOrder: 'le' | 'be';
  readonly maps: ReadonlyMap<string, MapSpecInfo>;
  readonly programs: ReadonlyMap<string, ProgramSpecInfo>;
  /** The license string of the object. */
  readonly license: string;

  constructor(
    readonly object: ObjectSpec,
    /** Where the object came from, for messages: its path, or `object bytes`. */
    readonly source = 'object bytes',
  ) {
    this.byteOrder = object.endian;
    this.license = object.license;
    this.maps = new Map(object.maps.map((m) => [m.name, { name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags }]));
    this.programs = new Map(object.programs.map((p) => [p.name, { name: p.name, section: p.section, type: p.type }]));
  }

  /**
   * cilium/ebpf's RewriteConstants: a spec whose globals (`const volatile` in .rodata, or
   * .data/.bss) hold `values` at load. Throws naming a variable that does not exist or a value
   * that does not fit. This spec is unchanged.
   */
  rewriteConstants(values: Readonly<Record<string, number | bigint | boolean>>): ObjectCollectionSpec {
    return new ObjectCollectionSpec(rewriteConstants(this.object, values), this.source);
  }

  load(opts: CollectionLoadOptions = {}): LoadedCollection {
    const { host, pins } = targetHost(opts);
    const dir = host.stateDir;
    const spec = this.object;
    const loaded = host.write((t) => {
      const k = t.kernel;
      const maps = new Map<string, KernelMap>();
      const made: { maps: number[]; pins: string[]; progs: number[] } = { maps: [], pins: [], progs: [] };
      try {
        for (const ms of spec.maps) {
          const repl = opts.mapReplacements?.[ms.name];
          if (repl) {
            const m = k.map((repl as { id?: number }).id ?? -1);
            if (!m) throw new MapError('ENOENT', `replacement for map '${ms.name}' no longer exists`);
            checkCompatible(ms, m, `replacement map ${m.name} (id ${m.id})`);
            maps.set(ms.name, m);
            continue;
          }
          if (ms.pinning === LIBBPF_PIN_BY_NAME && opts.pinPath !== undefined) {
            const path = `${opts.pinPath.replace(/\/+$/, '')}/${ms.name}`;
            const fs = t.xdp().bpffs;
            const e = fs.get(path);
            if (e) {
              const m = e.kind === 'map' ? k.map(e.id) : undefined;
              if (!m) throw new MapError('EINVAL', `${path} does not pin a map`);
              checkCompatible(ms, m, `pinned map ${path}`);
              maps.set(ms.name, m);
              continue;
            }
            const m = k.createMapFromSpec(ms);
            made.maps.push(m.id);
            fs.pin(path, { kind: 'map', id: m.id });
            made.pins.push(path);
            maps.set(ms.name, m);
            continue;
          }
          const m = k.createMapFromSpec(ms);
          made.maps.push(m.id);
          maps.set(ms.name, m);
        }
        k.initMapInMapSlots(spec.maps, maps, new Set(made.maps.map((id) => k.map(id)!)));
        // The emulated kernel runs XDP programs only: other programs of the object (tc, socket
        // filters) are left unloaded, and detachProgram says so if asked for one. A section
        // libbpf does not know (`xdp_drop`: type 0) is loaded as XDP, as xdp-loader sets the type.
        const programs = spec.programs.filter(loadable).map((p) => {
          const lp = k.loadProgramSpec(p, spec.maps, maps, { type: BPF_PROG_TYPE_XDP, ...(opts.logLevel === 2 ? { logLevel: 2 as const } : {}) });
          made.progs.push(lp.id);
          return lp;
        });
        recordBtf(t, spec, programs, maps);
        const mapInfo = new Map<string, MapInfo & { sysValueSize: number }>();
        for (const [name, m] of maps)
          mapInfo.set(name, { id: m.id, name: m.name, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, sysValueSize: m.sysValueSize });
        const progInfo = programs.map((p): ProgramInfo => ({ id: p.id, name: p.funcName, type: p.type, section: p.section, tag: p.tag }));
        return { maps: mapInfo, programs: progInfo, ncpus: k.ncpus };
      } catch (e) {
        // A state directory discards the whole transaction; a live (in-memory) kernel must be
        // put back by hand: what this load made goes, as libbpf closes a failed object's fds.
        if (host.inMemory) undo(t, made);
        throw e;
      }
    });
    const skipped = spec.programs.filter((p) => !loadable(p)).map((p) => p.name);
    return new LoadedCollection(host, pins, dir, loaded.maps, loaded.programs, loaded.ncpus, skipped);
  }
}

/** Maps and programs loaded from one spec; detached ones belong to the caller. */
export class LoadedCollection implements Collection {
  private readonly rawMaps = new Map<string, MapHandle<Uint8Array, Uint8Array>>();
  private readonly progs = new Map<string, ProgramHandle>();
  private readonly fds = new Map<string, Fd>();
  private closed = false;
  /** Programs of the object that were not loaded (not XDP). */
  private readonly skipped: ReadonlySet<string>;

  constructor(
    private readonly host: Host,
    private readonly pins: PinService,
    private readonly dir: string,
    private readonly mapInfo: ReadonlyMap<string, MapInfo & { sysValueSize: number }>,
    progInfo: readonly ProgramInfo[],
    /** The kernel's CPU count (per-CPU values have one element per CPU). */
    readonly ncpus: number,
    skipped: readonly string[] = [],
  ) {
    this.skipped = new Set(skipped);
    for (const [name, info] of mapInfo) {
      const fd = this.fd('map', info.id);
      this.fds.set(`map:${name}`, fd);
      this.rawMaps.set(name, new MapHandle(host, fd, pins, info, bytesCodec(info.keySize), bytesCodec(info.sysValueSize), info.sysValueSize));
    }
    for (const info of progInfo) {
      const fd = this.fd('prog', info.id);
      this.fds.set(`prog:${info.name}`, fd);
      this.progs.set(info.name, new ProgramHandle(host, fd, pins, info));
    }
  }

  /** A handle whose last close frees the object when nothing else references it. */
  private fd(kind: 'map' | 'prog', id: number): Fd {
    const dir = this.dir;
    const host = this.host;
    return new Fd(dir, kind, id, () => host.write((t) => collect(t, dir, kind === 'prog' ? [id] : [], kind === 'map' ? [id] : [])));
  }

  get maps(): ReadonlyMap<string, BpfMap<Uint8Array, Uint8Array>> {
    return this.rawMaps;
  }

  get programs(): ReadonlyMap<string, Program> {
    return this.progs;
  }

  private takeMap(name: string): { info: MapInfo & { sysValueSize: number }; fd: Fd } {
    if (this.closed) throw new XdptsError('the collection is closed', 'EBADF');
    const info = this.mapInfo.get(name);
    const fd = this.fds.get(`map:${name}`);
    if (!info || !fd || !this.rawMaps.has(name))
      throw new ObjectError(`no map '${name}' left in the collection (maps: ${[...this.rawMaps.keys()].join(', ') || 'none'})`);
    this.rawMaps.delete(name);
    this.fds.delete(`map:${name}`);
    return { info, fd };
  }

  detachMap<K, V>(name: string, key: Codec<K>, value: Codec<V>): BpfMap<K, V> {
    const { info, fd } = this.takeMap(name);
    try {
      if (isPerCpuType(info.type)) throw new MapError('EINVAL', `map '${name}' is per-CPU: use detachPerCpuMap`);
      return new MapHandle(this.host, fd, this.pins, info, key, value, info.sysValueSize);
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  detachPerCpuMap<K, V>(name: string, key: Codec<K>, value: Codec<V>): PerCpuMap<K, V> {
    const { info, fd } = this.takeMap(name);
    try {
      if (!isPerCpuType(info.type)) throw new MapError('EINVAL', `map '${name}' is not per-CPU: use detachMap`);
      if (value.size !== info.valueSize) throw new MapError('EINVAL', `map '${name}': value codec is ${value.size} bytes, the map's value is ${info.valueSize}`);
      const per = perCpuCodec(value, this.ncpus, info.valueSize);
      if (per.size !== info.sysValueSize || perCpuSlot(info.valueSize) * this.ncpus !== info.sysValueSize)
        throw new MapError('EINVAL', `map '${name}': per-CPU layout mismatch`);
      return new MapHandle(this.host, fd, this.pins, info, key, per, info.sysValueSize);
    } catch (e) {
      fd.close();
      throw e;
    }
  }

  detachProgram(name: string): Program {
    if (this.closed) throw new XdptsError('the collection is closed', 'EBADF');
    const p = this.progs.get(name);
    if (!p && this.skipped.has(name)) throw new ObjectError(`program '${name}' was not loaded: the emulated kernel runs only XDP programs`);
    if (!p) throw new ObjectError(`no program '${name}' left in the collection (programs: ${[...this.progs.keys()].join(', ') || 'none'})`);
    this.progs.delete(name);
    this.fds.delete(`prog:${name}`);
    return p;
  }

  /** Closes what is still in the collection: programs first, then maps (as libbpf's close). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const items = [...this.progs.values(), ...this.rawMaps.values()];
    this.progs.clear();
    this.rawMaps.clear();
    this.fds.clear();
    closeAll(items);
  }
}

export interface LoadedCollection extends MaybeDisposable {}
disposeByClose(LoadedCollection);

/**
 * Reads an object into a CollectionSpec: its bytes, or the path of an object file (ElfError /
 * ObjectError on bad input, XdptsError ENOENT for a missing file).
 */
export function loadCollectionSpec(object: Uint8Array | string): ObjectCollectionSpec {
  if (typeof object !== 'string') return new ObjectCollectionSpec(loadObject(object));
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(object);
  } catch (e) {
    throw new XdptsError(`cannot read ${object}: ${(e as Error).message}`, (e as NodeJS.ErrnoException).code ?? 'EIO');
  }
  return new ObjectCollectionSpec(loadObject(bytes, object), object);
}
