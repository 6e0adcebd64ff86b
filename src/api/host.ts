/**
 * The library's door to the shared emulated kernel. An application is a long-running process
 * while CLI commands (`xdpts inject`, `xdpts status`, `xdpts map dump`) are short ones that
 * open the state, change it and save it; so the library keeps no kernel of its own. Every
 * operation is one short transaction on the StateStore: lock → read the snapshot → hydrate the
 * Kernel (and its XDP side) → operate → save when asked → unlock. Live handles (maps,
 * programs, links) refer to kernel objects by id, the way a file descriptor does.
 */
import { Kernel } from '../kernel';
import { XdpManager } from '../kernel';
import { createNetState, isNetState, ROOT_NS, type NetState } from '../net';
import { StateStore, type StateSnapshot } from '../state';
import { readKernelPart, writeKernelPart } from './kernel-part';
import { netTopology } from './topology';

/** What one transaction sees: the kernel hydrated from the snapshot, and the snapshot itself. */
export interface Txn {
  /** The kernel, rebuilt from the snapshot (a fresh one when the state has none yet). */
  readonly kernel: Kernel;
  /** The whole snapshot (the network keeps its part in it). */
  readonly snapshot: StateSnapshot;
  /** The network state, created as the CLI creates it when the state has none yet. */
  net(): NetState;
  /** The XDP side of the kernel (attachments, bpffs pins) over this state's network. */
  xdp(): XdpManager;
}

/** Options of a host: the state directory is fixed when the host is made. */
export interface HostOptions {
  /** The state directory; `XDPTS_STATE_DIR` (or its default) when absent. */
  readonly stateDir?: string;
}

/** `XDPTS_SEED`, as the CLI reads it for a fresh network (same seed, same MACs). */
function seedFromEnv(): number | undefined {
  const s = process.env['XDPTS_SEED'];
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n >>> 0 : undefined;
}

/** A handle onto one state directory: runs transactions against the emulated kernel there. */
export class Host {
  /** The store under the state directory. */
  readonly store: StateStore;

  constructor(opts: HostOptions = {}) {
    this.store = opts.stateDir === undefined ? new StateStore() : new StateStore(opts.stateDir);
  }

  /** The state directory this host works on. */
  get stateDir(): string {
    return this.store.dir;
  }

  /**
   * Runs `fn` in one locked transaction. With `write`, the kernel part is written back when
   * `fn` returns; when it throws nothing is written, so a failed operation leaves the state as
   * it was (operations with partial effects, like batches, catch and rethrow after).
   */
  run<T>(fn: (t: Txn) => T, opts: { write: boolean }): T {
    return this.store.withStateSync(
      (snapshot) => {
        const part = readKernelPart(snapshot);
        let net: NetState | undefined;
        let mgr: XdpManager | undefined;
        const getNet = (): NetState => {
          if (net) return net;
          if (!isNetState(snapshot.net)) {
            const seed = seedFromEnv();
            snapshot.net = createNetState(seed !== undefined ? { seed } : {});
          }
          return (net = snapshot.net as NetState);
        };
        // As the CLI hydrates it (src/cli/commands/net-wiring.ts): devmap updates check that the
        // ifindex exists in the root namespace; a fresh kernel takes XDPTS_SEED as its seed.
        const ifindexExists = (ifindex: number): boolean => getNet().namespaces.find((n) => n.name === ROOT_NS)?.ifaces.some((i) => i.ifindex === ifindex) ?? false;
        const seed = seedFromEnv();
        const kernel = part.core ? Kernel.fromSnapshot(part.core, { ifindexExists }) : new Kernel({ ifindexExists, ...(seed !== undefined ? { seed } : {}) });
        const txn: Txn = {
          kernel,
          snapshot,
          net: getNet,
          xdp: () => (mgr ??= new XdpManager(kernel, part.xdp, netTopology(getNet()))),
        };
        const result = fn(txn);
        if (opts.write) writeKernelPart(snapshot, kernel.toSnapshot(), mgr?.state ?? part.xdp);
        return result;
      },
      { readonly: !opts.write },
    );
  }

  /** A read-only transaction (nothing is written back). */
  read<T>(fn: (t: Txn) => T): T {
    return this.run(fn, { write: false });
  }

  /** A read-write transaction. */
  write<T>(fn: (t: Txn) => T): T {
    return this.run(fn, { write: true });
  }
}
