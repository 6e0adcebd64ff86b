/**
 * `Program`: a handle on a loaded program of the shared emulated kernel, by id. `testRun` is
 * BPF_PROG_TEST_RUN (src/kernel/test-run.ts, the kernel's semantics: runts EINVAL, 256 bytes of
 * headroom, XDP_TX/REDIRECT only returned, map writes kept — so the run is a write transaction).
 */
import type { Program, RunOptions, RunResult, TestRunOptions, TestRunResult } from '../gen/runtime-contract';
import { xdpActionName, xdpMdFromBytes, type TestRunOptions as KernelTestRunOptions, type TestRunResult as KernelTestRunResult, type XdpMdIn } from '../kernel';
import { XdptsError } from '../util/errors';
import { disposeByClose, type MaybeDisposable } from './dispose';
import type { Fd } from './handles';
import { MemoryHost, type Host, type Txn } from './host';
import type { PinService } from './pins';

/** What a program handle knows of its program (fixed at load). */
export interface ProgramInfo {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly section: string;
  readonly tag: string;
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
    const ctx = opts.ctx ? xdpMdFromBytes(opts.ctx) : undefined;
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
      ...(r.ctxOut ? { ctx: r.ctxOut } : {}),
    };
  }

  run(packet: Uint8Array, opts?: RunOptions): RunResult {
    // The per-packet path of unit tests: one options object, no spreads, no closure, no copy
    // beyond the run's own (bench/run.mjs measures it against the VM's time).
    const meta = opts?.meta;
    const ctx = opts?.ctx === undefined && meta === undefined ? undefined : xdpMdOf(opts?.ctx ?? {}, meta, this.name);
    const repeat = opts?.repeat;
    const data = meta === undefined || meta.length === 0 ? packet : joinBytes(meta, packet);
    const args = { packet: data, repeat: repeat ?? 1, ctx, cpu: opts?.cpu, timed: repeat !== undefined || this.host.timesSingleRuns };
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

const CTX_FIELDS: Readonly<Record<string, keyof XdpMdIn>> = { ingressIfindex: 'ingress_ifindex', rxQueueIndex: 'rx_queue_index', egressIfindex: 'egress_ifindex' };

/**
 * `run`'s context as `struct xdp_md`: the device fields by name, the metadata's length as
 * `data`; an unknown field is EINVAL naming the program. The kernel checks the values.
 */
function xdpMdOf(ctx: NonNullable<RunOptions['ctx']>, meta: Uint8Array | undefined, prog: string): XdpMdIn {
  const md: Record<string, number> = {};
  for (const [k, v] of Object.entries(ctx)) {
    const f = CTX_FIELDS[k];
    if (f === undefined) throw new XdptsError(`program ${prog}: unknown ctx field '${k}' (expected ${Object.keys(CTX_FIELDS).join(', ')})`, 'EINVAL');
    if (v !== undefined) md[f] = v as number;
  }
  if (meta !== undefined) md['data'] = meta.length;
  return md;
}

/** `meta` then `packet`, as one data_in. */
function joinBytes(meta: Uint8Array, packet: Uint8Array): Uint8Array {
  const b = new Uint8Array(meta.length + packet.length);
  b.set(meta, 0);
  b.set(packet, meta.length);
  return b;
}
