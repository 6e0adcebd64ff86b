/**
 * `attachXDP`: attaches a program to a device's XDP hook in the shared emulated kernel, the way
 * cilium/ebpf's link.AttachXDP makes a bpf_link (BPF_LINK_CREATE, net/core/dev.c
 * `bpf_xdp_link_attach`): the mode is skb (XDP_FLAGS_SKB_MODE), native (XDP_FLAGS_DRV_MODE) or
 * unspecified (the kernel picks native when the driver supports it, generic otherwise); a link
 * cannot replace a program already attached in that mode (EBUSY, "Can't replace active XDP
 * program with BPF link"). The attachment lives in the state, so `xdpts status` shows it and
 * frames `xdpts inject`/`ping` deliver from other processes run the program.
 *
 * Like a link fd, the attachment ends when the link is closed, and when this process exits
 * (an `exit` handler closes open links; a process killed by SIGKILL leaves it, as a pinned link).
 */
import type { Program } from '../gen/runtime-contract';
import { XdpManager } from '../kernel';
import type { DeviceRef, XdpMode } from '../kernel';
import { ROOT_NS } from '../net';
import { BPF_PROG_TYPE_XDP } from '../object';
import { UsageError, XdptsError } from '../util/errors';
import { collect } from './gc';
import { disposeByClose, type MaybeDisposable } from './dispose';
import { onExit } from './handles';
import type { Host, Txn } from './host';
import { ProgramHandle } from './program';

/** Attach modes: the words of `xdpts load -m`. `hw` is refused by every emulated device. */
export type XdpAttachMode = 'skb' | 'native' | 'hw' | 'unspecified';

/** Options of {@link attachXDP}. */
export interface AttachXdpOptions {
  /** A program loaded through this library (an XDP program). */
  readonly program: Program;
  /** The device: its name (`eth0`) or ifindex. */
  readonly interface: string | number;
  /** The attach mode (default `unspecified`). */
  readonly mode?: XdpAttachMode;
  /** The network namespace of the device (default: the root namespace). */
  readonly netns?: string;
}

/** What a link reports about itself (cilium's Link.Info for XDP). */
export interface XdpLinkInfo {
  readonly ifindex: number;
  readonly interface: string;
  readonly netns: string;
  readonly progId: number;
  readonly mode: XdpMode;
}

/** An XDP attachment owned by this process, like a bpf_link. */
export interface XdpLink extends MaybeDisposable {
  /** Where and what: device, mode, program id. */
  info(): XdpLinkInfo;
  /** Atomically replaces the attached program (bpf_xdp_link_update); the old one is released. */
  update(program: Program): void;
  /**
   * Pins the link in the emulated bpffs (BPF_OBJ_PIN of a link fd): the attachment then
   * outlives this handle and this process, as a pinned bpf_link does.
   */
  pin(path: string): void;
  /** Removes the link's pin; if the handle is already closed, that detaches the program. */
  unpin(): void;
  /** The pin path, if pinned. */
  readonly pinned: string | undefined;
  /**
   * Releases the link (idempotent). Unless pinned, that detaches the program, which is freed
   * if nothing else references it.
   */
  close(): void;
}

const open = new Set<LinkImpl>();

function closeOpenLinks(): void {
  for (const l of [...open]) {
    try {
      l.close();
    } catch {
      // The state may be gone (a removed directory): nothing left to detach.
    }
  }
}

function asHandle(p: Program): ProgramHandle {
  if (!(p instanceof ProgramHandle)) throw new UsageError('attachXDP: the program must be one loaded by xdpts (CollectionSpec.load or a generated load…Objects)');
  if (p.type !== BPF_PROG_TYPE_XDP) throw new XdptsError(`attachXDP: program ${p.name} has type ${p.type}, not XDP (6)`, 'EINVAL');
  return p;
}

class LinkImpl implements XdpLink {
  private closed = false;
  private pinPath: string | undefined;

  constructor(
    private readonly host: Host,
    private readonly dev: DeviceRef,
    private readonly mode: XdpMode,
    private progId: number,
  ) {}

  info(): XdpLinkInfo {
    return { ifindex: this.dev.ifindex, interface: this.dev.name, netns: this.dev.ns, progId: this.progId, mode: this.mode };
  }

  /** The attachment this link made, if it is still the one in the state. */
  private mine(mgr: XdpManager): ReturnType<XdpManager['attachment']> {
    const a = mgr.attachment(this.dev.ns, this.dev.ifindex, this.mode);
    return a && a.progId === this.progId && a.dev.mac === this.dev.mac && !a.dispatcher ? a : undefined;
  }

  update(program: Program): void {
    if (this.closed) throw new XdptsError('the XDP link is closed', 'ENOLINK');
    const p = asHandle(program);
    if (p.host.stateDir !== this.host.stateDir) throw new XdptsError('attachXDP: the program lives in another state directory', 'EINVAL');
    const old = this.progId;
    this.host.write((t) => {
      p.requireLive(t);
      const mgr = t.xdp();
      mgr.reconcile();
      const a = this.mine(mgr);
      if (!a) throw new XdptsError(`the XDP link on ${this.dev.name} was detached by someone else`, 'ENOLINK');
      a.progId = p.id;
      collect(t, this.host.stateDir, [old], []);
    });
    this.progId = p.id;
  }

  pin(path: string): void {
    if (this.closed) throw new XdptsError('the XDP link is closed', 'ENOLINK');
    this.pinPath = this.host.write((t) => {
      const mgr = t.xdp();
      mgr.reconcile();
      if (!this.mine(mgr)) throw new XdptsError(`the XDP link on ${this.dev.name} was detached by someone else`, 'ENOLINK');
      // A link pin names the program the link holds (XdpManager counts it as a reference).
      return mgr.bpffs.pin(path, { kind: 'link', id: this.progId });
    });
  }

  unpin(): void {
    const path = this.pinPath;
    if (path === undefined) return;
    this.pinPath = undefined;
    this.host.write((t) => {
      const fs = t.xdp().bpffs;
      const e = fs.get(path);
      if (e && e.kind === 'link' && e.id === this.progId) fs.unpin(path);
      if (this.closed) this.detach(t);
    });
  }

  get pinned(): string | undefined {
    return this.pinPath;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    // A pinned link stays attached: the pin is a reference of its own.
    if (this.pinPath !== undefined) return;
    this.host.write((t) => this.detach(t));
  }

  /** Removes this link's attachment (if still the one in the state) and frees what it held. */
  private detach(t: Txn): void {
    const mgr = t.xdp();
    mgr.reconcile();
    const a = this.mine(mgr);
    if (a) mgr.state.attachments = mgr.state.attachments.filter((x) => x !== a);
    collect(t, this.host.stateDir, [this.progId], []);
  }
}
interface LinkImpl extends MaybeDisposable {}
disposeByClose(LinkImpl);

/** Finds the device of an attach request or throws ENODEV (as `ip link`'s "Cannot find device"). */
function findDevice(t: Txn, mgr: XdpManager, ns: string, iface: string | number) {
  const net = t.net();
  if (!net.namespaces.some((n) => n.name === ns)) throw new XdptsError(`network namespace "${ns}" does not exist`, 'ENOENT');
  const d = typeof iface === 'number' ? mgr.topology.device(ns, iface) : mgr.topology.byName(ns, iface);
  if (!d) throw new XdptsError(`Cannot find device "${String(iface)}"`, 'ENODEV');
  return d;
}

/**
 * Attaches `program` to the XDP hook of a device of the emulated network and returns the link.
 * Errors: ENODEV (no such device), EBUSY (a program is attached in that mode), EEXIST (the other
 * of native/generic is active), EOPNOTSUPP / EINVAL (mode not supported), as the kernel says.
 */
export function attachXDP(opts: AttachXdpOptions): XdpLink {
  const p = asHandle(opts.program);
  const mode = opts.mode ?? 'unspecified';
  if (!['skb', 'native', 'hw', 'unspecified'].includes(mode)) throw new UsageError(`attachXDP: unknown mode '${String(mode)}' (skb, native, hw or unspecified)`);
  const ns = opts.netns ?? ROOT_NS;
  const host = p.host;
  const made = host.write((t) => {
    p.requireLive(t);
    const mgr = t.xdp();
    mgr.reconcile();
    const dev = findDevice(t, mgr, ns, opts.interface);
    const m = XdpManager.resolveMode(dev, mode);
    mgr.attach(dev, p.id, m, { noexist: true });
    return { dev: XdpManager.ref(dev), mode: m };
  });
  const link = new LinkImpl(host, made.dev, made.mode, p.id);
  open.add(link);
  // A link fd closes when its process exits: detach what is still open (sync transactions).
  onExit(closeOpenLinks);
  return link;
}
