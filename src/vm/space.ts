/**
 * Regions and the address space: the table that turns a pointer's high half (its tag) into a
 * block of bytes. One array indexed by tag keeps the lookup on every load and store a single
 * property read.
 */
import { XdptsError } from '../util';
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
  constructor(name: string, u8: Uint8Array, writable: boolean, synthetic = false) {
    this.name = name;
    this.u8 = u8;
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
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

/** The address space: the region table plus the allocation of dynamic tags. */
export class Space implements VmSpace {
  /** Region by tag. Never replaced (engines keep a reference to this array). */
  readonly regions: RegionImpl[] = [];
  private readonly freeTags: number[] = [];
  /** True while a run is using the fixed tags (ctx, packet, stack). */
  busy = false;
  /** The run state reused by every run on this space (owned by program.ts). */
  runState: unknown = undefined;

  constructor() {
    for (let i = 0; i < FIRST_DYNAMIC_TAG; i++) this.regions.push(NO_REGION);
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
    this.freeTags.push(tag);
  }

  /** Places a region at a free dynamic tag. */
  alloc(r: RegionImpl): number {
    const tag = this.freeTags.pop();
    if (tag !== undefined) {
      this.regions[tag] = r;
      return tag;
    }
    this.regions.push(r);
    return this.regions.length - 1;
  }
}

/** Makes a new, empty address space to share between the programs of one kernel. */
export function createSpace(): VmSpace {
  return new Space();
}
