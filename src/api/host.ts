/**
 * The library's doors to an emulated kernel. Two kinds, one interface:
 *
 * - {@link StateHost}: the shared kernel of a state directory. An application is a long-running
 *   process while CLI commands (`xdpts inject`, `xdpts status`, `xdpts map dump`) are short
 *   ones that open the state, change it and save it; so this host keeps no kernel of its own.
 *   Every operation is one short transaction on the StateStore: lock → read the snapshot →
 *   hydrate the Kernel (and its XDP side) → operate → save when asked → unlock.
 * - {@link MemoryHost}: a private kernel living in this process only (unit tests, CI): no files,
 *   no locks, nothing shared; a transaction is a plain call on the live kernel.
 *
 * Live handles (maps, programs, links) refer to kernel objects by id, the way a file descriptor
 * does, so they work the same on both.
 */
import { emptyXdpState, Kernel, kernelStateProblem, XdpManager, type ClockSetting } from '../kernel';
import { createNetState, isNetState, netStateProblem, ROOT_NS, type NetState } from '../net';
import { STATE_VERSION, StateStore, type StateSnapshot } from '../state';
import { seedFromEnv } from '../util';
import { readKernelPart, writeKernelPart } from './kernel-part';
import { netTopology } from './topology';

/** What one transaction sees: the kernel, and the snapshot its network lives in. */
export interface Txn {
  /** The kernel (rebuilt from the snapshot for a state directory; the live one in memory). */
  readonly kernel: Kernel;
  /** The whole snapshot (the network keeps its part in it). */
  readonly snapshot: StateSnapshot;
  /** The network state, created as the CLI creates it when the state has none yet. */
  net(): NetState;
  /** The XDP side of the kernel (attachments, bpffs pins) over this state's network. */
  xdp(): XdpManager;
}

/** A door to one emulated kernel. */
export interface Host {
  /**
   * Where the kernel lives: the state directory, or `memory:N` for an in-memory kernel. It also
   * keys this process's handle bookkeeping (src/api/handles.ts).
   */
  readonly stateDir: string;
  /** True for a private in-memory kernel. */
  readonly inMemory: boolean;
  /**
   * Whether a single run (no `repeat`) reports its wall time. A virtual-clock kernel's results
   * repeat exactly, durations included (0), and a unit test's run skips two clock reads.
   */
  readonly timesSingleRuns: boolean;
  /**
   * Runs `fn` in one transaction. With `write` on a state directory, the kernel part is written
   * back when `fn` returns; when it throws nothing is written. In memory every change is live at
   * once: operations that can fail half-way clean up themselves (collection load does).
   */
  run<T>(fn: (t: Txn) => T, opts: { write: boolean }): T;
  /** A read-only transaction. */
  read<T>(fn: (t: Txn) => T): T;
  /** A read-write transaction. */
  write<T>(fn: (t: Txn) => T): T;
}

/** Options of a host: the state directory is fixed when the host is made. */
export interface HostOptions {
  /** The state directory; `XDPTS_STATE_DIR` (or its default) when absent. */
  readonly stateDir?: string;
}

/** Whether `ifindex` is a device of the root namespace (devmap updates check it). */
function rootHas(net: NetState, ifindex: number): boolean {
  return net.namespaces.find((n) => n.name === ROOT_NS)?.ifaces.some((i) => i.ifindex === ifindex) ?? false;
}

/** A handle onto one state directory: runs transactions against the emulated kernel there. */
export class StateHost implements Host {
  /** The store under the state directory. */
  readonly store: StateStore;
  readonly inMemory = false;
  readonly timesSingleRuns = true;

  constructor(opts: HostOptions = {}) {
    this.store = new StateStore(opts.stateDir, {}, (snap) => kernelStateProblem(snap.kernel) ?? netStateProblem(snap.net));
  }

  get stateDir(): string {
    return this.store.dir;
  }

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
        const ifindexExists = (ifindex: number): boolean => rootHas(getNet(), ifindex);
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

  read<T>(fn: (t: Txn) => T): T {
    return this.run(fn, { write: false });
  }

  write<T>(fn: (t: Txn) => T): T {
    return this.run(fn, { write: true });
  }
}

/** Options of an in-memory kernel, fixed when it is made. */
export interface MemoryHostOptions {
  /** Seed of bpf_get_prandom_u32 and of the network's MAC addresses. */
  readonly seed: number;
  /** `virtual` (reproducible: starts at 1 s, 1 µs per reading) or `real`. */
  readonly clock: Extract<ClockSetting, string>;
  /** Possible CPUs (per-CPU map values have one element per CPU). */
  readonly ncpus: number;
  /** The engine programs are compiled for. */
  readonly engine: 'jit' | 'interp';
}

let memoryHosts = 0;

/** A private kernel in this process: transactions are plain calls on the live objects. */
export class MemoryHost implements Host {
  readonly stateDir: string;
  readonly inMemory = true;
  readonly timesSingleRuns: boolean;
  /** The live kernel. */
  readonly kernel: Kernel;
  /** The one transaction of this kernel: every call sees the live objects. */
  readonly txn: Txn;

  constructor(opts: MemoryHostOptions) {
    this.stateDir = `memory:${++memoryHosts}`;
    this.timesSingleRuns = opts.clock === 'real';
    const net = createNetState({ seed: opts.seed });
    const snapshot: StateSnapshot = { version: STATE_VERSION, kernel: null, net };
    const kernel = new Kernel({ seed: opts.seed, clock: opts.clock, ncpus: opts.ncpus, engine: opts.engine, ifindexExists: (i) => rootHas(net, i) });
    this.kernel = kernel;
    let mgr: XdpManager | undefined;
    this.txn = { kernel, snapshot, net: () => net, xdp: () => (mgr ??= new XdpManager(kernel, emptyXdpState(), netTopology(net))) };
  }

  run<T>(fn: (t: Txn) => T): T {
    return fn(this.txn);
  }

  read<T>(fn: (t: Txn) => T): T {
    return fn(this.txn);
  }

  write<T>(fn: (t: Txn) => T): T {
    return fn(this.txn);
  }
}
