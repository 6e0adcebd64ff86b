/**
 * BPF_MAP_TYPE_XSKMAP (net/xdp/xskmap.c): slots holding AF_XDP sockets for bpf_redirect_map.
 * The emulation has no AF_XDP sockets of its own; a socket registry may be given through
 * `MapEnv.xskExists`, otherwise every update fails with EBADF as for a closed fd. User-space
 * lookups are EOPNOTSUPP (xsk_map_lookup_elem_sys_only), deletes of an index past the end EINVAL.
 */
import { E2BIG, EBADF, EEXIST, EINVAL, ENOENT, EOPNOTSUPP } from '../errno';
import { BPF_EXIST, BPF_NOEXIST } from './flags';
import { arrayNextKey } from './array';
import { BpfMap, readU32, snapArray, snapInt, type BytesOrErrno } from './map';

/** An XSK map. */
export class XskMap extends BpfMap {
  private readonly slots = new Map<number, number>();

  get size(): number {
    return this.slots.size;
  }

  /** The socket fd in slot `index`, for bpf_redirect_map; undefined when empty. */
  socketAt(index: number): number | undefined {
    return this.slots.get(index);
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    return arrayNextKey(key, this.maxEntries);
  }

  override deleteElem(key: Uint8Array): number {
    const index = readU32(key);
    if (index >= this.maxEntries) return -EINVAL;
    this.slots.delete(index);
    return 0;
  }

  protected override sysLookup(): BytesOrErrno {
    return -EOPNOTSUPP;
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const index = readU32(key);
    if (index >= this.maxEntries) return -E2BIG;
    const fd = readU32(value);
    if (!this.env.xskExists?.(fd)) return -EBADF;
    const old = this.slots.has(index);
    if (old && flags === BPF_NOEXIST) return -EEXIST;
    if (!old && flags === BPF_EXIST) return -ENOENT;
    this.slots.set(index, fd);
    return 0;
  }

  protected snapshotData(): unknown {
    return { slots: [...this.slots].sort((a, b) => a[0] - b[0]) };
  }

  restoreData(data: unknown): void {
    this.slots.clear();
    for (const e of snapArray((data as { slots?: unknown })?.slots, 'xskmap slots')) {
      const [i, fd] = snapArray(e, 'xskmap slot');
      this.slots.set(snapInt(i, 'slot index'), snapInt(fd, 'socket fd'));
    }
  }
}
