/**
 * xdp-loader `load` and `unload` over the emulated kernel, with libxdp's logic
 * (xdp-tools lib/libxdp/libxdp.c `xdp_program__attach_multi`, `xdp_multiprog__generate`,
 * `xdp_multiprog__detach`): every load goes through a dispatcher (reference §0, §2) unless the
 * dispatcher is disabled (LIBXDP_SKIP_DISPATCHER=1, or a kernel without the feature), then one
 * program attaches directly ("legacy"). Messages and exit statuses are xdp-loader 1.3.1's
 * (reference §1.3): `load` exits with 256 - errno. Outcomes caused by bad usage or bad input carry
 * `code: 2`, which is what xdpts exits with (reference §8.2, {@link xdptsExit}).
 */
import { BPF_PROG_TYPE_XDP, type MapSpec, type ObjectSpec, type ProgramSpec } from '../../object/types';
import { loadObject } from '../../object/load';
import { parseAssignments, rewriteConstants } from '../../object/constants';
import { VerifierError, XdptsError } from '../../util/errors';
import type { BpfMap } from '../maps/map';
import type { LoadedProgram } from '../program';
import { formatActions, MAX_DISPATCHER_ACTIONS } from '../xdp/actions';
import { dispatcherSpec, orderComponents, type DispatcherComponent } from '../xdp/dispatcher';
import { STRERROR, XdpError } from '../xdp/errors';
import { dispatcherDir, XdpManager } from '../xdp/manager';
import { readRunConfig } from '../xdp/run-config';
import type { XdpAttachment, XdpMode } from '../xdp/state';
import type { XdpDevice } from '../xdp/topology';
import type { LoadArgs, UnloadArgs } from './args';
import { shortUsage } from './args';
import { layoutOf } from './btf-value';
import { errnoExit, failure, success, usageFailure, type ToolOutcome } from './outcome';
import { freplaceRefusal, slotFunction } from './freplace';
import { LEGACY_MAPS_HINT, hasLegacyMaps } from './legacy-maps';

const EACCES = 13;
const EBUSY = 16;
const E2BIG = 7;
const EINVAL = 22;
const EOPNOTSUPP = 95;
const ENOENT = 2;
/** libbpf's `LIBBPF_PIN_BY_NAME`. */
const LIBBPF_PIN_BY_NAME = 1;

/** How the loader reaches files and what the emulated kernel supports. */
export interface LoaderEnv {
  /** Reads a file; undefined when it does not exist. */
  readFile(path: string): Uint8Array | undefined;
  /** The namespace the command runs in. */
  ns: string;
  /** False to behave as a kernel without freplace (libxdp falls back to legacy attach). */
  dispatcher?: boolean;
  /**
   * False when no bpffs is mounted at /sys/fs/bpf — always the case under `ip netns exec`, which
   * remounts /sys: libxdp says so on every load and attaches a single program directly (reference §0).
   */
  bpffs?: boolean;
}

/** An opened program: the object, the chosen program and its effective run configuration. */
interface Opened {
  file: string;
  spec: ObjectSpec;
  prog: ProgramSpec;
  runPrio: number;
  chainCallActions: number;
}

class LoadFailure extends Error {
  constructor(readonly outcome: ToolOutcome) {
    super('load failed');
  }
}

function attachFailed(ifname: string, errno: number, pre: string[] = []): LoadFailure {
  return new LoadFailure(failure(errnoExit(errno), [...pre, `Couldn't attach XDP program on iface '${ifname}': ${STRERROR[errno] ?? `errno ${errno}`}(-${errno})`]));
}

function noIface(cmd: string, ifname: string): ToolOutcome {
  return usageFailure(1, [`Couldn't find network interface '${ifname}'.`], ['', ...shortUsage(cmd)]);
}

/** Opens a file and picks its program as xdp_program__open_file does. */
function openProgram(env: LoaderEnv, file: string, args: LoadArgs): Opened {
  const bytes = env.readFile(file);
  if (!bytes) throw new LoadFailure(usageFailure(errnoExit(ENOENT), [`Couldn't open file '${file}': No such file or directory`]));
  let spec: ObjectSpec;
  try {
    spec = loadObject(bytes, file);
  } catch (e) {
    if (e instanceof XdptsError) throw new LoadFailure(usageFailure(95, [`Couldn't open file '${file}': BPF object format invalid`]));
    throw e;
  }
  // libbpf >= 1.0 refuses the legacy `maps` section (reference §1.3).
  if (hasLegacyMaps(spec)) throw new LoadFailure(usageFailure(errnoExit(EOPNOTSUPP), [`Couldn't open file '${file}': Operation not supported`, LEGACY_MAPS_HINT]));
  if (args.set?.length) {
    try {
      spec = rewriteConstants(spec, parseAssignments(args.set));
    } catch (e) {
      if (e instanceof XdptsError) throw new LoadFailure(usageFailure(errnoExit(EINVAL), [`xdpts: --set ${e.message}`]));
      throw e;
    }
  }
  let prog: ProgramSpec | undefined;
  if (args.section !== undefined) {
    prog = spec.programs.find((p) => p.section === args.section);
    if (!prog)
      throw new LoadFailure(
        usageFailure(errnoExit(ENOENT), [` libxdp: Couldn't find xdp program in bpf object section ${args.section}`, `Couldn't open file '${file}': No such file or directory`]),
      );
  } else if (args.progName !== undefined) {
    prog = spec.programs.find((p) => p.name === args.progName);
    if (!prog) throw new LoadFailure(usageFailure(errnoExit(ENOENT), [` libxdp: Couldn't find xdp program in bpf object`, `Couldn't open file '${file}': No such file or directory`]));
  } else {
    prog = spec.programs[0];
    if (!prog) throw new LoadFailure(usageFailure(errnoExit(ENOENT), [`Couldn't open file '${file}': No such file or directory`]));
  }
  let cfg;
  try {
    cfg = readRunConfig(spec.btf, prog.name);
  } catch (e) {
    if (e instanceof XdptsError) throw new LoadFailure(usageFailure(errnoExit(EINVAL), [` libxdp: ${e.message}`, `Couldn't open file '${file}': Invalid argument`]));
    throw e;
  }
  return {
    file,
    spec,
    prog,
    runPrio: args.prio > 0 ? args.prio : cfg.runPrio,
    chainCallActions: args.actions ?? cfg.chainCallActions,
  };
}

/** Whether libbpf passes func info (from .BTF.ext) when it loads `prog`. */
export function hasFuncInfo(spec: ObjectSpec, prog: ProgramSpec): boolean {
  return (spec.btfExt?.funcInfo.get(prog.section)?.length ?? 0) > 0;
}

/** The xdp-loader front end over an {@link XdpManager}. */
export class XdpLoader {
  constructor(
    private readonly mgr: XdpManager,
    private readonly env: LoaderEnv,
  ) {}

  private device(name: string): XdpDevice | undefined {
    return this.mgr.topology.byName(this.env.ns, name);
  }

  /** `xdp-loader load`. */
  load(args: LoadArgs): ToolOutcome {
    const dev = this.device(args.ifname);
    if (!dev) return noIface('load', args.ifname);
    if (args.mode === 'hw' && args.files.length > 1) return usageFailure(1, ['Cannot attach multiple programs in HW mode']);
    const info: string[] = [];
    if (args.verbose) info.push(`Loading ${args.files.length} files on interface '${args.ifname}'.`);
    try {
      const opened = args.files.map((f) => openProgram(this.env, f, args));
      if (args.verbose) opened.forEach((o, i) => info.push(`XDP program ${i}: Run prio: ${o.runPrio}. Chain call actions: ${formatActions(o.chainCallActions)}`));
      // libxdp warns (printed without -v) when it looks for the dispatcher's pin directory.
      if (this.env.bpffs === false && args.mode !== 'hw') info.push(' libxdp: No bpffs found at /sys/fs/bpf', " libxdp: Can't use dispatcher without a working bpffs");
      const out = this.attachMulti(dev, args, opened);
      return { ...out, stderr: [...info, ...out.stderr] };
    } catch (e) {
      if (e instanceof LoadFailure) return { ...e.outcome, stderr: [...info, ...e.outcome.stderr] };
      throw e;
    }
  }

  private attachMulti(dev: XdpDevice, args: LoadArgs, opened: Opened[]): ToolOutcome {
    const mode: XdpMode = XdpManager.resolveMode(dev, args.mode);
    let useDispatcher = mode !== 'hw' && this.env.dispatcher !== false && this.env.bpffs !== false;
    const existing = this.mgr.rxAttachment(dev.ns, dev.ifindex);
    if (mode === 'hw') {
      const hw = this.mgr.attachment(dev.ns, dev.ifindex, 'hw');
      if (hw) return failure(errnoExit(EBUSY), [` libxdp: XDP program already loaded in HW mode on ifindex ${dev.ifindex}; replacing HW mode programs not supported`]);
    } else if (useDispatcher && existing && !existing.dispatcher) {
      throw attachFailed(args.ifname, EBUSY, [` libxdp: Existing program is not using a dispatcher, can't replace; unload first`]);
    } else if (useDispatcher && existing && existing.mode !== mode) {
      // REPLACE in another mode: EEXIST from the kernel, which libxdp retries as a race.
      throw attachFailed(args.ifname, EBUSY, [' libxdp: Retried more than 11 times, giving up']);
    }
    if (!useDispatcher && mode !== 'hw') {
      // Legacy path: the kernel's own attach errors (EBUSY for the same mode, EEXIST for the other).
      if (opened.length > 1) throw attachFailed(args.ifname, EOPNOTSUPP, [` libxdp: Can't fall back to legacy load with ${opened.length} programs`, ...DISPATCHER_FEATURE_ERR, '']);
    }
    const existingComps = existing?.dispatcher?.components ?? [];
    if (useDispatcher && existingComps.length + opened.length > MAX_DISPATCHER_ACTIONS) throw attachFailed(args.ifname, E2BIG);
    // What libxdp printed on the way (kept in front of whatever happens next).
    const notes: string[] = [];
    if (useDispatcher && !this.linkable(args, opened, existingComps, notes)) useDispatcher = false;

    // Load the programs (the verifier runs here); on failure nothing stays loaded.
    const loaded: LoadedProgram[] = [];
    const made: BpfMap[] = [];
    try {
      for (const o of opened) loaded.push(this.loadOne(o, args, made));
      if (mode === 'hw') throw attachFailed(args.ifname, EINVAL); // no emulated device can offload
      if (!useDispatcher) {
        this.attachOrFail(dev, args.ifname, loaded[0]!.id, mode, { noexist: true });
        return success([], { ifname: dev.name, mode, dispatcher: false, programs: loaded.map((p) => ({ id: p.id, name: p.funcName, tag: p.tag })) }, notes);
      }
      const added: DispatcherComponent[] = opened.map((o, i) => ({
        progId: loaded[i]!.id,
        name: o.prog.name,
        runPrio: o.runPrio,
        chainCallActions: o.chainCallActions,
        insnCount: o.prog.insns.length,
        tag: loaded[i]!.tag,
        loadTime: loaded[i]!.loadTime,
      }));
      const components = orderComponents(existingComps, added);
      this.installDispatcher(dev, args.ifname, mode, components, existing);
      for (const p of loaded) this.mgr.state.extProgs.push(p.id);
      return success([], this.statusJson(dev));
    } catch (e) {
      for (const p of loaded) {
        if (this.mgr.kernel.program(p.id)) this.mgr.kernel.unloadProgram(p.id);
        delete this.mgr.state.progBtf[String(p.id)];
      }
      for (const m of made) if (this.mgr.kernel.map(m.id) && !this.mgr.kernel.mapsInUse().has(m.id)) this.mgr.kernel.deleteMap(m.id);
      this.mgr.forgetFreedMaps();
      if (e instanceof LoadFailure) throw new LoadFailure({ ...e.outcome, stderr: [...notes, ...e.outcome.stderr] });
      if (e instanceof XdpError) throw attachFailed(args.ifname, e.errno, notes);
      throw e;
    }
  }

  /**
   * libxdp's checks as it links each program into a new dispatcher, in run order
   * (`xdp_multiprog__generate` → `xdp_multiprog__link_prog`): an object without BTF "can't be
   * loaded as multiprog" (EOPNOTSUPP: one program falls back to a direct attach, several fail),
   * and the kernel refuses the freplace load of a program without func info or whose signature
   * does not match the slot (EINVAL, freplace.ts). Returns false for the fallback; throws a
   * LoadFailure for a refusal.
   */
  private linkable(args: LoadArgs, opened: Opened[], existing: readonly DispatcherComponent[], notes: string[]): boolean {
    const pending = opened.map((o, i): DispatcherComponent => ({ progId: -1 - i, name: o.prog.name, runPrio: o.runPrio, chainCallActions: o.chainCallActions, insnCount: o.prog.insns.length, tag: '', loadTime: 0 }));
    const order = orderComponents(existing, pending);
    for (const [slot, c] of order.entries()) {
      if (c.progId >= 0) continue; // already linked: it has BTF
      const o = opened[-1 - c.progId]!;
      if (!o.spec.btf) {
        notes.push(` libxdp: Program ${o.prog.name} has no BTF information, so we can't load it as multiprog`);
        if (opened.length === 1) {
          if (args.verbose) notes.push(' libxdp: Falling back to loading single prog without dispatcher');
          return false;
        }
        throw attachFailed(args.ifname, EOPNOTSUPP, [...notes, ` libxdp: Can't fall back to legacy load with ${opened.length} programs`, ...DISPATCHER_FEATURE_ERR, '']);
      }
      const refusal = freplaceRefusal(o.spec, o.prog, slotFunction(slot, order.length));
      if (refusal) {
        const log = args.verbose >= 2 ? libbpfLoadFailed(o.prog.name, o.file, EINVAL, [refusal, PROCESSED_NOTHING]) : [];
        throw attachFailed(args.ifname, EINVAL, [...notes, ...log]);
      }
    }
    return true;
  }

  private attachOrFail(dev: XdpDevice, ifname: string, progId: number, mode: XdpMode, flags: { noexist?: boolean; expectedOld?: number }, disp?: XdpAttachment['dispatcher']): void {
    try {
      this.mgr.attach(dev, progId, mode, flags, disp);
    } catch (e) {
      if (e instanceof XdpError && e.errno === EOPNOTSUPP && mode === 'native')
        throw new LoadFailure(failure(errnoExit(EOPNOTSUPP), ['Attaching XDP program in native mode not supported - try SKB mode.']));
      throw e;
    }
  }

  /**
   * Builds and attaches a dispatcher for `components` (replacing `old` atomically), moves the
   * bpffs pins to the new dispatcher's directory, and frees the old dispatcher.
   */
  private installDispatcher(dev: XdpDevice, ifname: string, mode: XdpMode, components: DispatcherComponent[], old: XdpAttachment | undefined): void {
    const k = this.mgr.kernel;
    // The generated dispatcher goes through the verifier like any program.
    const disp = k.loadProgramSpec(dispatcherSpec(components), [], new Map());
    try {
      this.attachOrFail(dev, ifname, disp.id, mode, old ? { expectedOld: old.progId } : { noexist: true }, { components });
    } catch (e) {
      k.unloadProgram(disp.id);
      throw e;
    }
    if (old) this.removeDispatcherPins(dev.ifindex, old.progId);
    const dir = dispatcherDir(dev.ifindex, disp.id);
    this.mgr.bpffs.mkdirp(dir);
    components.forEach((c, i) => {
      this.mgr.bpffs.pin(`${dir}/prog${i}-prog`, { kind: 'prog', id: c.progId });
      this.mgr.bpffs.pin(`${dir}/prog${i}-link`, { kind: 'link', id: c.progId });
    });
  }

  private removeDispatcherPins(ifindex: number, dispId: number): void {
    this.mgr.bpffs.removeTree(dispatcherDir(ifindex, dispId));
  }

  /** Creates the object's maps (reusing pinned ones with -p), loads the program, frees the maps it does not use. */
  private loadOne(o: Opened, args: LoadArgs, made: BpfMap[]): LoadedProgram {
    const k = this.mgr.kernel;
    const maps = new Map<string, BpfMap>();
    const mine: BpfMap[] = [];
    const toPin: [string, BpfMap][] = [];
    for (const ms of o.spec.maps) {
      const pinPath = args.pinPath !== undefined && ms.pinning === LIBBPF_PIN_BY_NAME ? `${args.pinPath.replace(/\/+$/, '')}/${ms.name}` : undefined;
      const pinned = pinPath ? this.mgr.bpffs.get(pinPath) : undefined;
      if (pinned?.kind === 'map' && k.map(pinned.id)) {
        const m = k.map(pinned.id)!;
        if (!compatible(m, ms)) throw attachFailed(args.ifname, EINVAL, [` libbpf: couldn't reuse pinned map at '${pinPath}': parameter mismatch`]);
        maps.set(ms.name, m);
        continue;
      }
      const m = k.createMapFromSpec(ms);
      maps.set(ms.name, m);
      mine.push(m);
      made.push(m);
      if (pinPath) toPin.push([pinPath, m]);
    }
    k.initMapInMapSlots(o.spec.maps, maps, new Set(mine));
    let p: LoadedProgram;
    try {
      p = k.loadProgramSpec({ ...o.prog, type: BPF_PROG_TYPE_XDP }, o.spec.maps, maps, { logLevel: args.verbose >= 2 ? 2 : 1 });
    } catch (e) {
      if (e instanceof VerifierError) {
        const pre = args.verbose >= 2 ? libbpfLoadFailed(o.prog.name, o.file, EACCES, e.log.replace(/\n$/, '').split('\n')) : [];
        throw attachFailed(args.ifname, EACCES, pre);
      }
      if (e instanceof XdptsError) throw attachFailed(args.ifname, EINVAL, args.verbose >= 2 ? [`  libbpf: prog '${o.prog.name}': ${e.message}`] : []);
      throw e;
    }
    // Pins for -p (after a successful load, as libbpf pins in bpf_object__load).
    for (const [path, m] of toPin) {
      this.mgr.bpffs.mkdirp(path.slice(0, path.lastIndexOf('/')));
      this.mgr.bpffs.pin(path, { kind: 'map', id: m.id });
    }
    // Maps the program does not use die with the object's file descriptors, unless pinned.
    const pinnedMaps = this.mgr.bpffs.pinnedIds('map');
    for (const m of mine) if (!p.mapIds.includes(m.id) && !pinnedMaps.has(m.id) && !k.mapsInUse().has(m.id)) k.deleteMap(m.id);
    this.recordBtf(o, p, maps);
    return p;
  }

  /** Gives the object's BTF a BTF object id and keeps the map layouts for bpftool's formatted dumps. */
  private recordBtf(o: Opened, p: LoadedProgram, maps: ReadonlyMap<string, BpfMap>): void {
    const btf = o.spec.btf;
    if (!btf) return;
    const st = this.mgr.state;
    const id = st.nextBtfId++;
    // The kernel keeps a program's BTF only when the load passes func or line info (check_btf_info),
    // so bpftool prints no btf_id for an object whose .BTF.ext is gone (its maps keep theirs).
    if (hasFuncInfo(o.spec, o.prog)) st.progBtf[String(p.id)] = id;
    for (const ms of o.spec.maps) {
      const m = maps.get(ms.name);
      if (!m || !this.mgr.kernel.map(m.id) || st.mapBtf[String(m.id)] !== undefined) continue;
      if (!ms.keyTypeId && !ms.valueTypeId) continue;
      st.mapBtf[String(m.id)] = id;
      const key = layoutOf(btf, ms.keyTypeId);
      const value = layoutOf(btf, ms.valueTypeId);
      if (key && value) st.mapLayouts[String(m.id)] = { key, value };
    }
  }

  /** `xdp-loader unload`. */
  unload(args: UnloadArgs): ToolOutcome {
    const dev = this.device(args.ifname);
    if (!dev) return noIface('unload', args.ifname);
    const atts = this.mgr.attachmentsOf(dev.ns, dev.ifindex);
    if (atts.length === 0) return failure(1, [`No XDP program loaded on ${args.ifname}`]);
    if (args.all) {
      for (const a of atts) {
        // The pins go first: they hold the components, which the detach then frees.
        if (a.dispatcher) this.removeDispatcherPins(dev.ifindex, a.progId);
        this.mgr.detach(dev, a.mode);
      }
      return success([], { ifname: dev.name, unloaded: 'all' });
    }
    const id = args.id!;
    for (const a of atts) {
      if (!a.dispatcher && a.progId === id) {
        this.mgr.detach(dev, a.mode);
        return success([], { ifname: dev.name, unloaded: id });
      }
      const comps = a.dispatcher?.components ?? [];
      if (!comps.some((c) => c.progId === id)) continue;
      const rest = comps.filter((c) => c.progId !== id);
      if (rest.length === 0) {
        this.removeDispatcherPins(dev.ifindex, a.progId);
        this.mgr.detach(dev, a.mode);
      } else {
        this.installDispatcher(dev, args.ifname, a.mode, rest, a);
        this.mgr.release(id);
      }
      return success([], { ifname: dev.name, unloaded: id });
    }
    return failure(1, [`Program with ID ${id} not loaded on ${args.ifname}`]);
  }

  /** The JSON view of one device's XDP state (what `status --json` gives for it). */
  statusJson(dev: XdpDevice): unknown {
    return deviceStatusJson(this.mgr, dev);
  }
}

/** libxdp's `dispatcher_feature_err`, printed after "Can't fall back to legacy load". */
const DISPATCHER_FEATURE_ERR = [
  'This means that the kernel does not support the features needed',
  'by the multiprog dispatcher, either because it is too old entirely,',
  'or because it is not yet supported on the current architecture.',
];

/** The verifier's statistics line when it stopped before looking at any instruction. */
const PROCESSED_NOTHING = 'processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0';

/** What libbpf prints (xdp-loader -vv) when the kernel refuses a program load, with its log. */
function libbpfLoadFailed(prog: string, file: string, errno: number, log: string[]): string[] {
  return [
    `  libbpf: prog '${prog}': BPF program load failed: ${STRERROR[errno] ?? `errno ${errno}`}`,
    `  libbpf: prog '${prog}': -- BEGIN PROG LOAD LOG --`,
    ...log,
    '-- END PROG LOAD LOG --',
    `  libbpf: prog '${prog}': failed to load: -${errno}`,
    `  libbpf: failed to load object '${file}'`,
  ];
}

/** Whether a pinned map can be reused for a map definition (libbpf `map_is_reuse_compat`). */
function compatible(m: BpfMap, s: MapSpec): boolean {
  return m.type === s.type && m.keySize === s.keySize && m.valueSize === s.valueSize && m.maxEntries === s.maxEntries && m.flags === s.flags;
}

/** One device's XDP state as JSON: mode, the attached program, components with prio and chain actions. */
export function deviceStatusJson(mgr: XdpManager, dev: XdpDevice): unknown {
  const k = mgr.kernel;
  const progs = mgr.attachmentsOf(dev.ns, dev.ifindex).map((a) => {
    const p = k.program(a.progId);
    return {
      mode: a.mode,
      id: a.progId,
      name: p?.funcName ?? '',
      tag: p?.tag ?? '',
      dispatcher: a.dispatcher !== undefined,
      ...(a.dispatcher
        ? {
            components: a.dispatcher.components.map((c) => ({
              id: c.progId,
              name: c.name,
              priority: c.runPrio,
              tag: k.program(c.progId)?.tag ?? c.tag,
              chain_call_actions: formatActions(c.chainCallActions).split(',').filter(Boolean),
            })),
          }
        : {}),
      stats: a.stats,
    };
  });
  return { ifname: dev.name, ifindex: dev.ifindex, programs: progs };
}
