/**
 * BPF_PROG_TEST_RUN for XDP programs (net/bpf/test_run.c `bpf_prog_test_run_xdp`), with the
 * behaviour measured on Linux 6.18 through `bpftool prog run`:
 *
 * - `data_in` shorter than ETH_HLEN (14) → EINVAL (bpf_test_init).
 * - The frame is 4096 bytes: 256 bytes of headroom (XDP_PACKET_HEADROOM), at most 3520 bytes of
 *   linear data, 320 bytes for skb_shared_info. Longer input is accepted even for programs
 *   without `xdp.frags`: the rest goes to page frags (up to MAX_SKB_FRAGS = 17 pages, so 73152
 *   bytes in all; more → ENOMEM). The program sees only the linear part
 *   (`data_end - data` = 3520, bpf_xdp_get_buff_len = the whole size); helpers reach the frags
 *   (bpf_xdp_load_bytes/store_bytes across them, bpf_xdp_adjust_tail on the last one).
 * - `data_out` is the packet from `data_meta` to `data_end` plus the frags: metadata the
 *   program added with bpf_xdp_adjust_meta comes first. A user buffer too small for it gives
 *   ENOSPC (bpftool's buffer is 32768 bytes).
 * - `repeat` N (0 means 1) runs the program N times on the same buffer with no reset between
 *   runs (an adjust_tail of +100 with repeat 2 gives 200 more bytes); `retval` is the last
 *   run's r0 (u32) and `duration` the average ns per run.
 * - XDP_TX, XDP_REDIRECT, XDP_ABORTED and any other value are simply returned: without
 *   BPF_F_TEST_XDP_LIVE_FRAMES nothing is transmitted or redirected; map writes stay.
 * - The packet arrives on the loopback device: `ingress_ifindex` 1, `rx_queue_index` 0. A
 *   `ctx_in` (`struct xdp_md`) may name another device: egress_ifindex must be 0, an unknown
 *   ifindex is ENODEV, a queue index past the device's queues (or set without an ifindex) EINVAL;
 *   it may put metadata in front of the packet and end the linear part early (./xdp-md.ts).
 */
import { XDP_MAX_PACKET, type VmFault } from '../vm/types';
import { EINVAL, ENODEV, ENOMEM, ENOSPC } from './errno';
import { ctxU32, splitDataIn, TestRunError, xdpMdToBytes, type XdpMdIn } from './xdp-md';
import type { Kernel } from './kernel';
import type { LoadedProgram } from './program';
import { BPF_XDP_CPUMAP, BPF_XDP_DEVMAP } from './maps/redirect-slots';

/** MAX_SKB_FRAGS (17 on x86_64 with 4 KiB pages): page frags a test frame may carry. */
export const MAX_SKB_FRAGS = 17;
/** PAGE_SIZE: each frag of a test frame is at most one page. */
const PAGE_SIZE = 4096;
/** Largest `data_in` an XDP test run accepts: the linear part plus 17 pages. */
export const XDP_TEST_MAX_INPUT = XDP_MAX_PACKET + MAX_SKB_FRAGS * PAGE_SIZE;
/** The output buffer bpftool gives `bpftool prog run` (measured: 32768 bytes). */
export const BPFTOOL_DATA_SIZE_OUT = 32768;
/** ifindex of the loopback device the test packet arrives on. */
export const LOOPBACK_IFINDEX = 1;

/** Options of one BPF_PROG_TEST_RUN. */
export interface TestRunOptions {
  /** `data_in`: the packet. */
  readonly packet: Uint8Array;
  /** `repeat` (0 or absent means 1). */
  readonly repeat?: number;
  /** `ctx_in`. */
  readonly ctx?: XdpMdIn;
  /** `data_size_out`: the caller's output buffer; unlimited when absent. */
  readonly dataSizeOut?: number;
  /** CPU the run is on (default 0). */
  readonly cpu?: number;
  /**
   * Whether to measure `durationNs` (default true, as the syscall always does). Two clock reads
   * cost more than running a small program: a caller that runs one packet and has no use for
   * the time turns it off (durationNs is then 0).
   */
  readonly timed?: boolean;
  /**
   * Receive queues of a device (`real_num_rx_queues`), undefined when no such device. Default:
   * loopback and every device the kernel's `ifindexExists` accepts (without that hook: lo and
   * eth0 of a fresh emulated network), with one queue each.
   */
  readonly rxQueues?: (ifindex: number) => number | undefined;
}

/** What BPF_PROG_TEST_RUN returns for an XDP program. */
export interface TestRunResult {
  /** `retval`: the program's r0, low 32 bits, unsigned (XDP_ABORTED after a fault). */
  readonly retval: number;
  /** The full 64-bit r0 as hex (`0x...`). */
  readonly r0: string;
  /** `data_out`: data_meta..data_end plus frags. */
  readonly dataOut: Uint8Array;
  /** The metadata part of `dataOut` in bytes (data - data_meta). */
  readonly metaLen: number;
  /** `duration`: average ns per run. */
  readonly durationNs: number;
  /** The run's fault, when the program faulted (a kernel program never does: the verifier). */
  readonly fault?: VmFault;
  /** `ctx_out` (a struct xdp_md of XDP_MD_SIZE bytes), for a run given a ctx. */
  readonly ctxOut?: Uint8Array;
}

/** Runs BPF_PROG_TEST_RUN for an XDP program of `kernel`. Throws {@link TestRunError}. */
export function testRunXdp(kernel: Kernel, prog: LoadedProgram, opts: TestRunOptions): TestRunResult {
  const data = opts.packet;
  // bpf_prog_test_run_xdp: programs for devmap and cpumap entries cannot be test-run.
  if (prog.attachType === BPF_XDP_DEVMAP || prog.attachType === BPF_XDP_CPUMAP) {
    throw new TestRunError(EINVAL, `test run: a program attached as ${prog.attachType === BPF_XDP_DEVMAP ? 'xdp/devmap' : 'xdp/cpumap'} cannot be test-run`);
  }
  const repeat = Math.max(1, ctxU32(opts.repeat, 'repeat'));
  const { meta, linear } = splitDataIn(data.length, opts.ctx);
  const ctx = opts.ctx ?? NO_CTX;
  // xdp_convert_md_to_buff: egress_ifindex is an output only; a queue needs a device.
  if (ctxU32(ctx.egress_ifindex, 'egress_ifindex') !== 0) throw new TestRunError(EINVAL, 'test run: ctx egress_ifindex must be 0');
  let ingress = ctxU32(ctx.ingress_ifindex, 'ingress_ifindex');
  const queue = ctxU32(ctx.rx_queue_index, 'rx_queue_index');
  if (ingress === 0 && queue !== 0) throw new TestRunError(EINVAL, 'test run: ctx rx_queue_index needs an ingress_ifindex');
  if (ingress !== 0) {
    const queues = (opts.rxQueues ?? defaultRxQueues(kernel))(ingress);
    if (queues === undefined) throw new TestRunError(ENODEV, `test run: no device with ifindex ${ingress}`);
    if (queue >= queues) throw new TestRunError(EINVAL, `test run: rx_queue_index ${queue} is past the ${queues} queue(s) of ifindex ${ingress}`);
  } else {
    ingress = LOOPBACK_IFINDEX;
  }
  // What does not fit the linear part goes to page-sized frags (see the header).
  if (data.length - linear > MAX_SKB_FRAGS * PAGE_SIZE)
    throw new TestRunError(ENOMEM, `test run: data_in of ${data.length} bytes needs more than MAX_SKB_FRAGS (${MAX_SKB_FRAGS}) frags`);
  const packet = meta === 0 && linear === data.length ? data : data.subarray(meta, linear);
  const metaIn = meta === 0 ? undefined : data.subarray(0, meta);
  // (No array and one input shape when there are no frags: this is every unit test's path.)
  let frags: Uint8Array[] | undefined;
  for (let at = linear; at < data.length; at += PAGE_SIZE) (frags ??= []).push(data.subarray(at, at + PAGE_SIZE));
  // The VM times a run only when given a repeat (see XdpInput).
  const runs = opts.timed === false && repeat === 1 ? undefined : repeat;
  const r = kernel.runXdp(prog, { packet, meta: metaIn, ingressIfindex: ingress, rxQueueIndex: queue, repeat: runs, frags }, { cpu: opts.cpu ?? 0, comm: 'xdpts' });
  const metaLen = r.meta.length;
  let fragsLen = 0;
  for (const f of r.frags) fragsLen += f.length;
  const outLen = metaLen + r.packet.length + fragsLen;
  if (opts.dataSizeOut !== undefined && outLen > opts.dataSizeOut)
    throw new TestRunError(ENOSPC, `test run: data_out of ${outLen} bytes does not fit the ${opts.dataSizeOut}-byte buffer`);
  // r.packet is the run's own copy: it is data_out as it is unless metadata or frags join it.
  let dataOut = r.packet;
  if (outLen !== r.packet.length) {
    dataOut = new Uint8Array(outLen);
    dataOut.set(r.meta, 0);
    dataOut.set(r.packet, metaLen);
    let at = metaLen + r.packet.length;
    for (const f of r.frags) {
      dataOut.set(f, at);
      at += f.length;
    }
  }
  const run = new TestRun(r.fault ? 0 : r.r0lo >>> 0, r.fault ? 0 : r.r0hi >>> 0, dataOut, metaLen, r.durationNs, r.fault);
  if (opts.ctx !== undefined) run.ctxIn(opts.ctx, r.packet.length);
  return run;
}

const NO_CTX: XdpMdIn = Object.freeze({});

/**
 * A test run's result: a class so that every run has one shape, with the hex `r0` made only
 * when read (formatting it cost more than running a small program).
 */
class TestRun implements TestRunResult {
  readonly retval: number;
  readonly metaLen: number;
  readonly durationNs: number;
  readonly fault?: VmFault;
  readonly dataOut: Uint8Array;
  private readonly hi: number;
  constructor(lo: number, hi: number, dataOut: Uint8Array, metaLen: number, durationNs: number, fault: VmFault | undefined) {
    this.retval = lo;
    this.hi = hi;
    this.dataOut = dataOut;
    this.metaLen = metaLen;
    this.durationNs = durationNs;
    if (fault) this.fault = fault;
  }
  private md: XdpMdIn | undefined = undefined;
  private linearLen = 0;
  /** Keeps what ctx_out is made of (only for runs given a ctx). */
  ctxIn(md: XdpMdIn, linearLen: number): void {
    this.md = md;
    this.linearLen = linearLen;
  }
  get ctxOut(): Uint8Array | undefined {
    const md = this.md;
    if (md === undefined) return undefined;
    const m = this.metaLen;
    return xdpMdToBytes({ ...md, data: m, data_end: m + this.linearLen, data_meta: 0, egress_ifindex: 0 });
  }
  get r0(): string {
    const lo = this.retval;
    return `0x${this.hi ? this.hi.toString(16) + lo.toString(16).padStart(8, '0') : lo.toString(16)}`;
  }
}

/**
 * Devices when the kernel has no device hook: those of a fresh emulated network (src/net), lo
 * (1) and eth0 (2), one receive queue each.
 */
const DEFAULT_IFINDEXES: ReadonlySet<number> = new Set([LOOPBACK_IFINDEX, 2]);

function defaultRxQueues(kernel: Kernel): (ifindex: number) => number | undefined {
  const exists = kernel.mapEnv.ifindexExists;
  return (ifindex) => (ifindex === LOOPBACK_IFINDEX || (exists ? exists(ifindex) : DEFAULT_IFINDEXES.has(ifindex)) ? 1 : undefined);
}

/** The action name of an XDP return value (`XDP_PASS`...), or `unknown (N)`. */
export function xdpActionName(v: number): string {
  return XDP_ACTION_NAMES[v] ?? `unknown (${v})`;
}
const XDP_ACTION_NAMES: readonly string[] = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];

