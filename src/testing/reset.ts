/**
 * `fresh: true` without loading the program again: verifying and compiling it costs
 * milliseconds a case (tens with the JIT), so a file of fresh cases would be slow. Instead the
 * state a case can see is put back as it was right after the setup — every map's entries (keys
 * a case added are deleted, values written back in place, so the program's pointers into array
 * and global data values stay valid), ring buffers and perf buffers emptied, the trace pipe
 * read, bpf_get_prandom_u32 back at the seed. The virtual clock keeps going, as time does on a
 * real machine between two loads. Maps whose state cannot be put back through bpf(2) (queues,
 * stacks, bloom filters, program and map-in-map arrays, socket maps) make the runner load a new
 * kernel instead.
 */
import { BPF_MAP_TYPE } from '../object/index';
import { MapError, XdptsError } from '../util/index';
import type { BpfMap, Kernel } from '../kernel/index';

const T = BPF_MAP_TYPE;
/** Maps of keys and values, put back by deleting and updating. */
const KEYED = new Set<number>([T.HASH, T.PERCPU_HASH, T.LRU_HASH, T.LRU_PERCPU_HASH, T.LPM_TRIE, T.DEVMAP, T.DEVMAP_HASH, T.CPUMAP]);
/** Arrays: every index written back. */
const ARRAYS = new Set<number>([T.ARRAY, T.PERCPU_ARRAY]);
/** Emptied after every run already (src/testing/target.ts reads them). */
const DRAINED = new Set<number>([T.RINGBUF, T.PERF_EVENT_ARRAY]);

/** Puts a kernel back to a saved state; false when it could not (load a new one then). */
export type Restore = () => boolean;

/** Saves what `fresh` restores, or undefined when a map's state cannot be saved this way. */
export function saveState(kernel: Kernel, maps: ReadonlyMap<string, BpfMap>): Restore | undefined {
  const saved: { m: BpfMap; entries: [Uint8Array, Uint8Array][] }[] = [];
  try {
    for (const m of maps.values()) {
      if (DRAINED.has(m.type) || m.frozen) continue; // a frozen map (.rodata) cannot change
      if (!KEYED.has(m.type) && !ARRAYS.has(m.type)) return undefined;
      saved.push({ m, entries: [...m.entries()] });
    }
  } catch (e) {
    if (e instanceof XdptsError) return undefined; // a map user space may not read
    throw e;
  }
  const random = kernel.helpers.random.toSnapshot();
  return () => {
    try {
      for (const { m, entries } of saved) {
        if (KEYED.has(m.type)) for (const k of [...m.keys()]) deleteIfThere(m, k);
        for (const [k, v] of entries) m.update(k, v);
      }
    } catch (e) {
      if (e instanceof XdptsError) return false;
      throw e;
    }
    kernel.helpers.trace.read();
    kernel.helpers.random.restore(random);
    return true;
  };
}

/** Deletes a key; an empty slot of a devmap or cpumap (listed by get_next_key) is already gone. */
function deleteIfThere(m: BpfMap, k: Uint8Array): void {
  try {
    m.delete(k);
  } catch (e) {
    if (!(e instanceof MapError && e.errno === 'ENOENT')) throw e;
  }
}
