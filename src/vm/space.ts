/**
 * Regions and the address space: the table that turns a pointer's high half (its tag) into a
 * block of bytes. One array indexed by tag keeps the lookup on every load and store a single
 * property read.
 */
import { XdptsError } from '../util';
import { wasmApi, type WasmMemory } from './wasm-api';
import { FIRST_DYNAMIC_TAG, type Region, type VmSpace } from './types';

/**
 * One region of guest memory. `start`/`len` bound loads, `start`/`wlen` bound stores (offsets
 * are from the region's byte 0); the packet region moves its bounds with data_meta/data_end.
 */
export class RegionImpl implements Region {
  readonly name: string;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** Lowest offset that can be accessed. */
  start: number;
  len: number;
  wlen: number;
  /** True for the context region, whose loads the VM rewrites instead of reading bytes. */
  readonly synthetic: boolean;
  /** `u8.buffer`, read once: the getter showed in profiles of runs that expose map values. */
  readonly buffer: ArrayBufferLike;
  constructor(name: string, u8: Uint8Array, writable: boolean, synthetic = false) {
    this.name = name;
    this.u8 = u8;
    this.buffer = u8.buffer;
    this.dv = new DataView(this.buffer, u8.byteOffset, u8.byteLength);
    this.start = 0;
    this.len = synthetic ? 0 : u8.length;
    this.wlen = writable && !synthetic ? u8.length : 0;
    this.synthetic = synthetic;
  }
}

/**
 * The filler of unused tags: an empty region, so the table stays a packed array of one shape
 * (faster lookups on the hot path) and every access through it fails the bounds check.
 */
export const NO_REGION = new RegionImpl('no region', new Uint8Array(0), false);

/**
 * The space's linear memory (one WebAssembly page, never grown, so views on it stay valid),
 * shared by every engine: the WebAssembly engine addresses it directly, the others through
 * views. Layout (byte offsets):
 *
 *   0x0000  RET    8 bytes: a result handed from JavaScript to wasm (helper r0, slow loads)
 *   0x0010  ARGS   40 bytes: r1..r5 of a helper call as lo/hi int32 pairs (the `args` view)
 *   0x0040  EARGS  40 bytes: r1..r5 of an engine entry (a run, a callback)
 *   0x0080  CTX    7 int32: the XDP context's data, data_end, data_meta offsets, ingress
 *                  ifindex, rx queue, egress ifindex, and 1 while an XDP run is in progress
 *   0x0400  TABLE  TABLE_CAP entries of 4 int32 (base, start, len, wlen) by region tag: the
 *                  regions that live in this memory; len = wlen = 0 for every other tag
 *   0x5000  STACK  the 8 frames' stacks (4096 bytes)
 *   0x6000  FRAME  the XDP frame (4096 bytes)
 */
export const HEAP_RET = 0;
export const HEAP_ARGS = 0x10;
export const HEAP_EARGS = 0x40;
export const HEAP_CTX = 0x80;
export const HEAP_TABLE = 0x400;
export const TABLE_CAP = 1024;
export const HEAP_STACK = 0x5000;
export const HEAP_FRAME = 0x6000;
export const HEAP_PAGES = 1;

/** The address space: the region table plus the allocation of dynamic tags. */
export class Space implements VmSpace {
  /** Region by tag. Never replaced (engines keep a reference to this array). */
  readonly regions: RegionImpl[] = [];
  /** The linear memory (undefined where WebAssembly is unavailable) and views on it. */
  readonly memory: WasmMemory | undefined;
  readonly heap: Uint8Array;
  readonly heap32: Int32Array;
  /** The linear memory's buffer (never replaced: the memory never grows). */
  private readonly heapBuffer: ArrayBufferLike;
  private readonly freeTags: number[] = [];
  /** True while a run is using the fixed tags (ctx, packet, stack). */
  busy = false;
  /** The run state reused by every run on this space (owned by program.ts). */
  runState: unknown = undefined;

  constructor() {
    for (let i = 0; i < FIRST_DYNAMIC_TAG; i++) this.regions.push(NO_REGION);
    this.memory = wasmApi === undefined ? undefined : new wasmApi.Memory({ initial: HEAP_PAGES, maximum: HEAP_PAGES });
    const buf = this.memory?.buffer ?? new ArrayBuffer(HEAP_PAGES * 65536);
    this.heapBuffer = buf;
    this.heap = new Uint8Array(buf);
    this.heap32 = new Int32Array(buf);
  }

  /** A view of `len` bytes of the linear memory at `at`. */
  view(at: number, len: number): Uint8Array {
    return new Uint8Array(this.heap.buffer, at, len);
  }

  /**
   * Records where region `tag` lives for the WebAssembly engine: its bytes' offset in the
   * linear memory and its bounds, or nothing (len = wlen = 0: every access takes the slow
   * path) when it lives elsewhere.
   */
  mapTag(tag: number, r: RegionImpl | undefined): void {
    if (tag >= TABLE_CAP) return;
    const e = (HEAP_TABLE >> 2) + tag * 4;
    const t = this.heap32;
    if (r !== undefined && r.buffer === this.heapBuffer) {
      t[e] = r.u8.byteOffset;
      t[e + 1] = r.start;
      t[e + 2] = r.len;
      t[e + 3] = r.wlen;
    } else {
      t[e] = 0;
      t[e + 1] = 0;
      t[e + 2] = 0;
      t[e + 3] = 0;
    }
  }

  /** Registers a long-lived region and returns its tag. */
  addRegion(name: string, bytes: Uint8Array, writable: boolean): number {
    return this.alloc(new RegionImpl(name, bytes, writable));
  }

  /** Unregisters a region made by addRegion or alloc. */
  removeRegion(tag: number): void {
    if (tag < FIRST_DYNAMIC_TAG || this.regions[tag] === undefined || this.regions[tag] === NO_REGION) {
      throw new XdptsError(`no dynamic region with tag ${tag}`, 'vm');
    }
    this.regions[tag] = NO_REGION;
    this.mapTag(tag, undefined);
    this.freeTags.push(tag);
  }

  /** Places a region at a free dynamic tag. */
  alloc(r: RegionImpl): number {
    const tag = this.freeTags.pop();
    if (tag !== undefined) {
      this.regions[tag] = r;
      this.mapTag(tag, r);
      return tag;
    }
    this.regions.push(r);
    this.mapTag(this.regions.length - 1, r);
    return this.regions.length - 1;
  }
}

/** Makes a new, empty address space to share between the programs of one kernel. */
export function createSpace(): VmSpace {
  return new Space();
}
