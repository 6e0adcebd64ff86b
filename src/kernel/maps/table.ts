/**
 * The kernel's map table: allocates map ids (from 1, never reused while the table lives, like
 * the kernel's map_idr cyclic allocation), finds maps by id, and snapshots them all.
 */
import { XdptsError } from '../../util';
import { ENOENT, mapErrno } from '../errno';
import { createMap, mapFromSnapshot } from './create';
import type { BpfMap, MapAttr, MapEnv, MapSnapshot } from './map';

/** Plain-data form of a {@link MapTable}. */
export interface MapTableSnapshot {
  readonly nextId: number;
  readonly maps: readonly MapSnapshot[];
}

/** All maps of one emulated kernel. */
export class MapTable {
  private readonly maps = new Map<number, BpfMap>();
  private nextId = 1;
  readonly env: MapEnv;

  constructor(env: MapEnv) {
    this.env = env;
  }

  /** BPF_MAP_CREATE: a new map with the next id; throws MapError like the syscall. */
  create(attr: MapAttr): BpfMap {
    const map = createMap(this.nextId, attr, this.env);
    this.nextId++;
    this.maps.set(map.id, map);
    return map;
  }

  /** The map with this id, or undefined. */
  get(id: number): BpfMap | undefined {
    return this.maps.get(id);
  }

  /** The map with this id; MapError ENOENT when absent (BPF_MAP_GET_FD_BY_ID). */
  require(id: number): BpfMap {
    const m = this.maps.get(id);
    if (!m) throw mapErrno(ENOENT, `map id ${id}`);
    return m;
  }

  /** Frees map `id` (its last reference went away). */
  remove(id: number): boolean {
    return this.maps.delete(id);
  }

  /** Every map, by increasing id (`bpftool map list` order). */
  list(): BpfMap[] {
    return [...this.maps.values()].sort((a, b) => a.id - b.id);
  }

  /** The whole table as plain data. */
  toSnapshot(): MapTableSnapshot {
    return { nextId: this.nextId, maps: this.list().map((m) => m.toSnapshot()) };
  }

  /** Rebuilds a table from {@link toSnapshot} output. */
  static fromSnapshot(snap: MapTableSnapshot, env: MapEnv): MapTable {
    if (typeof snap !== 'object' || snap === null || !Array.isArray(snap.maps))
      throw new XdptsError('corrupt map table snapshot', 'snapshot');
    const t = new MapTable(env);
    for (const s of snap.maps) {
      const m = mapFromSnapshot(s, env);
      if (t.maps.has(m.id)) throw new XdptsError(`corrupt map table snapshot: duplicate map id ${m.id}`, 'snapshot');
      t.maps.set(m.id, m);
    }
    const maxId = Math.max(0, ...t.maps.keys());
    t.nextId = Math.max(maxId + 1, Number.isSafeInteger(snap.nextId) ? snap.nextId : 1);
    return t;
  }
}
