/**
 * The state of one run, shared by both engines: the memory of the run (ctx, packet, stack,
 * regions helpers expose), the helper-call object, frame accounting, tail calls and callbacks.
 * One `Run` per address space is reused run after run so the hot path allocates nothing.
 */
import type { VmCoverage } from './types';
import { MAX_CALL_FRAMES, MAX_BPF_STACK, MAX_TAIL_CALL_CNT, TAG_CTX, TAG_FUNC, TAG_PACKET, TAG_STACK,
  VmFault, XDP_FRAME_SIZE, XDP_FRAME_STRUCT_SIZE, XDP_PACKET_HEADROOM, XDP_SHINFO_SIZE,
  type HelperCall, type HelperTable, type Memory, type Region, type VmProgram, type XdpBuff } from './types';
import { HEAP_ARGS, HEAP_CTX, HEAP_FRAME, HEAP_STACK, HEAP_TABLE, NO_REGION, RegionImpl, Space } from './space';
import { T, joinU64, toNumber } from './alu64';
import type { Decoded } from './decode';

const STACK_SIZE = MAX_CALL_FRAMES * MAX_BPF_STACK;
/** Exposed regions kept in the linear cache of a run before falling back to a Map. */
const EXPOSE_LINEAR = 8;

/** What an engine compiled: runs the function at `entry` as a new frame until it returns. */
export interface Code {
  readonly dec: Decoded;
  readonly space: Space;
  readonly helpers: HelperTable;
  /** Runs a function (new frame) with r1..r5 from `args` (lo/hi pairs); result in run.xlo/xhi. */
  exec(run: Run, entry: number, args: ArrayLike<number>): void;
  /** Optional: `exec` n >= 1 times in a row (test_run's repeat), the last result in run.xlo/xhi. */
  execRepeat?(run: Run, entry: number, args: ArrayLike<number>, n: number): void;
  /** Coverage counters (interpreter compiled with coverage). */
  readonly coverage?: VmCoverage;
}

/** Internal access from a public program to its compiled code (for tail calls). */
export const CODE = Symbol('xdpts.vm.code');

/** The XDP buffer: data/data_end/data_meta as offsets into the frame; moving them moves the packet region's bounds. */
export class XdpState implements XdpBuff {
  readonly frame: Uint8Array;
  readonly hardEnd = XDP_FRAME_SIZE - XDP_SHINFO_SIZE;
  readonly frameEnd = XDP_FRAME_STRUCT_SIZE;
  ingressIfindex = 0;
  rxQueueIndex = 0;
  egressIfindex = 0;
  frags: Uint8Array[] = [];
  /** Highest data_end and lowest data_meta seen since the frame was last cleared. */
  hiWater = 0;
  loWater = XDP_PACKET_HEADROOM;
  private _meta = XDP_PACKET_HEADROOM;
  private _data = XDP_PACKET_HEADROOM;
  private _end = XDP_PACKET_HEADROOM;
  private readonly region: RegionImpl;
  /** The packet's entry in the linear memory's region table (int32 index of `start`). */
  private readonly t32: Int32Array;
  private readonly te: number;
  constructor(region: RegionImpl, space: Space) {
    this.region = region;
    this.frame = region.u8;
    this.t32 = space.heap32;
    this.te = (HEAP_TABLE >> 2) + TAG_PACKET * 4 + 1;
  }
  /** The context mirror in the linear memory (HEAP_CTX) that the wasm engine reads. */
  private mirror(i: number, v: number): void {
    this.t32[(HEAP_CTX >> 2) + i] = v;
  }
  /** Copies the xdp_md scalars into the mirror (after they are set for a run). */
  syncIds(): void {
    this.mirror(3, this.ingressIfindex);
    this.mirror(4, this.rxQueueIndex);
    this.mirror(5, this.egressIfindex);
  }
  get dataMeta(): number {
    return this._meta;
  }
  set dataMeta(v: number) {
    this._meta = v;
    this.region.start = v;
    this.t32[this.te] = v;
    this.mirror(2, v);
    if (v < this.loWater) this.loWater = v;
  }
  get data(): number {
    return this._data;
  }
  set data(v: number) {
    this._data = v;
    this.mirror(0, v);
    if (v < this.loWater) this.loWater = v;
  }
  get dataEnd(): number {
    return this._end;
  }
  set dataEnd(v: number) {
    this._end = v;
    this.region.len = v;
    this.region.wlen = v;
    this.t32[this.te + 1] = v;
    this.t32[this.te + 2] = v;
    this.mirror(1, v);
    if (v > this.hiWater) this.hiWater = v;
  }
  /**
   * Resets the frame for a new packet, as the kernel's zeroed test_run buffer: only what earlier
   * runs could have dirtied is cleared (headroom claimed by adjust_head/meta, tail past the new
   * packet), since helpers and programs write inside [data_meta, data_end) only.
   */
  load(packet: Uint8Array, meta?: Uint8Array): void {
    const end = XDP_PACKET_HEADROOM + packet.length;
    if (this.loWater < XDP_PACKET_HEADROOM) this.frame.fill(0, this.loWater, XDP_PACKET_HEADROOM);
    if (this.hiWater > end) this.frame.fill(0, end, this.hiWater);
    this.frame.set(packet, XDP_PACKET_HEADROOM);
    this.hiWater = 0;
    this.loWater = XDP_PACKET_HEADROOM;
    this.data = XDP_PACKET_HEADROOM;
    if (meta === undefined || meta.length === 0) {
      this.dataMeta = XDP_PACKET_HEADROOM;
    } else {
      // Metadata given with the packet (test_run's ctx_in `data`) sits right in front of it
      // (runXdp checked that it fits the headroom).
      this.frame.set(meta, XDP_PACKET_HEADROOM - meta.length);
      this.dataMeta = XDP_PACKET_HEADROOM - meta.length;
    }
    this.dataEnd = end;
  }
}

/** One run's state. Implements both the helpers' `Memory` and `HelperCall` views. */
export class Run implements Memory, HelperCall {
  readonly space: Space;
  readonly regions: RegionImpl[];
  /** r1..r5 of a helper call: a view on the linear memory, which the wasm engine writes. */
  readonly args: Int32Array;
  /** r0 set by the helper being called. */
  rlo = 0;
  rhi = 0;
  /** r0 of the last exec (function return). */
  xlo = 0;
  xhi = 0;
  invokeHi = 0;
  pc = 0;
  /** Frames in use (0..MAX_CALL_FRAMES). */
  depth = 0;
  tailCalls = 0;
  /** The code currently executing (changes during a tail call). */
  code!: Code;
  readonly stack: RegionImpl;
  readonly ctxRegion: RegionImpl;
  readonly packetRegion: RegionImpl;
  readonly xdpState: XdpState;
  xdp: XdpBuff | undefined;
  /** Where legacy ld_abs/ld_ind read: the packet (XDP) or the raw memory region. */
  absTag = 0;
  /** Register files of nested engine invocations (callbacks, tail calls), reused run after run. */
  private readonly regFiles: Int32Array[] = [];
  private nest = 0;
  private readonly savedArgs: Int32Array[] = [];
  private readonly calleeArgs: Int32Array[] = [];
  /** r1..r5 of the entry frame (reused run after run). */
  readonly entryArgs = new Int32Array(10);
  /** Lowest stack offset a frame of this run reached. */
  private stackLow = STACK_SIZE;
  /** Whether code that can write memory ran (stores, atomics, helpers, tail calls). */
  private wrote = false;
  /** Lowest stack offset earlier runs may have dirtied: zeroed at the next run's start. */
  private dirtyFrom = STACK_SIZE;
  /**
   * Regions exposed during this run: the first EXPOSE_LINEAR in two small arrays (a few
   * identity compares beat a Map lookup on the lookup-per-packet hot path), the rest in a Map.
   */
  private readonly expBytes: Uint8Array[] = [];
  private readonly expTags: number[] = [];
  /** Live entries of expBytes/expTags (the arrays keep their length: truncating costs more than a run). */
  private expN = 0;
  private readonly exposed = new Map<Uint8Array, number>();
  readonly mem: Memory = this;
  /** Whether the space's table maps the stack and packet for an XDP run, a raw one, or not yet. */
  private mappedXdp: boolean | undefined;

  constructor(space: Space) {
    this.space = space;
    this.regions = space.regions;
    this.args = new Int32Array(space.heap.buffer, HEAP_ARGS, 10);
    this.stack = new RegionImpl('stack', space.view(HEAP_STACK, MAX_CALL_FRAMES * MAX_BPF_STACK), true);
    this.ctxRegion = new RegionImpl('ctx', new Uint8Array(24), false, true);
    this.packetRegion = new RegionImpl('packet', space.view(HEAP_FRAME, XDP_FRAME_SIZE), true);
    this.xdpState = new XdpState(this.packetRegion, space);
  }

  /** Starts a top-level run: claims the fixed tags of the space. */
  begin(code: Code, xdp: boolean): void {
    if (this.space.busy) throw new VmFault(-1, 'a run is already in progress on this address space');
    this.space.busy = true;
    this.code = code;
    this.depth = 0;
    this.tailCalls = 0;
    this.nest = 0;
    // Every run starts with a zeroed stack (deterministic results; the kernel's verifier makes
    // uninitialised reads impossible, raw programs get zeroes). Only what earlier runs could
    // have written is cleared, so programs that never store pay nothing.
    if (this.dirtyFrom < STACK_SIZE) this.stack.u8.fill(0, this.dirtyFrom, STACK_SIZE);
    this.dirtyFrom = STACK_SIZE;
    this.stackLow = STACK_SIZE;
    this.wrote = code.dec.writes;
    this.regions[TAG_STACK] = this.stack;
    this.regions[TAG_CTX] = xdp ? this.ctxRegion : NO_REGION;
    this.regions[TAG_PACKET] = xdp ? this.packetRegion : NO_REGION;
    // The wasm engine's table entries of the two fixed regions change only with the kind of run
    // (the packet's bounds are kept current by XdpState): rewriting them every run cost more
    // than running a small program.
    if (this.mappedXdp !== xdp) {
      this.space.mapTag(TAG_STACK, this.stack);
      this.space.mapTag(TAG_PACKET, xdp ? this.packetRegion : undefined);
      this.mappedXdp = xdp;
    }
    this.space.heap32[(HEAP_CTX >> 2) + 6] = xdp ? 1 : 0;
    this.xdp = xdp ? this.xdpState : undefined;
    this.absTag = xdp ? TAG_PACKET : 0;
  }

  /** Ends a top-level run: releases the regions exposed during it. */
  end(): void {
    if (this.wrote) this.dirtyFrom = this.stackLow;
    // The first EXPOSE_LINEAR exposed values keep their tags for the next run: no pointer
    // outlives a run (registers start afresh, the verifier keeps pointers out of maps), and a
    // program that looks up the same few elements packet after packet then pays no tag
    // allocation per packet. A run that needed more releases them all, so stale entries (a
    // deleted element, a submitted ring buffer sample) never pile up.
    if (this.exposed.size > 0) {
      for (const tag of this.exposed.values()) this.space.removeRegion(tag);
      this.exposed.clear();
      this.releaseExposed();
    }
    if (this.absTag >= 16) this.space.removeRegion(this.absTag);
    this.absTag = 0;
    this.space.busy = false;
  }

  /** Releases the tags of the linearly cached exposed regions. */
  private releaseExposed(): void {
    for (let i = 0; i < this.expN; i++) this.space.removeRegion(this.expTags[i]!);
    this.expN = 0;
  }

  // ---- frames ----

  /**
   * The register file of a new engine invocation (the interpreter's R): r0 = 0, and for the
   * registers in `named` (bit N for rN: those the program's instructions can read) r1..r5 from
   * `args` (lo/hi pairs, missing ones 0), r6..r9 = 0 and r10 = (r10lo, TAG_STACK). The rest keep
   * stale values no instruction of the program can observe, and cost no store (this runs once
   * per packet: a two-instruction program's run was half register setup).
   */
  enterRegs(args: ArrayLike<number>, r10lo: number, named: number): Int32Array {
    let r = this.regFiles[this.nest];
    if (r === undefined) {
      r = new Int32Array(22);
      this.regFiles.push(r);
    }
    this.nest++;
    r[0] = 0; r[1] = 0;
    if ((named & 0x3e) !== 0) {
      if (args.length >= 10) {
        r[2] = args[0]!; r[3] = args[1]!; r[4] = args[2]!; r[5] = args[3]!; r[6] = args[4]!;
        r[7] = args[5]!; r[8] = args[6]!; r[9] = args[7]!; r[10] = args[8]!; r[11] = args[9]!;
      } else {
        for (let i = 0; i < 10; i++) r[2 + i] = args[i] ?? 0;
      }
    }
    if ((named & 0x3c0) !== 0) { r[12] = 0; r[13] = 0; r[14] = 0; r[15] = 0; r[16] = 0; r[17] = 0; r[18] = 0; r[19] = 0; }
    if ((named & 0x400) !== 0) {
      r[20] = r10lo;
      r[21] = TAG_STACK;
    }
    return r;
  }

  /** Releases the register file of the invocation that is returning. */
  leaveRegs(): void {
    this.nest--;
  }

  /** Enters a new frame: checks MAX_CALL_FRAMES and returns its r10 offset. */
  enterFrame(pc: number): number {
    if (this.depth >= MAX_CALL_FRAMES) {
      throw new VmFault(pc, `the call stack of ${this.depth + 1} frames is too deep`);
    }
    const top = (MAX_CALL_FRAMES - this.depth) * MAX_BPF_STACK;
    this.depth++;
    if (top - MAX_BPF_STACK < this.stackLow) this.stackLow = top - MAX_BPF_STACK;
    return top;
  }

  /**
   * The WebAssembly engine's frame accounting, done lazily: its local calls move r10 down by
   * 512 without telling the run, so before a helper call (which may run callbacks or a tail
   * call on new frames) it reports the frame in use by its r10 offset `top`, and after a run
   * the lowest frame top its calls reached (so the next run clears that stack).
   */
  wasmFrame(top: number): void {
    this.depth = MAX_CALL_FRAMES + 1 - (top >> 9);
    if (top - MAX_BPF_STACK < this.stackLow) this.stackLow = top - MAX_BPF_STACK;
  }

  // ---- faults and slow memory paths ----

  /** Throws the fault for a failed access (called by engines when the fast bounds check fails). */
  badAccess(pc: number, lo: number, hi: number, off: number, size: number, write: boolean): never {
    const r = this.regions[hi];
    const what = `${write ? 'store' : 'load'} of ${size} bytes`;
    if (r === undefined || r === NO_REGION) {
      if (hi === 0 && lo === 0) throw new VmFault(pc, `${what} through a NULL pointer`);
      throw new VmFault(pc, `${what} at 0x${joinU64(lo, hi).toString(16)}+${off}: not a valid pointer`);
    }
    const o = (lo >>> 0) + off;
    if (write && r.wlen === 0) throw new VmFault(pc, `${what} to read-only ${r.name}`);
    throw new VmFault(pc, `out of bounds ${what} at ${r.name}+${o}`);
  }

  /**
   * Slow path of a load: the context's fields (rewritten like the kernel's xdp_convert_ctx_access:
   * a 32-bit load of ctx->data yields the full packet pointer) or a fault. Result in T.
   */
  slowLoad(pc: number, lo: number, hi: number, off: number, size: number): void {
    const r = this.regions[hi];
    if (r !== undefined && r.synthetic && this.xdp !== undefined) {
      const o = (lo >>> 0) + off;
      // xdp_is_valid_access: only aligned 4-byte loads of the six fields of struct xdp_md.
      if (size === 4 && o >= 0 && o < 24 && (o & 3) === 0) {
        const x = this.xdp;
        T[1] = 0;
        switch (o) {
          case 0: T[0] = x.data; T[1] = TAG_PACKET; return;
          case 4: T[0] = x.dataEnd; T[1] = TAG_PACKET; return;
          case 8: T[0] = x.dataMeta; T[1] = TAG_PACKET; return;
          case 12: T[0] = x.ingressIfindex; return;
          case 16: T[0] = x.rxQueueIndex; return;
          default: T[0] = x.egressIfindex; return;
        }
      }
      throw new VmFault(pc, `invalid access to xdp_md: load of ${size} bytes at offset ${o}`);
    }
    this.badAccess(pc, lo, hi, off, size, false);
  }

  /**
   * The packet pointer a 4-byte load at offset `o` of the XDP context yields (data, data_end,
   * data_meta: xdp_convert_ctx_access), or -1 for any other load (then {@link slowLoad}).
   */
  ctxPointer(o: number): number {
    const x = this.xdp;
    if (x === undefined || this.regions[TAG_CTX] !== this.ctxRegion) return -1;
    return o === 0 ? x.data : o === 4 ? x.dataEnd : o === 8 ? x.dataMeta : -1;
  }

  /**
   * Legacy BPF_LD_ABS/BPF_LD_IND: a big-endian load from the packet at `offset`. Returns false
   * when out of bounds (the kernel then ends the program with r0 = 0). Value in T[0].
   */
  ldAbs(offset: number, size: number): boolean {
    const r = this.regions[this.absTag];
    if (r === undefined || r === NO_REGION || offset < 0) return false;
    const base = this.xdp !== undefined ? this.xdp.data : 0;
    const end = this.xdp !== undefined ? this.xdp.dataEnd : r.len;
    const o = base + offset;
    if (o + size > end) return false;
    T[0] = size === 4 ? r.dv.getInt32(o, false) : size === 2 ? r.dv.getUint16(o, false) : r.u8[o]!;
    return true;
  }

  /** Raises a fault at the current call. */
  fault(reason: string): never {
    throw new VmFault(this.pc, reason);
  }

  // ---- Memory ----

  region(tag: number): Region | undefined {
    const r = this.regions[tag];
    return r === NO_REGION ? undefined : r;
  }

  check(lo: number, hi: number, len: number, write: boolean): Uint8Array {
    const r = this.regions[hi];
    const o = lo >>> 0;
    if (r === undefined || o < r.start || o + len > (write ? r.wlen : r.len)) {
      this.badAccess(this.pc, lo, hi, 0, len, write);
    }
    return r.u8;
  }

  read(lo: number, hi: number, len: number): Uint8Array {
    const u8 = this.check(lo, hi, len, false);
    return u8.slice(lo >>> 0, (lo >>> 0) + len);
  }

  write(lo: number, hi: number, data: Uint8Array): void {
    this.check(lo, hi, data.length, true).set(data, lo >>> 0);
  }

  expose(bytes: Uint8Array, writable: boolean): number {
    const eb = this.expBytes;
    const n = this.expN;
    for (let i = 0; i < n; i++) if (eb[i] === bytes) return this.expTags[i]!;
    if (n < EXPOSE_LINEAR) {
      const tag = this.space.alloc(this.valueRegion(bytes, writable));
      eb[n] = bytes;
      this.expTags[n] = tag;
      this.expN = n + 1;
      return tag;
    }
    let tag = this.exposed.get(bytes);
    if (tag === undefined) {
      tag = this.space.alloc(this.valueRegion(bytes, writable));
      this.exposed.set(bytes, tag);
    }
    return tag;
  }

  /** Regions of map values seen by earlier runs, by their bytes (a region's bounds never change). */
  private readonly valueRegions = [new WeakMap<Uint8Array, RegionImpl>(), new WeakMap<Uint8Array, RegionImpl>()] as const;

  /**
   * The region over a map value's bytes: made once per value and reused by later runs (a map
   * hands out the same bytes for an element while it lives), as a DataView per lookup per run
   * was most of a short program's cost.
   */
  private valueRegion(bytes: Uint8Array, writable: boolean): RegionImpl {
    const cache = this.valueRegions[writable ? 1 : 0];
    let r = cache.get(bytes);
    if (r === undefined) cache.set(bytes, (r = new RegionImpl('map value', bytes, writable)));
    return r;
  }

  /** Exposes raw-mode memory as the ld_abs source and returns its tag. */
  exposeRaw(bytes: Uint8Array): number {
    this.absTag = this.space.alloc(new RegionImpl('memory', bytes, true));
    return this.absTag;
  }

  // ---- HelperCall ----

  u32(n: number): number {
    return this.args[2 * (n - 1)]! >>> 0;
  }
  num(n: number): number {
    return toNumber(this.args[2 * (n - 1)]!, this.args[2 * n - 1]!);
  }
  big(n: number): bigint {
    return joinU64(this.args[2 * (n - 1)]!, this.args[2 * n - 1]!);
  }
  ret(v: number): void {
    this.rlo = v | 0;
    // Math.floor gives the two's-complement high word for negatives (e.g. -2 → 0xffffffff).
    this.rhi = Math.floor(v / 4294967296) | 0;
  }
  retPtr(offset: number, tag: number): void {
    this.rlo = offset | 0;
    this.rhi = tag | 0;
  }
  retBig(v: bigint): void {
    this.rlo = Number(BigInt.asIntN(32, v));
    this.rhi = Number(BigInt.asIntN(32, v >> 32n));
  }
  funcArg(n: number): number {
    const lo = this.args[2 * (n - 1)]!;
    const hi = this.args[2 * n - 1]!;
    if (hi !== TAG_FUNC || !this.code.dec.entries.has(lo)) {
      throw new VmFault(this.pc, `R${n} is not a pointer to a BPF function`);
    }
    return lo;
  }
  invoke(slot: number, args: ArrayLike<number>): number {
    if (!this.code.dec.entries.has(slot)) throw new VmFault(this.pc, `callback target ${slot} is not a function`);
    // The callee makes helper calls of its own through this same object: keep ours. Buffers are
    // pooled per frame depth (bpf_loop may call back millions of times).
    const d = this.depth;
    const saved = (this.savedArgs[d] ??= new Int32Array(10));
    const a = (this.calleeArgs[d] ??= new Int32Array(10));
    saved.set(this.args);
    const pc = this.pc;
    for (let i = 0; i < 10; i++) a[i] = i < args.length ? args[i]! : 0;
    this.code.exec(this, slot, a);
    this.args.set(saved);
    this.pc = pc;
    this.invokeHi = this.xhi;
    return this.xlo;
  }

  /**
   * Performs bpf_tail_call with r1..r3 in `args` (kernel order: bad index → fall through; count
   * exhausted → fall through; count++; empty slot → fall through). Returns true when the target
   * ran; its r0 is then in xlo/xhi and the caller's frame must return it.
   */
  tailCall(): boolean {
    const hook = this.code.helpers.tailCall;
    if (hook === undefined) return false;
    const target = hook(this);
    if (target === undefined) return false;
    if (this.tailCalls >= MAX_TAIL_CALL_CNT) return false;
    this.tailCalls++;
    if (target === null) return false;
    const code = (target as unknown as { [CODE]: Code })[CODE];
    if (code === undefined || code.space !== this.space) {
      throw new VmFault(this.pc, 'tail call target is not a program of this address space');
    }
    if (code.dec.writes) this.wrote = true;
    const caller = this.code;
    const r1 = [this.args[0]!, this.args[1]!];
    this.code = code;
    // The target replaces the current frame: reuse its depth and stack.
    this.depth--;
    try {
      code.exec(this, 0, r1);
    } finally {
      this.depth++;
      this.code = caller;
    }
    return true;
  }

  /** Throws the fault of a call through a non-function value (callx) or a kfunc. */
  badCall(pc: number, what: string): never {
    throw new VmFault(pc, what);
  }

  /**
   * Resolves a callx target (lo, hi). A function pointer of the current program (Linux:
   * `callx dst` with an address made by `lddw rX, func`) gives its slot. A plain scalar naming a
   * helper of the table gives `-1 - id`: raw bytecode calls helpers by a register-held id, as uBPF
   * and the BPF conformance suite's `callx` test do. Anything else faults.
   */
  callxTarget(pc: number, lo: number, hi: number): number {
    if (hi === TAG_FUNC && this.code.dec.entries.has(lo)) return lo;
    if (hi === 0 && lo >= 0 && this.code.helpers.helpers[lo] !== undefined) return -1 - lo;
    throw new VmFault(pc, `callx to 0x${joinU64(lo, hi).toString(16)}: not a BPF function or a known helper`);
  }
}

