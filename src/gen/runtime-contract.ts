/**
 * The runtime contract of generated bindings: exactly what a module written by `xdpts gen`
 * imports from the package root (`xdpts`, i.e. src/index.ts). The library facade implements
 * these interfaces; the generator and its tests depend only on this file.
 *
 * Shapes follow cilium/ebpf (`CollectionSpec`, `Collection`, `Map`, `Program`) with the
 * TypeScript refinements of shared/reference/bindings.md 6.5: typed keys and values through
 * codecs, `undefined` for a missing key on lookup, iterators, `Disposable` live objects.
 *
 * It needs no lib beyond ES2022: `Disposable` and `Symbol.dispose` come from TypeScript's
 * `esnext.disposable` lib or @types/node, so live objects declare `[Symbol.dispose]` through
 * {@link MaybeDisposable}, which is the empty type where the project's lib lacks them.
 */

/**
 * `{ [Symbol.dispose](): void }` when the project's lib declares `Symbol.dispose` (so `using`
 * works), otherwise `{}`: bindings and the library compile under `lib: ES2022` too. At run time
 * the method exists wherever `Symbol.dispose` does (Node ≥ 20.4).
 */
export type MaybeDisposable = SymbolConstructor extends { readonly dispose: infer K extends symbol } ? { [P in K]: () => void } : {};

/**
 * A kernel a collection can be loaded into (the library's `Kernel.inMemory()` or
 * `Kernel.shared()`); `LoadOptions.kernel`.
 */
export interface KernelTarget {
  /** True for a private in-memory kernel, false for the shared state directory's. */
  readonly inMemory: boolean;
  /** Where it lives: the state directory, or `memory:N`. */
  readonly where: string;
}

/**
 * What a CollectionSpec says about one map: a structural subset of src/object's `MapSpec`, so the
 * contract stays self-contained (generated code type-checks without the rest of xdpts).
 */
export interface MapSpecInfo {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/** What a CollectionSpec says about one program: a structural subset of `ProgramSpec`. */
export interface ProgramSpecInfo {
  readonly name: string;
  readonly section: string;
  readonly type: number;
}

/**
 * A codec: how one C type is laid out in bytes in the object's byte order. Generated bindings
 * make one per map key/value type; the runtime uses `size` to check and to pad per-CPU slots.
 */
export interface Codec<T> {
  /** Size of the C type in bytes (`sizeof`). */
  readonly size: number;
  /** C alignment of the type in bytes. */
  readonly align: number;
  /** Encodes a value into `size` new bytes. */
  encode(value: T): Uint8Array;
  /** Decodes exactly `size` bytes; throws RangeError on another length. */
  decode(bytes: Uint8Array): T;
}

/** Map update flags, the kernel's `BPF_ANY`/`BPF_NOEXIST`/`BPF_EXIST` (uapi linux/bpf.h). */
export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;

/** An update flag: the words the CLI uses or the kernel's numbers. */
export type UpdateFlag = 'any' | 'noexist' | 'exist' | typeof BPF_ANY | typeof BPF_NOEXIST | typeof BPF_EXIST;

/** Where a batch walk resumes; opaque to callers (BPF_MAP_LOOKUP_BATCH's in/out batch). */
export interface BatchCursor {
  readonly position: unknown;
}

/** One page of a batch lookup. `done` is true once the walk reached the end of the map. */
export interface BatchResult<K, V> {
  readonly keys: K[];
  readonly values: V[];
  readonly cursor: BatchCursor;
  readonly done: boolean;
}

/**
 * A live map of the emulated kernel with typed keys and values. Missing keys are not
 * exceptional on lookup (`undefined`); operations the kernel refuses throw MapError with the
 * errno-style code (`ENOENT` on delete/update-exist of a missing key, `EEXIST` on
 * update-noexist of a present one, `E2BIG` when full, `EINVAL` on a bad size or an array delete).
 */
export interface BpfMap<K, V> extends MaybeDisposable {
  /** The map's name (the C name). */
  readonly name: string;
  /** `BPF_MAP_TYPE_*` number. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly keyCodec: Codec<K>;
  readonly valueCodec: Codec<V>;
  /** BPF_MAP_LOOKUP_ELEM: the value, or undefined when the key is absent. */
  lookup(key: K): V | undefined;
  /** BPF_MAP_UPDATE_ELEM with `flags` (default `any`). */
  update(key: K, value: V, flags?: UpdateFlag): void;
  /** BPF_MAP_DELETE_ELEM; throws MapError ENOENT when absent, EINVAL for arrays. */
  delete(key: K): void;
  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: the value that was removed, or undefined. */
  lookupAndDelete(key: K): V | undefined;
  /** BPF_MAP_GET_NEXT_KEY: the key after `key` (the first key without one), undefined at the end. */
  nextKey(key?: K): K | undefined;
  /** Iterates keys with NextKey semantics (keys deleted mid-walk are skipped). */
  keys(): IterableIterator<K>;
  /** Iterates values in key order. */
  values(): IterableIterator<V>;
  /** Iterates [key, value] pairs. */
  entries(): IterableIterator<[K, V]>;
  [Symbol.iterator](): IterableIterator<[K, V]>;
  /** BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH with `andDelete`). */
  batchLookup(opts?: { cursor?: BatchCursor; count?: number; andDelete?: boolean }): BatchResult<K, V>;
  /** BPF_MAP_UPDATE_BATCH: returns how many entries were written. */
  batchUpdate(entries: Iterable<readonly [K, V]>, flags?: UpdateFlag): number;
  /** BPF_MAP_DELETE_BATCH: returns how many keys were deleted. */
  batchDelete(keys: Iterable<K>): number;
  /** Pins the map in the emulated bpffs. */
  pin(path: string): void;
  /** Removes the map's pin. */
  unpin(): void;
  /** The pin path, if pinned. */
  readonly pinned: string | undefined;
  /** The same map, byte-level. */
  readonly raw: BpfMap<Uint8Array, Uint8Array>;
  /** Releases this handle (idempotent); the map lives on while pinned or used by a program. */
  close(): void;
}

/**
 * A per-CPU map: values are arrays with one element per possible CPU. `update` accepts a
 * shorter array (the rest zero-filled); the 8-byte slot padding is the runtime's business.
 */
export type PerCpuMap<K, V> = BpfMap<K, V[]>;

/** Input of BPF_PROG_TEST_RUN. */
export interface TestRunOptions {
  /** The packet. */
  readonly data: Uint8Array;
  /** The context (`struct xdp_md` for XDP), optional. */
  readonly ctx?: Uint8Array;
  /** How many times to run (≥ 1); the duration is averaged. */
  readonly repeat?: number;
  /** The CPU the run pretends to be on. */
  readonly cpu?: number;
}

/** Output of BPF_PROG_TEST_RUN. */
export interface TestRunResult {
  /** The program's return value (r0, truncated to 32 bits like the kernel's `retval`). */
  readonly retval: number;
  /** The packet as the program left it. */
  readonly data: Uint8Array;
  /** The context after the run, when one was given. */
  readonly ctx?: Uint8Array;
  /** Mean nanoseconds per run. */
  readonly duration: number;
}

/** The XDP verdicts (`enum xdp_action`). */
export type XdpAction = 'XDP_ABORTED' | 'XDP_DROP' | 'XDP_PASS' | 'XDP_TX' | 'XDP_REDIRECT';

/** Options of {@link Program.run}. */
export interface RunOptions {
  /**
   * Fields of `struct xdp_md`, checked as BPF_PROG_TEST_RUN checks ctx_in: a device that does
   * not exist is ENODEV, a queue past its queues EINVAL, egressIfindex must be 0. The packet
   * arrives on loopback (ifindex 1, queue 0) when absent.
   */
  readonly ctx?: { readonly ingressIfindex?: number; readonly rxQueueIndex?: number; readonly egressIfindex?: number };
  /**
   * Metadata in front of the packet (`data_meta..data`, as bpf_xdp_adjust_meta leaves it; a
   * multiple of 4 bytes, at most 216): test_run's ctx_in `data`.
   */
  readonly meta?: Uint8Array;
  /** Runs of the program on the same buffer (default 1); `durationNs` is their mean. */
  readonly repeat?: number;
  /** The CPU the run is on (per-CPU maps, bpf_get_smp_processor_id). Default 0. */
  readonly cpu?: number;
}

/** What {@link Program.run} gives. */
export interface RunResult {
  /** The verdict, or `unknown (N)` for a value outside `enum xdp_action`. */
  readonly action: XdpAction | `unknown (${number})`;
  /** The program's return value (r0, low 32 bits, unsigned). */
  readonly retval: number;
  /** The packet after the run, from `data` to `data_end` (metadata in `meta`). */
  readonly packet: Uint8Array;
  /** Metadata the program put in front of the packet (bpf_xdp_adjust_meta), often empty. */
  readonly meta: Uint8Array;
  /**
   * Mean wall-clock nanoseconds per run: measured when `repeat` is given or the kernel's clock
   * is real; 0 for a single run on a virtual-clock kernel (its results repeat exactly).
   */
  readonly durationNs: number;
  /** Why the run ended in XDP_ABORTED when the program faulted (the VM's message). */
  readonly fault?: string;
}

/** A program loaded into the emulated kernel. */
export interface Program extends MaybeDisposable {
  /** The function name (`count_packets`). */
  readonly name: string;
  /** `BPF_PROG_TYPE_*` number. */
  readonly type: number;
  /** The ELF section (`xdp`). */
  readonly section: string;
  /** Runs the program once or `repeat` times on a packet, like BPF_PROG_TEST_RUN. */
  testRun(opts: TestRunOptions): TestRunResult;
  /**
   * Runs the program on a packet (BPF_PROG_TEST_RUN, friendlier): the context by field, the
   * verdict by name, the packet after the run.
   */
  run(packet: Uint8Array, opts?: RunOptions): RunResult;
  /** Pins the program in the emulated bpffs. */
  pin(path: string): void;
  /** Removes the program's pin. */
  unpin(): void;
  /** Releases this handle (idempotent); the program stays loaded while attached or pinned. */
  close(): void;
}

/** Options of loading a collection (cilium's CollectionOptions, trimmed). */
export interface LoadOptions {
  /** Directory of the emulated bpffs where maps with `pinning = LIBBPF_PIN_BY_NAME` live. */
  readonly pinPath?: string;
  /** Verifier log level (0 none, 1, 2). */
  readonly logLevel?: 0 | 1 | 2;
  /** Existing maps to use instead of creating the named ones (must be compatible). */
  readonly mapReplacements?: Readonly<Record<string, BpfMap<Uint8Array, Uint8Array>>>;
  /**
   * The kernel to load into: `Kernel.inMemory()` for a private one (unit tests), default the
   * shared kernel of the state directory (`XDPTS_STATE_DIR`) the CLI works on.
   */
  readonly kernel?: KernelTarget;
}

/** An object file read into readonly specs: nothing is loaded yet (cilium's CollectionSpec). */
export interface CollectionSpec {
  /** Byte order of the object. */
  readonly byteOrder: 'le' | 'be';
  /** Map specs by C name, in object order. */
  readonly maps: ReadonlyMap<string, MapSpecInfo>;
  /** Program specs by C name, in object order. */
  readonly programs: ReadonlyMap<string, ProgramSpecInfo>;
  /** Creates every map and loads every program into the emulated kernel. */
  load(opts?: LoadOptions): Collection;
}

/** Maps and programs loaded from one CollectionSpec. Closing it closes what was not detached. */
export interface Collection extends MaybeDisposable {
  readonly maps: ReadonlyMap<string, BpfMap<Uint8Array, Uint8Array>>;
  readonly programs: ReadonlyMap<string, Program>;
  /** Takes a map out of the collection, typed; the caller owns it (cilium's DetachMap). */
  detachMap<K, V>(name: string, key: Codec<K>, value: Codec<V>): BpfMap<K, V>;
  /** As detachMap, for the per-CPU map types: values are per-CPU arrays. */
  detachPerCpuMap<K, V>(name: string, key: Codec<K>, value: Codec<V>): PerCpuMap<K, V>;
  /** Takes a program out of the collection; the caller owns it (cilium's DetachProgram). */
  detachProgram(name: string): Program;
  /** Closes every map and program still in the collection. */
  close(): void;
}

/**
 * The functions of the package root that generated code calls. src/index.ts exports a function
 * of this signature under this name.
 */
export interface XdptsRuntime {
  /** Reads an object file's bytes into a CollectionSpec (ElfError/ObjectError on bad input). */
  loadCollectionSpec(bytes: Uint8Array): CollectionSpec;
}
