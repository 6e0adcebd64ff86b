/**
 * BPF_MAP_TYPE_PROG_ARRAY (kernel/bpf/arraymap.c, the fd-array part): slots holding programs
 * for bpf_tail_call. User space stores a program "fd" — in the emulation the program's id — and
 * reads back the program id, as bpf_fd_array_map_lookup_elem does.
 *
 * Errnos as the oracle kernel gives them: any flag but BPF_ANY is EINVAL, an index past the end
 * is E2BIG (update and delete), an unknown program EBADF, a program of another type than the
 * first one stored (the map's owner) EINVAL, deleting or looking up an empty slot ENOENT.
 */
import { E2BIG, EBADF, EINVAL, ENOENT } from '../errno';
import { BPF_ANY } from './flags';
import { arrayNextKey } from './array';
import { BpfMap, readU32, snapArray, snapInt, u32Bytes, type BytesOrErrno } from './map';

/**
 * The fd-array maps (`fd_array_map_*`, kernel/bpf/arraymap.c): slots indexed by a u32 key
 * holding a kernel object, iterated like an array, deleted one at a time (E2BIG past the end).
 */
export abstract class FdArrayMap<T> extends BpfMap {
  protected readonly slots = new Map<number, T>();

  get size(): number {
    return this.slots.size;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    return arrayNextKey(key, this.maxEntries);
  }

  override deleteElem(key: Uint8Array): number {
    const index = readU32(key);
    if (index >= this.maxEntries) return -E2BIG;
    return this.slots.delete(index) ? 0 : -ENOENT;
  }
}

/**
 * An fd-array whose slots hold an object id (prog array, array of maps): user space stores the
 * object's "fd" (its id in the emulation) and reads back its id (`map_fd_sys_lookup_elem`).
 */
export abstract class IdArrayMap extends FdArrayMap<number> {
  /** The errno of storing object `id` (0 when it may be stored): `map_fd_get_ptr`'s checks. */
  protected abstract checkId(id: number): number;

  protected override sysLookup(key: Uint8Array): BytesOrErrno {
    const id = this.slots.get(readU32(key));
    return id === undefined ? -ENOENT : u32Bytes(id);
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    const index = readU32(key);
    if (index >= this.maxEntries) return -E2BIG;
    const id = readU32(value);
    const err = this.checkId(id);
    if (err) return -err;
    this.slots.set(index, id);
    return 0;
  }
}

/** A program array. */
export class ProgArrayMap extends IdArrayMap {
  /** Program type of the map's owner (the first program stored or the loader's program). */
  ownerType: number | undefined;

  /** The program id in slot `index`, for bpf_tail_call; undefined when empty. */
  progAt(index: number): number | undefined {
    return this.slots.get(index);
  }

  /** Empties every slot that holds program `id` (the program went away). */
  forgetProg(id: number): void {
    for (const [i, p] of this.slots) if (p === id) this.slots.delete(i);
  }

  protected checkId(id: number): number {
    const info = this.env.progInfo?.(id);
    if (!info) return EBADF;
    // bpf_prog_map_compatible: every program in the array has the owner's type.
    if (this.ownerType !== undefined && info.type !== this.ownerType) return EINVAL;
    this.ownerType ??= info.type;
    return 0;
  }

  protected snapshotData(): unknown {
    return { slots: [...this.slots].sort((a, b) => a[0] - b[0]), ownerType: this.ownerType ?? null };
  }

  restoreData(data: unknown): void {
    this.slots.clear();
    const d = data as { slots?: unknown; ownerType?: unknown } | null;
    for (const e of snapArray(d?.slots, 'prog array slots')) {
      const [i, id] = snapArray(e, 'prog array slot');
      this.slots.set(snapInt(i, 'slot index'), snapInt(id, 'program id'));
    }
    this.ownerType = d?.ownerType == null ? undefined : snapInt(d.ownerType, 'owner type');
  }
}
