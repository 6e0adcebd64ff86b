/**
 * `Program`: a handle on a loaded program of the shared emulated kernel, by id. `testRun` is
 * BPF_PROG_TEST_RUN (src/kernel/test-run.ts, the kernel's semantics: runts EINVAL, 256 bytes of
 * headroom, XDP_TX/REDIRECT only returned, map writes kept — so the run is a write transaction).
 */
import type { Program, RunOptions, RunResult, TestRunOptions, TestRunResult } from '../gen/runtime-contract';
import { xdpActionName, type TestRunOptions as KernelTestRunOptions, type TestRunResult as KernelTestRunResult, type XdpMdIn } from '../kernel';
import { XdptsError } from '../util/errors';
import { disposeByClose, type MaybeDisposable } from './dispose';
import type { Fd } from './handles';
import { MemoryHost, type Host, type Txn } from './host';
import type { PinService } from './pins';

/** `sizeof(struct xdp_md)`: six u32 fields (include/uapi/linux/bpf.h). */
export const XDP_MD_SIZE = 24;

/** What a program handle knows of its program (fixed at load). */
export interface ProgramInfo {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly section: string;
  readonly tag: string;
}

/**
 * Reads a `struct xdp_md` given as `ctx_in` (little-endian host order, as the syscall takes
 * it): data, data_end and data_meta must describe the packet with no metadata, which is what
 * bpf_prog_test_run_xdp accepts without BPF_F_TEST_XDP_LIVE_FRAMES support for metadata here.
 */
function parseXdpMd(ctx: Uint8Array, packetLen: number): XdpMdIn {
  if (ctx.length !== XDP_MD_SIZE) throw new XdptsError(`ctx is ${ctx.length} bytes, struct xdp_md is ${XDP_MD_SIZE}`, 'EINVAL');
  const v = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  const data = v.getUint32(0, true);
  const dataEnd = v.getUint32(4, true);
  const dataMeta = v.getUint32(8, true);
  // net/bpf/test_run.c: data_meta must be 0 and data_end the packet size (or 0: unset).
  if (dataMeta !== 0 || (dataEnd !== 0 && dataEnd !== packetLen) || data > dataEnd)
    throw new XdptsError('ctx: data_meta must be 0 and data_end the packet length', 'EINVAL');
  if (data !== 0) throw new XdptsError('ctx: metadata in front of the packet (data > 0) is not supported by the emulated test run', 'EOPNOTSUPP');
  return { ingress_ifindex: v.getUint32(12, true), rx_queue_index: v.getUint32(16, true), egress_ifindex: v.getUint32(20, true) };
}

/** `ctx_out` as xdp_convert_buff_to_md writes it: data/data_end relative to data_meta. */
function xdpMdOut(ctxIn: XdpMdIn, metaLen: number, outLen: number): Uint8Array {
  const b = new Uint8Array(XDP_MD_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, metaLen, true);
  v.setUint32(4, outLen, true);
  v.setUint32(12, ctxIn.ingress_ifindex ?? 0, true);
  v.setUint32(16, ctxIn.rx_queue_index ?? 0, true);
  v.setUint32(20, ctxIn.egress_ifindex ?? 0, true);
  return b;
}

const EMPTY = new Uint8Array(0);

/** A run's result (a class: one shape for every run keeps the test loop monomorphic). */
class Run implements RunResult {
  readonly action: RunResult['action'];
  constructor(
    readonly retval: number,
    readonly packet: Uint8Array,
    readonly meta: Uint8Array,
    readonly durationNs: number,
    readonly fault: string | undefined,
  ) {
    this.action = xdpActionName(retval) as RunResult['action'];
  }
}

/** A program handle; see the contract in src/gen/runtime-contract.ts. */
export class ProgramHandle implements Program {
  readonly name: string;
  readonly type: number;
  readonly section: string;
  /** The kernel's program id (bpftool's `id N`). */
  readonly id: number;
  /** The kernel's program tag (16 hex digits). */
  readonly tag: string;

  constructor(
    /** @internal */ readonly host: Host,
    private readonly fd: Fd,
    private readonly pins: PinService,
    info: ProgramInfo,
  ) {
    this.id = info.id;
    this.name = info.name;
    this.type = info.type;
    this.section = info.section;
    this.tag = info.tag;
  }

  /** True once this handle is closed. */
  get closed(): boolean {
    return this.fd.closed;
  }

  /** Throws EBADF when closed, ENOENT when the program is gone; used by attach too. */
  requireLive(t: Txn): void {
    if (this.fd.closed) throw new XdptsError(`program ${this.name} (id ${this.id}): the handle is closed`, 'EBADF');
    if (!t.kernel.program(this.id)) throw new XdptsError(`program ${this.name} (id ${this.id}) no longer exists in the emulated kernel`, 'ENOENT');
  }

  testRun(opts: TestRunOptions): TestRunResult {
    const ctx = opts.ctx ? parseXdpMd(opts.ctx, opts.data.length) : undefined;
    const repeat = opts.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 0 || repeat > 0xffffffff) throw new XdptsError(`repeat ${String(opts.repeat)} is not a u32`, 'EINVAL');
    const r = this.host.write((t) => {
      this.requireLive(t);
      return t.kernel.testRun(this.id, {
        packet: opts.data,
        repeat,
        ...(ctx ? { ctx } : {}),
        ...(opts.cpu !== undefined ? { cpu: opts.cpu } : {}),
      });
    });
    return {
      retval: r.retval,
      data: r.dataOut,
      duration: r.durationNs,
      ...(ctx ? { ctx: xdpMdOut(ctx, r.metaLen, r.dataOut.length) } : {}),
    };
  }

  run(packet: Uint8Array, opts?: RunOptions): RunResult {
    // The per-packet path of unit tests: one options object, no spreads, no closure, no copy
    // beyond the run's own (bench/run.mjs measures it against the VM's time).
    const ctx = opts?.ctx === undefined ? undefined : xdpMdOf(opts.ctx, this.name);
    const repeat = opts?.repeat;
    const args = { packet, repeat: repeat ?? 1, ctx, cpu: opts?.cpu, timed: repeat !== undefined || this.host.timesSingleRuns };
    const host = this.host;
    const r = host instanceof MemoryHost ? this.runOn(host.txn, args) : host.write((t) => this.runOn(t, args));
    const out = r.dataOut;
    const m = r.metaLen;
    return new Run(r.retval, m ? out.subarray(m) : out, m ? out.subarray(0, m) : EMPTY, r.durationNs, r.fault?.message);
  }

  private runOn(t: Txn, args: KernelTestRunOptions): KernelTestRunResult {
    this.requireLive(t);
    return t.kernel.testRun(this.id, args);
  }

  pin(path: string): void {
    if (this.fd.closed) throw new XdptsError(`program ${this.name} (id ${this.id}): the handle is closed`, 'EBADF');
    this.pins.pin('prog', this.id, path);
  }

  unpin(): void {
    const p = this.pins.pinnedPath('prog', this.id);
    if (p !== undefined) this.pins.unpin('prog', this.id, p);
  }

  /** The pin path, if pinned. */
  get pinned(): string | undefined {
    return this.pins.pinnedPath('prog', this.id);
  }

  close(): void {
    this.fd.close();
  }
}
export interface ProgramHandle extends MaybeDisposable {}
disposeByClose(ProgramHandle);

/** `run`'s context fields as `struct xdp_md`'s; an unknown field is EINVAL, naming the program. */
function xdpMdOf(ctx: NonNullable<RunOptions['ctx']>, prog: string): XdpMdIn {
  for (const k of Object.keys(ctx))
    if (k !== 'ingressIfindex' && k !== 'rxQueueIndex') throw new XdptsError(`program ${prog}: unknown ctx field '${k}' (expected ingressIfindex, rxQueueIndex)`, 'EINVAL');
  return { ingress_ifindex: ctx.ingressIfindex ?? 0, rx_queue_index: ctx.rxQueueIndex ?? 0 };
}
