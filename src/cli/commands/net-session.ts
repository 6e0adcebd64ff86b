/**
 * The state session every network command (ip, ping, inject, capture, the loader's views) runs
 * in: `withNet` loads the emulated network (and, through the kernel attachment, the XDP side)
 * from the state under its lock, runs the command and writes the state back; `reportNetError`
 * prints a refusal as the real tool words it.
 */
import { appendFileSync } from 'node:fs';
import { createNetState, isNetState, netStateProblem, NetError, Network, type FrameEvent, type NetState, type NetworkOptions, type XdpHook, type XdpInfoLookup } from '../../net/index';
import { kernelStateProblem, type IpXdpRequest, type ToolOutcome } from '../../kernel/index';
import { pcapRecord } from '../../pcap/index';
import { damagedState, StateStore, type StateSnapshot } from '../../state/index';
import { seedFromEnv } from '../../util/index';
import { err } from '../output';

/** What the emulated kernel contributes to a network session: its XDP hook and attachment views. */
export interface KernelAttachment {
  hook?: XdpHook;
  xdpInfo?: XdpInfoLookup;
  /** Called after the command, before the snapshot is written (the kernel saves its part). */
  save?: () => void;
  /** `ip link set DEV xdp... {obj FILE [sec S] | off}` on the emulated kernel (iproute2's outcome). */
  linkSetXdp?: (r: IpXdpRequest) => ToolOutcome;
}

let kernelFactory: ((snapshot: StateSnapshot, nowNs: () => bigint) => KernelAttachment) | undefined;

/**
 * Connects the emulated kernel: `factory` is called once per command with the snapshot and the
 * network's clock, and returns the XDP hook every received frame goes through.
 */
export function setKernelAttachment(factory: (snapshot: StateSnapshot, nowNs: () => bigint) => KernelAttachment): void {
  kernelFactory = factory;
}

/** One command's view of the network: the live Network plus the XDP views. */
export interface NetSession {
  net: Network;
  state: NetState;
  snapshot: StateSnapshot;
  xdpInfo: XdpInfoLookup | undefined;
  linkSetXdp: ((r: IpXdpRequest) => ToolOutcome) | undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` with the network loaded from the state under the state lock, then writes the state
 * back (unless `readonly`). Frames crossing an interface with an active capture are appended to
 * its pcap file.
 */
export async function withNet<T>(fn: (s: NetSession) => T | Promise<T>, options: { readonly?: boolean; extra?: NetworkOptions } = {}): Promise<T> {
  const store = new StateStore(undefined, {}, (snap) => kernelStateProblem(snap.kernel) ?? netStateProblem(snap.net));
  return store.withState(
    async (snapshot) => {
      if (!isNetState(snapshot.net)) {
        const seed = seedFromEnv();
        snapshot.net = createNetState(seed !== undefined ? { seed } : {});
      }
      const state = snapshot.net as NetState;
      // Capture sessions whose waiting process died are over.
      state.captures = state.captures.filter((c) => c.pid === undefined || pidAlive(c.pid));
      // So are the ping sockets of a ping that died while it waited without the lock.
      if (state.pingSockets) state.pingSockets = state.pingSockets.filter((p) => p.pid === undefined || pidAlive(p.pid));
      const pending: { file: string; bytes: Uint8Array }[] = [];
      const onFrame = (e: FrameEvent): void => {
        for (const c of state.captures) {
          if (c.ns !== e.ns || c.ifindex !== e.ifindex || (c.limit > 0 && c.count >= c.limit)) continue;
          c.count++;
          pending.push({ file: c.file, bytes: pcapRecord({ timeUs: state.epochUs + e.timeUs, data: e.frame }) });
        }
        options.extra?.onFrame?.(e);
      };
      let netRef: Network | undefined;
      let kernel: KernelAttachment;
      let net: Network;
      try {
        kernel = kernelFactory?.(snapshot, () => netRef?.nowNs() ?? 0n) ?? {};
        const netOptions: NetworkOptions = { onFrame };
        if (kernel.hook) netOptions.hook = kernel.hook;
        if (options.extra?.onVerdict) netOptions.onVerdict = options.extra.onVerdict;
        net = new Network(state, netOptions);
      } catch (e) {
        // The shapes were right but the parts cannot be rebuilt: refuse, write nothing.
        throw damagedState(store.file, e);
      }
      netRef = net;
      try {
        return await fn({ net, state, snapshot, xdpInfo: kernel.xdpInfo, linkSetXdp: kernel.linkSetXdp });
      } finally {
        for (const p of pending) {
          try {
            appendFileSync(p.file, p.bytes);
          } catch {
            // The capture file went away: the session ends.
            state.captures = state.captures.filter((c) => c.file !== p.file);
          }
        }
        kernel.save?.();
      }
    },
    options.readonly ? { readonly: true } : {},
  );
}

/** Prints a NetError as the real tool does (stderr, verbatim) and returns its exit status. */
export function reportNetError(e: unknown): number {
  if (e instanceof NetError) {
    err(e.message);
    return e.exitStatus;
  }
  throw e;
}
