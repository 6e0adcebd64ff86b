/**
 * The emulated kernel: it owns the live maps and programs (by id; ids count up from 1 and are
 * never reused, as the kernel's idr_alloc_cyclic does), the VM address space they share, and
 * the helper state (trace pipe, prandom, clock, routing hook, redirect info). Options are fixed
 * when it is made. It never touches the disk: {@link Kernel.toSnapshot} hands out plain data
 * and {@link Kernel.fromSnapshot} rebuilds an equal kernel (programs are recompiled).
 *
 * The load path mirrors libbpf + BPF_PROG_LOAD: create the object's maps (global data maps get
 * their initial contents; `.rodata` is frozen), rewrite each map-referencing `lddw` to carry the
 * map id, verify (src/verifier), compile (src/vm) and record id, tag, name and map ids.
 */
import { availableParallelism } from 'node:os';
import { BPF_PSEUDO_KFUNC_CALL, OP_LDDW, type Instruction } from '../isa';
import { BPF_MAP_TYPE, BPF_PROG_TYPE_XDP, type MapSpec, type ObjectSpec, type ProgramSpec } from '../object/types';
import { ObjectError, VerifierError, XdptsError } from '../util/errors';
import { verifyProgram } from '../verifier';
import { compile, createSpace, type Engine, type PseudoResolver, type StepObserver, type VmProgram, type VmSpace, type XdpInput, type XdpResult } from '../vm';
import { EINVAL, ENOENT, ENOTSUPP, mapErrno } from './errno';
import { KernelHelpers, type KernelClock, type FibProvider, type RedirectInfo, mapPointer, TracePipe, Prandom } from './helpers';
import { ArrayMap, asMapOfMaps, createMap, isMapInMapType, type BpfMap, type MapAttr, type MapEnv, type ProgInfo } from './maps';
import {
  insnBytes,
  isMapLoad,
  isMapValueLoad,
  kernelObjectName,
  referencedMapIds,
  type LoadedProgram,
  type ProgramInfo,
} from './program';
import { programTag } from './tag';
import { kernelFromSnapshot, kernelToSnapshot, makeClock, type ClockSetting, type ClockState, type KernelHooks, type KernelSnapshot } from './snapshot';
import { testRunXdp, type TestRunOptions, type TestRunResult } from './test-run';

/** `BPF_F_RDONLY_PROG`: the program may not write the map (libbpf sets it on `.rodata`). */
const BPF_F_RDONLY_PROG = 1 << 7;
/** `BPF_XDP` attach type, libbpf's expected attach type for `xdp` sections. */
const BPF_XDP = 37;

/** Options of a kernel, fixed when it is made. */
export interface KernelOptions {
  /** Number of possible CPUs (per-CPU map values). Default 1. */
  readonly ncpus?: number;
  /** Seed of bpf_get_prandom_u32; a random seed when absent. */
  readonly seed?: number;
  /** Engine programs are compiled for. Default `jit`. */
  readonly engine?: Engine;
  /**
   * `real` (follows the host; the default), `virtual` (starts at 1 s, advances 1 µs per
   * reading: reproducible), or a clock state from a snapshot.
   */
  readonly clock?: ClockSetting;
  /** The routing table bpf_fib_lookup asks (src/net provides it); none when absent. */
  readonly fib?: FibProvider;
  /** Which ifindexes exist (devmap updates); every ifindex > 0 when absent. */
  readonly ifindexExists?: (ifindex: number) => boolean;
  /** Compile programs with coverage counters (on the interpreter; see VmProgram.coverage). */
  readonly coverage?: boolean;
  /** Observe every instruction its programs run (tracing; forces the interpreter). */
  readonly observer?: StepObserver;
}

/** Options of {@link Kernel.loadObject}. */
export interface LoadObjectOptions {
  /** Function names (or section names) of the programs to load; all programs when absent. */
  readonly programs?: readonly string[];
  /** Program type to load as when the section does not say (bpftool's `type xdp`). */
  readonly type?: number;
  /** Verify before loading (default true). Only `false` for raw test loads. */
  readonly verify?: boolean;
  /** Verifier log level of the message kept in a VerifierError (default 1: the failing path). */
  readonly logLevel?: 1 | 2;
}

/** What {@link Kernel.loadObject} made: the live maps by object name and the programs. */
export interface LoadedObject {
  /** Every map of the object, by its name in the object (`pkt_count`, `counter.rodata`). */
  readonly maps: ReadonlyMap<string, BpfMap>;
  /** The loaded programs, in object order. */
  readonly programs: readonly LoadedProgram[];
}

/** Options of {@link Kernel.loadInsns} (a program from instructions already carrying map ids). */
export interface LoadInsnsOptions {
  readonly name?: string;
  readonly section?: string;
  readonly type?: number;
  readonly attachType?: number;
  readonly license?: string;
  /** Whether the verifier accepted it (informational; loadInsns does not verify). */
  readonly verified?: boolean;
  readonly verifiedInsns?: number;
  /** Keep this id (snapshot restore); a new one otherwise. */
  readonly id?: number;
  readonly loadTime?: number;
}

/** Per-run options of {@link Kernel.runXdp}. */
export interface RunOptions {
  /** CPU the run happens on (per-CPU values, bpf_get_smp_processor_id). Default 0. */
  readonly cpu?: number;
  /** Task name and pid shown in trace_pipe lines. */
  readonly comm?: string;
  readonly pid?: number;
}

/** An XDP run as the hook sees it: the VM result plus the redirect target, if one was chosen. */
export interface KernelXdpResult extends XdpResult {
  /** `struct bpf_redirect_info` after the run (null when no redirect helper was called). */
  readonly redirect: RedirectInfo | null;
}

/** The emulated kernel. */
export class Kernel {
  /** CPU count, fixed at creation. */
  readonly ncpus: number;
  /** Engine of every program this kernel compiles. */
  readonly engine: Engine;
  /** The seed given at creation (undefined: random). */
  readonly seed: number | undefined;
  /** The address space every program of this kernel shares. */
  readonly space: VmSpace;
  /** Helper implementations and their state (trace pipe, prandom, clock, redirect). */
  readonly helpers: KernelHelpers;
  /** The map environment given to every map (CPU count, device and program checks). */
  readonly mapEnv: MapEnv;
  /** Fib provider hook (the network layer). */
  readonly fib: FibProvider | undefined;
  /** Saves the clock's current state (for snapshots). */
  readonly saveClock: () => ClockState;
  /** Whether programs are compiled with coverage counters. */
  readonly coverage: boolean;
  private readonly observer: StepObserver | undefined;

  private readonly maps = new Map<number, BpfMap>();
  private readonly progs = new Map<number, LoadedProgram>();
  /** Map id → tag of its value region (global data pointers made by BPF_PSEUDO_MAP_VALUE). */
  private readonly valueRegions = new Map<number, number>();
  /** @internal next ids (exposed for snapshots). */
  nextMapId = 1;
  nextProgId = 1;

  constructor(opts: KernelOptions = {}, restored?: { random?: Prandom; trace?: TracePipe }) {
    const ncpus = opts.ncpus ?? 1;
    if (!Number.isInteger(ncpus) || ncpus < 1 || ncpus > Math.max(8192, availableParallelism()))
      throw new XdptsError(`invalid CPU count ${String(opts.ncpus)}`, 'EINVAL');
    this.ncpus = ncpus;
    this.engine = opts.engine ?? 'jit';
    if (this.engine !== 'jit' && this.engine !== 'interp' && this.engine !== 'wasm') throw new XdptsError(`unknown engine ${String(this.engine)}`, 'EINVAL');
    this.seed = opts.seed;
    this.coverage = opts.coverage === true;
    this.observer = opts.observer;
    this.fib = opts.fib;
    this.space = createSpace();
    const { clock, save } = makeClock(opts.clock ?? 'real');
    this.saveClock = save;
    const clk: KernelClock = clock;
    this.helpers = new KernelHelpers({
      maps: (id) => this.maps.get(id),
      programs: (id) => this.progs.get(id)?.vm,
      seed: restored?.random ?? opts.seed,
      clock: clk,
      ...(restored?.trace ? { trace: restored.trace } : {}),
      ...(opts.fib ? { fib: opts.fib } : {}),
    });
    this.mapEnv = {
      ncpus,
      progInfo: (id: number): ProgInfo | undefined => {
        const p = this.progs.get(id);
        return p ? { type: p.type, expectedAttachType: p.attachType } : undefined;
      },
      ...(opts.ifindexExists ? { ifindexExists: opts.ifindexExists } : {}),
      map: (id: number) => this.maps.get(id),
    };
  }

  // ---- maps ----

  /** BPF_MAP_CREATE: a new map with the next id. Throws MapError like the syscall. */
  createMap(attr: MapAttr): BpfMap {
    const m = createMap(this.nextMapId, attr, this.mapEnv);
    this.nextMapId++;
    this.maps.set(m.id, m);
    return m;
  }

  /**
   * Creates the live map of a MapSpec the way libbpf does: global data maps get the section's
   * initial contents, and read-only ones (`.rodata`) are frozen after that.
   */
  createMapFromSpec(spec: MapSpec): BpfMap {
    // bpf_object__create_map: a map-in-map's inner definition is created first, its fd given
    // as inner_map_fd, then closed (the kernel keeps only the template copied from it).
    const inner = spec.innerMap && isMapInMapType(spec.type) ? this.createMapFromSpec(spec.innerMap) : undefined;
    try {
      return this.createMapFromSpecWith(spec, inner?.id);
    } finally {
      if (inner) this.deleteMap(inner.id);
    }
  }

  private createMapFromSpecWith(spec: MapSpec, innerMapId: number | undefined): BpfMap {
    const m = this.createMap({
      type: spec.type,
      keySize: spec.keySize,
      valueSize: spec.valueSize,
      // bpf_object__create_map: a perf event array without max_entries gets one slot per CPU.
      maxEntries: spec.type === BPF_MAP_TYPE.PERF_EVENT_ARRAY && spec.maxEntries === 0 ? this.ncpus : spec.maxEntries,
      flags: spec.flags,
      name: spec.name.slice(0, 15),
      ...(spec.spinLockOff !== undefined ? { spinLockOff: spec.spinLockOff } : {}),
      ...(spec.mapExtra ? { mapExtra: spec.mapExtra } : {}),
      ...(spec.keyTypeId ? { btfKeyTypeId: spec.keyTypeId } : {}),
      ...(spec.valueTypeId ? { btfValueTypeId: spec.valueTypeId } : {}),
      ...(innerMapId !== undefined ? { innerMapId } : {}),
    });
    if (spec.initialValue && spec.initialValue.length > 0) {
      // bpf_object__populate_internal_map: one element at key 0 holding the section's bytes.
      const v = new Uint8Array(m.sysValueSize);
      v.set(spec.initialValue.subarray(0, v.length));
      m.update(new Uint8Array(4), v);
    }
    if (spec.isGlobalData && spec.readOnly) m.freeze();
    return m;
  }

  /**
   * libbpf's init_map_in_map_slots, once an object's maps exist: each `.values = { [i] = &inner }`
   * slot of a map-in-map gets the inner map (an update of key i with the inner map's fd).
   * `created` limits it to the maps this load made (a reused pinned map keeps its contents).
   */
  initMapInMapSlots(specs: readonly MapSpec[], maps: ReadonlyMap<string, BpfMap>, created?: ReadonlySet<BpfMap>): void {
    for (const ms of specs) {
      const m = maps.get(ms.name);
      if (!isMapInMapType(ms.type) || !ms.initialSlots || !m || (created && !created.has(m))) continue;
      for (const slot of ms.initialSlots) {
        const inner = maps.get(slot.target);
        if (!inner) throw new ObjectError(`map '${ms.name}': slot ${slot.index} refers to '${slot.target}', which is not a map of the object`);
        const key = new Uint8Array(m.keySize);
        new DataView(key.buffer).setUint32(0, slot.index, true);
        const value = new Uint8Array(4);
        new DataView(value.buffer).setUint32(0, inner.id, true);
        m.update(key, value);
      }
    }
  }

  /** Adds a map made elsewhere (snapshot restore); its id must be unused. */
  adoptMap(m: BpfMap): void {
    if (this.maps.has(m.id)) throw new XdptsError(`map id ${m.id} is already in use`, 'EEXIST');
    this.maps.set(m.id, m);
    if (m.id >= this.nextMapId) this.nextMapId = m.id + 1;
  }

  /** The map with this id, or undefined. */
  map(id: number): BpfMap | undefined {
    return this.maps.get(id);
  }

  /** Every live map, by increasing id. */
  mapList(): BpfMap[] {
    return [...this.maps.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * Frees a map (its last reference went away). Refused with EBUSY-like error while a program
   * still uses it, since a live program keeps its maps alive in the kernel.
   */
  deleteMap(id: number): void {
    const m = this.maps.get(id);
    if (!m) throw mapErrno(ENOENT, `free map id ${id}`);
    for (const p of this.progs.values())
      if (p.mapIds.includes(id)) throw new XdptsError(`map id ${id} is still used by program id ${p.id}`, 'EBUSY');
    const tag = this.valueRegions.get(id);
    if (tag !== undefined) {
      this.space.removeRegion(tag);
      this.valueRegions.delete(id);
    }
    this.maps.delete(id);
  }

  // ---- programs ----

  /**
   * Loads an object: creates all its maps, then loads the selected programs (all by default;
   * names match the function name or the section). Throws VerifierError for a program the
   * verifier rejects (nothing of the object stays loaded then), ObjectError for a bad selection.
   */
  loadObject(spec: ObjectSpec, opts: LoadObjectOptions = {}): LoadedObject {
    // libbpf refuses an object of the other byte order ("elf: endianness mismatch").
    if (spec.endian !== 'le') throw new ObjectError('endianness mismatch: the object is big-endian (bpfeb), this kernel is x86_64 (little-endian)');
    const selected = selectPrograms(spec, opts.programs);
    const maps = new Map<string, BpfMap>();
    const made: BpfMap[] = [];
    const loaded: LoadedProgram[] = [];
    try {
      for (const ms of spec.maps) {
        const m = this.createMapFromSpec(ms);
        maps.set(ms.name, m);
        made.push(m);
      }
      this.initMapInMapSlots(spec.maps, maps);
      for (const p of selected) loaded.push(this.loadProgramSpec(p, spec.maps, maps, opts));
      fillProgArrays(spec.maps, maps, loaded);
    } catch (e) {
      // BPF_PROG_LOAD failed: libbpf closes what it created, so the kernel frees it.
      for (const p of loaded) this.progs.delete(p.id);
      for (const m of made) this.deleteMap(m.id);
      throw e;
    }
    return { maps, programs: loaded };
  }

  /** Loads one program of an object whose maps are already live (`maps` by object name). */
  loadProgramSpec(prog: ProgramSpec, specMaps: readonly MapSpec[], maps: ReadonlyMap<string, BpfMap>, opts: LoadObjectOptions = {}): LoadedProgram {
    const type = prog.type || opts.type || 0;
    if (type !== BPF_PROG_TYPE_XDP)
      throw new ObjectError(`program '${prog.name}' in section '${prog.section}' has type ${type}: only XDP programs (type 6) can be loaded`);
    const insns = bindMaps(prog, maps);
    let verifiedInsns: number | undefined;
    if (opts.verify !== false) {
      const specWithType = prog.type ? prog : { ...prog, type };
      const v = verifyProgram(specWithType, specMaps, { logLevel: 0, progType: type });
      if (!v.accepted) {
        // Not a kernel refusal: the kernel has the helper, the emulation does not.
        if (v.errno === 'EOPNOTSUPP') throw new XdptsError(v.error!.replace(/^xdpts: /, ''), 'ENOTEMULATED');
        const again = verifyProgram(specWithType, specMaps, { logLevel: opts.logLevel ?? 1, progType: type });
        throw new VerifierError(`program '${prog.name}': ${v.error ?? 'rejected by the verifier'}`, v.insn ?? 0, again.log);
      }
      verifiedInsns = v.stats.processed;
    }
    return this.loadInsns(insns, {
      name: prog.name,
      section: prog.section,
      type,
      attachType: prog.attachType || BPF_XDP,
      license: prog.license,
      verified: opts.verify !== false,
      ...(verifiedInsns !== undefined ? { verifiedInsns } : {}),
    });
  }

  /**
   * Compiles and registers instructions whose map references already hold map ids (the
   * "as loaded" form, see src/kernel/program.ts). Does not verify. Throws when a referenced map
   * does not exist or the VM cannot compile the code.
   */
  loadInsns(insns: readonly Instruction[], opts: LoadInsnsOptions = {}): LoadedProgram {
    const mapIds = referencedMapIds(insns);
    for (const id of mapIds) if (!this.maps.has(id)) throw mapErrno(ENOENT, `program references map id ${id}, which does not exist`);
    const vm = this.compileInsns(insns);
    const id = opts.id ?? this.nextProgId;
    if (this.progs.has(id)) throw new XdptsError(`program id ${id} is already in use`, 'EEXIST');
    this.nextProgId = Math.max(this.nextProgId, id + 1);
    const funcName = opts.name ?? '';
    const section = opts.section ?? '';
    const prog: LoadedProgram = Object.freeze({
      id,
      name: kernelObjectName(funcName),
      funcName,
      section,
      type: opts.type ?? BPF_PROG_TYPE_XDP,
      attachType: opts.attachType ?? BPF_XDP,
      tag: programTag(insns),
      loadTime: opts.loadTime ?? Date.now(),
      mapIds,
      license: opts.license ?? '',
      frags: section.startsWith('xdp.frags'),
      insns,
      xlatedBytes: insnBytes(insns),
      verified: opts.verified ?? false,
      ...(opts.verifiedInsns !== undefined ? { verifiedInsns: opts.verifiedInsns } : {}),
      vm,
    });
    this.progs.set(id, prog);
    return prog;
  }

  /** The program with this id, or undefined. */
  program(id: number): LoadedProgram | undefined {
    return this.progs.get(id);
  }

  /** Every live program, by increasing id. */
  programList(): LoadedProgram[] {
    return [...this.progs.values()].sort((a, b) => a.id - b.id);
  }

  /**
   * Frees a program (its last reference — pin, link, attachment — went away). With `freeMaps`,
   * maps no other program uses are freed too, except the ids in `keepMaps` (pinned ones).
   */
  unloadProgram(id: number, opts: { freeMaps?: boolean; keepMaps?: ReadonlySet<number> } = {}): void {
    const p = this.progs.get(id);
    if (!p) throw new XdptsError(`no program with id ${id}`, 'ENOENT');
    this.progs.delete(id);
    if (opts.freeMaps) this.freeUnusedMaps(p.mapIds, (m) => opts.keepMaps?.has(m) === true);
  }

  /**
   * Frees each of `ids` that nothing uses any more (no live program, no map-in-map) and that
   * `keep` does not hold (pins, handles). Freeing an outer map drops its inner maps' references,
   * so they become candidates too and the walk repeats until nothing more goes.
   */
  freeUnusedMaps(ids: Iterable<number>, keep: (id: number) => boolean = () => false): void {
    const candidates = new Set(ids);
    for (let freed = true; freed; ) {
      freed = false;
      const used = this.mapsInUse();
      for (const m of candidates) {
        const live = this.maps.get(m);
        if (!live || used.has(m) || keep(m)) continue;
        for (const inner of asMapOfMaps(live)?.innerIds() ?? []) candidates.add(inner);
        this.deleteMap(m);
        freed = true;
      }
    }
  }

  /**
   * Ids of the maps some live program references, and of the maps a map-in-map holds (the
   * kernel keeps an inner map alive while an outer map refers to it).
   */
  mapsInUse(): Set<number> {
    const s = new Set<number>();
    for (const p of this.progs.values()) for (const m of p.mapIds) s.add(m);
    for (const m of this.maps.values()) for (const inner of asMapOfMaps(m)?.innerIds() ?? []) s.add(inner);
    return s;
  }

  // ---- running ----

  /**
   * Runs an XDP program once on a packet as the XDP hook would (no size rules of test_run):
   * sets the CPU and task, clears the redirect state, runs, and returns the verdict, the packet
   * after the run and the redirect target. A fault is a result (XDP_ABORTED), never a throw.
   */
  runXdp(prog: LoadedProgram | number, input: XdpInput, opts: RunOptions = {}): KernelXdpResult {
    const p = typeof prog === 'number' ? this.requireProgram(prog) : prog;
    // No spreads or copies here: this is every test_run's and every hook delivery's path.
    const h = this.helpers;
    h.cpu = opts.cpu ?? 0;
    if (opts.comm) h.comm = opts.comm;
    if (opts.pid) h.pid = opts.pid;
    h.redirect = null;
    const r = p.vm.runXdp(input) as XdpResult & { redirect?: RedirectInfo | null };
    r.redirect = h.redirect;
    return r as KernelXdpResult;
  }

  /** BPF_PROG_TEST_RUN for an XDP program, with the kernel's checks (see src/kernel/test-run.ts). */
  testRun(prog: LoadedProgram | number, opts: TestRunOptions): TestRunResult {
    const p = typeof prog === 'number' ? this.requireProgram(prog) : prog;
    return testRunXdp(this, p, opts);
  }

  /** The program with this id, or an ENOENT error. */
  requireProgram(id: number): LoadedProgram {
    const p = this.progs.get(id);
    if (!p) throw new XdptsError(`no program with id ${id}`, 'ENOENT');
    return p;
  }

  /** Compiles as-loaded instructions on this kernel's engine, space, helpers and map resolver. */
  private compileInsns(insns: readonly Instruction[]): VmProgram {
    return compile(insns, { engine: this.engine, helpers: this.helpers.table, space: this.space, resolvePseudo: this.resolver, ...(this.coverage ? { coverage: true } : {}), ...(this.observer ? { observer: this.observer } : {}) });
  }

  /**
   * The PseudoResolver: a map lddw becomes a map pointer (src/kernel/helpers mapPointer); a
   * map-value lddw a pointer into the map's value region, stable for the map's life.
   */
  private readonly resolver: PseudoResolver = (i, slot) => {
    if (!isMapLoad(i)) return [i.imm | 0, (i.imm2 ?? 0) | 0];
    if (!isMapValueLoad(i)) return mapPointer(i.imm);
    const off = (i.imm2 ?? 0) >>> 0;
    return [off | 0, this.valueRegion(i.imm, off, slot)];
  };

  /**
   * The tag of map `id`'s value region (array_map_direct_value_addr: only arrays with one
   * entry, offset below value_size). Read-only for BPF_F_RDONLY_PROG maps.
   */
  private valueRegion(id: number, off: number, slot: number): number {
    const known = this.valueRegions.get(id);
    const m = this.maps.get(id);
    if (!m) throw mapErrno(ENOENT, `lddw at insn ${slot}: map id ${id}`);
    if (!(m instanceof ArrayMap) || m.type !== BPF_MAP_TYPE.ARRAY || m.maxEntries !== 1)
      throw mapErrno(ENOTSUPP, `lddw at insn ${slot}: direct value access to ${m.label()}`);
    if (off >= m.valueSize) throw mapErrno(EINVAL, `lddw at insn ${slot}: offset ${off} past the value of ${m.label()}`);
    if (known !== undefined) return known;
    const tag = this.space.addRegion(`map value ${m.name}`, m.valueBuffer(0), (m.flags & BPF_F_RDONLY_PROG) === 0);
    this.valueRegions.set(id, tag);
    return tag;
  }

  // ---- snapshots (implemented in src/kernel/snapshot.ts) ----

  /** The kernel as plain JSON-compatible data. */
  toSnapshot(): KernelSnapshot {
    return kernelToSnapshot(this);
  }

  /** Rebuilds a kernel from {@link toSnapshot} output; `hooks` re-attaches the host hooks. */
  static fromSnapshot(snap: KernelSnapshot, hooks: KernelHooks = {}): Kernel {
    return kernelFromSnapshot(snap, hooks);
  }
}

/** The programs of `spec` that `names` select (function or section names); all when absent. */
export function selectPrograms(spec: ObjectSpec, names?: readonly string[]): ProgramSpec[] {
  if (spec.programs.length === 0) throw new ObjectError('the object has no programs');
  if (!names || names.length === 0) return [...spec.programs];
  return names.map((n) => {
    const p = spec.programs.find((x) => x.name === n) ?? spec.programs.find((x) => x.section === n);
    if (!p) throw new ObjectError(`no program '${n}' in the object (programs: ${spec.programs.map((x) => `${x.name} in ${x.section}`).join(', ')})`);
    return p;
  });
}

/**
 * libbpf's bpf_object__init_prog_arrays: each `.values = { [i] = &prog }` slot of a PROG_ARRAY
 * gets the loaded program (a program not selected for loading leaves its slot empty).
 */
function fillProgArrays(specs: readonly MapSpec[], maps: ReadonlyMap<string, BpfMap>, loaded: readonly LoadedProgram[]): void {
  for (const ms of specs) {
    if (ms.type !== BPF_MAP_TYPE.PROG_ARRAY || !ms.initialSlots) continue;
    const m = maps.get(ms.name)!;
    for (const slot of ms.initialSlots) {
      const p = loaded.find((x) => x.funcName === slot.target);
      if (!p) continue;
      const key = new Uint8Array(4);
      const value = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, slot.index, true);
      new DataView(value.buffer).setUint32(0, p.id, true);
      m.update(key, value);
    }
  }
}

/**
 * The "as loaded" instructions of a program: each map-referencing `lddw` gets the live map's id
 * in `imm` (and keeps the value offset in `imm2`), like libbpf's relocation puts a map fd there.
 */
function bindMaps(prog: ProgramSpec, maps: ReadonlyMap<string, BpfMap>): Instruction[] {
  return prog.insns.map((i, k) => {
    const ref = prog.references.get(k);
    if (i.opcode !== OP_LDDW || !isMapLoad(i)) {
      // A kfunc call keeps its extern name; the verifier already refused the ones not emulated.
      if (ref?.kind === 'extern' && !(i.opcode === 0x85 && i.src === BPF_PSEUDO_KFUNC_CALL)) {
        throw new ObjectError(`program '${prog.name}': unresolved extern '${ref.name}' at insn ${k}`);
      }
      return i;
    }
    if (ref?.kind !== 'map') throw new ObjectError(`program '${prog.name}': map load at insn ${k} has no map relocation`);
    const m = maps.get(ref.map);
    if (!m) throw new ObjectError(`program '${prog.name}': insn ${k} references unknown map '${ref.map}'`);
    return { ...i, imm: m.id, imm2: ref.value ? ref.offset : (i.imm2 ?? 0) };
  });
}

export type { KernelHooks, KernelSnapshot, ClockSetting };
export type { ProgramInfo };
