/**
 * Freeing what nothing references any more, as the kernel does when the last reference to a
 * program or map goes (kernel/bpf/syscall.c `bpf_prog_put` / `bpf_map_put`): references are
 * this process's handles (src/api/handles.ts), attachments, dispatcher slots, devmap entries
 * and bpffs pins (XdpManager.heldPrograms), and for a map also every program using it.
 *
 * XdpManager.release frees a program and the maps only it used, but it cannot know the handles
 * of this process; so the unload here is the same step with those handles added to what it
 * keeps (a map the application still reads survives its program, as with a kernel fd).
 */
import { heldIds, isHeld } from './handles';
import type { Txn } from './host';

/** Frees each listed program, then each listed map, when nothing holds it any more. */
export function collect(t: Txn, dir: string, progIds: readonly number[], mapIds: readonly number[]): void {
  const k = t.kernel;
  const mgr = t.xdp();
  const candidates = new Set(mapIds);
  for (const id of progIds) {
    const p = k.program(id);
    if (!p || isHeld(dir, 'prog', id) || mgr.heldPrograms().has(id)) continue;
    for (const m of p.mapIds) candidates.add(m);
    const keep = new Set([...mgr.bpffs.pinnedIds('map'), ...heldIds(dir, 'map')]);
    k.unloadProgram(id, { freeMaps: true, keepMaps: keep });
    mgr.state.extProgs = mgr.state.extProgs.filter((x) => x !== id);
    delete mgr.state.progBtf[String(id)];
  }
  const pinned = mgr.bpffs.pinnedIds('map');
  k.freeUnusedMaps(candidates, (id) => pinned.has(id) || isHeld(dir, 'map', id));
  mgr.forgetFreedMaps();
}
