/**
 * The kernel's XDP attach points (net/core/dev.c `dev_xdp_attach`, `dev_change_xdp_fd`): one
 * program per mode per device, native and generic mutually exclusive, offload beside either;
 * attach with UPDATE_IF_NOEXIST refuses an attached device (EBUSY), a plain attach replaces
 * atomically, REPLACE checks the expected old program (EEXIST). Detaching what is not attached
 * succeeds. A program is freed once nothing references it (attachment, dispatcher slot, pin,
 * devmap/cpumap entry), and its maps with it unless pinned (reference §3.3).
 */
import type { Kernel } from '../kernel';
import { Bpffs } from '../bpffs';
import { XdpError } from './errors';
import { emptyXdpState, type DeviceRef, type XdpAttachment, type XdpMode, type XdpState } from './state';
import { supportsNative, supportsOffload, type XdpDevice, type XdpTopology } from './topology';
import { DevMap, DevMapHash } from '../maps/devmap';

const EBUSY = 16;
const EEXIST = 17;
const EINVAL = 22;
const EOPNOTSUPP = 95;

/** Attach flags (uapi if_link.h XDP_FLAGS_*), as the options of {@link XdpManager.attach}. */
export interface AttachFlags {
  /** XDP_FLAGS_UPDATE_IF_NOEXIST: refuse when a program is attached in this mode. */
  noexist?: boolean;
  /** XDP_FLAGS_REPLACE with this expected old program id. */
  expectedOld?: number;
}

/** What `ip link` shows about a device's XDP program (the attached one of the highest-priority mode). */
export interface XdpLinkInfo {
  mode: XdpMode;
  id: number;
  name: string;
  tag: string;
}

/** libxdp's bpffs directory of a dispatcher: `xdp/dispatch-<ifindex>-<dispatcher id>`. */
export function dispatcherDir(ifindex: number, dispatcherId: number): string {
  return `/sys/fs/bpf/xdp/dispatch-${ifindex}-${dispatcherId}`;
}

/** The XDP side of one emulated kernel over a network topology. */
export class XdpManager {
  readonly kernel: Kernel;
  readonly state: XdpState;
  readonly topology: XdpTopology;
  readonly bpffs: Bpffs;

  constructor(kernel: Kernel, state: XdpState | undefined, topology: XdpTopology) {
    this.kernel = kernel;
    this.state = state ?? emptyXdpState();
    this.topology = topology;
    this.bpffs = new Bpffs(this.state);
  }

  /** The reference an attachment keeps of a device. */
  static ref(d: XdpDevice): DeviceRef {
    return { ns: d.ns, ifindex: d.ifindex, name: d.name, mac: d.mac };
  }

  /**
   * Brings the attachments in line with the devices: a device moved to another namespace keeps
   * its program (found again by MAC), a deleted device (veth deleted, netns deleted) loses it
   * and the program is freed (reference §3.3).
   */
  reconcile(): void {
    for (const a of [...this.state.attachments]) {
      const here = this.topology.device(a.dev.ns, a.dev.ifindex);
      if (here && here.mac === a.dev.mac) {
        a.dev.name = here.name;
        continue;
      }
      const moved = this.topology.byMac(a.dev.mac);
      if (moved) {
        a.dev = XdpManager.ref(moved);
        continue;
      }
      this.state.attachments = this.state.attachments.filter((x) => x !== a);
      // libxdp would leave the dispatcher's pins for `xdp-loader clean`; removing them here
      // frees the components with the device, as the kernel frees a plain program.
      if (a.dispatcher) this.bpffs.removeTree(dispatcherDir(a.dev.ifindex, a.progId));
      this.releaseAttachment(a);
    }
  }

  /** The attachments of a device (at most one of skb/native, plus hw). */
  attachmentsOf(ns: string, ifindex: number): XdpAttachment[] {
    return this.state.attachments.filter((a) => a.dev.ns === ns && a.dev.ifindex === ifindex);
  }

  /** The attachment of a device in one mode. */
  attachment(ns: string, ifindex: number, mode: XdpMode): XdpAttachment | undefined {
    return this.state.attachments.find((a) => a.dev.ns === ns && a.dev.ifindex === ifindex && a.mode === mode);
  }

  /** The attachment that receives packets (skb or native; hw never exists on emulated devices). */
  rxAttachment(ns: string, ifindex: number): XdpAttachment | undefined {
    return this.state.attachments.find((a) => a.dev.ns === ns && a.dev.ifindex === ifindex && a.mode !== 'hw');
  }

  /**
   * The mode `unspecified` resolves to (no mode flag: the kernel picks driver mode when the
   * driver has ndo_bpf, generic otherwise — veth → native, lo → skb).
   */
  static resolveMode(d: XdpDevice, mode: XdpMode | 'unspecified'): XdpMode {
    if (mode !== 'unspecified') return mode;
    return supportsNative(d) ? 'native' : 'skb';
  }

  /**
   * Attaches program `progId` to `dev` in `mode` and returns the id of the program it replaced
   * (or undefined). The replaced program is released (freed if nothing else holds it).
   */
  attach(dev: XdpDevice, progId: number, mode: XdpMode, flags: AttachFlags = {}, dispatcher?: XdpAttachment['dispatcher']): number | undefined {
    this.kernel.requireProgram(progId);
    if (mode === 'hw' && !supportsOffload(dev)) throw new XdpError(EINVAL, 'Underlying driver does not support XDP offload.');
    // dev_xdp_attach checks the other mode before the driver (observed: xdpdrv on lo with a
    // generic program attached says "Native and generic...").
    const other = mode === 'skb' ? 'native' : mode === 'native' ? 'skb' : undefined;
    if (other && this.attachment(dev.ns, dev.ifindex, other)) throw new XdpError(EEXIST, "Native and generic XDP can't be active at the same time.");
    if (mode === 'native' && !supportsNative(dev)) throw new XdpError(EOPNOTSUPP, 'Underlying driver does not support XDP in native mode.');
    const cur = this.attachment(dev.ns, dev.ifindex, mode);
    if (flags.expectedOld !== undefined && cur?.progId !== flags.expectedOld) throw new XdpError(EEXIST, 'Active program does not match expected.');
    if (cur && flags.noexist) throw new XdpError(EBUSY, 'XDP program already attached.');
    const fresh: XdpAttachment = {
      dev: XdpManager.ref(dev),
      mode,
      progId,
      ...(dispatcher ? { dispatcher } : {}),
      stats: cur?.stats ?? { runs: 0, exceptions: 0, redirects: 0, redirectErrors: 0 },
    };
    if (cur) {
      this.state.attachments[this.state.attachments.indexOf(cur)] = fresh;
      // Components carried over into the new dispatcher stay; the rest is released.
      this.releaseAttachment(cur, new Set(dispatcher?.components.map((c) => c.progId) ?? []));
      return cur.progId;
    }
    this.state.attachments.push(fresh);
    return undefined;
  }

  /** Detaches the program of `mode` from a device (nothing attached: success, as the kernel). */
  detach(dev: XdpDevice, mode: XdpMode): number | undefined {
    const cur = this.attachment(dev.ns, dev.ifindex, mode);
    if (!cur) return undefined;
    this.state.attachments = this.state.attachments.filter((a) => a !== cur);
    this.releaseAttachment(cur);
    return cur.progId;
  }

  /** Releases the programs an attachment held (dispatcher and components), except `keep`. */
  private releaseAttachment(a: XdpAttachment, keep: ReadonlySet<number> = new Set()): void {
    this.release(a.progId);
    for (const c of a.dispatcher?.components ?? []) if (!keep.has(c.progId)) this.release(c.progId);
  }

  /** Program ids something still holds: attachments, dispatcher slots, pins, devmap/cpumap entries. */
  heldPrograms(): Set<number> {
    const held = new Set<number>();
    for (const a of this.state.attachments) {
      held.add(a.progId);
      for (const c of a.dispatcher?.components ?? []) held.add(c.progId);
    }
    for (const id of this.bpffs.pinnedIds('prog')) held.add(id);
    for (const id of this.bpffs.pinnedIds('link')) held.add(id);
    for (const m of this.kernel.mapList()) {
      if (m instanceof DevMap || m instanceof DevMapHash) for (const t of m.targets()) if (t.progId) held.add(t.progId);
    }
    return held;
  }

  /**
   * Frees program `id` when nothing holds it any more, with the maps only it used (pinned maps
   * stay, as the kernel keeps an object alive while a pin refers to it).
   */
  release(id: number): void {
    if (!this.kernel.program(id) || this.heldPrograms().has(id)) return;
    this.kernel.unloadProgram(id, { freeMaps: true, keepMaps: this.bpffs.pinnedIds('map') });
    this.state.extProgs = this.state.extProgs.filter((x) => x !== id);
    delete this.state.progBtf[String(id)];
    this.forgetFreedMaps();
  }

  /** Drops the BTF bookkeeping of maps the kernel no longer has. */
  forgetFreedMaps(): void {
    for (const k of Object.keys(this.state.mapBtf)) if (!this.kernel.map(Number(k))) delete this.state.mapBtf[k];
    for (const k of Object.keys(this.state.mapLayouts)) if (!this.kernel.map(Number(k))) delete this.state.mapLayouts[k];
  }

  /** What `ip link` shows for a device: the generic/native program, else the offloaded one. */
  linkInfo(ns: string, ifindex: number): XdpLinkInfo | undefined {
    const a = this.rxAttachment(ns, ifindex) ?? this.attachment(ns, ifindex, 'hw');
    if (!a) return undefined;
    const p = this.kernel.program(a.progId);
    if (!p) return undefined;
    return { mode: a.mode, id: p.id, name: p.name, tag: p.tag };
  }

  /** True when the device has a program attached in driver (native) mode. */
  hasNative(ns: string, ifindex: number): boolean {
    return this.attachment(ns, ifindex, 'native') !== undefined;
  }
}
