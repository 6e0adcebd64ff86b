/**
 * Map-in-map typing (kernel/bpf/verifier.c as Linux 6.18 behaves): a bpf_map_lookup_elem in an
 * ARRAY_OF_MAPS or HASH_OF_MAPS returns `map_ptr_or_null` to the outer map's inner template
 * (`inner_map_meta`: the inner definition's type and sizes, no name), which becomes `map_ptr`
 * after a NULL check; helpers called on it then type their results from the template. The
 * templates are appended to the verified program's maps, so a register's `map` index names them.
 */
import { BPF_MAP_TYPE, type MapSpec } from '../object/types';
import { type Env, reject } from './env';
import { type Reg, pointer } from './reg-state';

/** True for the two map-in-map types. */
export function isMapInMap(type: number): boolean {
  return type === BPF_MAP_TYPE.ARRAY_OF_MAPS || type === BPF_MAP_TYPE.HASH_OF_MAPS;
}

/**
 * The program's maps followed by one inner template per map-in-map that declares one, and the
 * index of each outer map's template.
 */
export function withInnerTemplates(maps: readonly MapSpec[]): { maps: readonly MapSpec[]; inner: ReadonlyMap<number, number> } {
  const inner = new Map<number, number>();
  const all = [...maps];
  maps.forEach((m, k) => {
    if (!isMapInMap(m.type) || !m.innerMap) return;
    inner.set(k, all.length);
    // The kernel's template has no name: the log prints it as map_ptr(ks=..,vs=..).
    all.push({ ...m.innerMap, name: '' });
  });
  return inner.size ? { maps: all, inner } : { maps, inner };
}

/** R0 after a lookup in map-in-map `mapIdx`: the inner template's pointer, maybe NULL. */
export function innerMapLookup(env: Env, idx: number, mapIdx: number): Reg {
  const t = env.innerMaps?.get(mapIdx);
  if (t === undefined) reject(`map '${env.maps[mapIdx]!.name}' has no inner map definition (__array(values, ...))`, idx, 'EINVAL');
  return pointer('CONST_PTR_TO_MAP', { maybeNull: true, map: t, id: ++env.idGen });
}
