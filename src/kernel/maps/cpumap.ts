/**
 * BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): CPUs to redirect frames to. The value is `struct
 * bpf_cpumap_val { __u32 qsize; union { int fd; __u32 id; } bpf_prog; }` (4 or 8 bytes). A qsize
 * of 0 deletes the entry, above 16384 is EOVERFLOW; a key that is not a possible CPU is ENODEV.
 * The kernel adds BPF_F_RDONLY_PROG to the map flags.
 */
import { E2BIG, EEXIST, EINVAL, ENODEV, ENOENT, EOVERFLOW } from '../errno';
import { BPF_EXIST, BPF_NOEXIST, BPF_F_RDONLY_PROG } from './flags';
import { arrayNextKey } from './array';
import { BPF_XDP_CPUMAP, attachedProgId } from './devmap';
import {
  BpfMap,
  hex,
  readU32,
  snapArray,
  snapInt,
  u32Bytes,
  unhex,
  writeU32,
  type BytesOrErrno,
  type MapAttr,
  type MapElem,
  type MapEnv,
} from './map';

/** Largest queue size a cpumap entry accepts (cpumap.c: `qsize > 16384` is EOVERFLOW). */
const CPUMAP_MAX_QSIZE = 16384;

/** A CPU map. */
export class CpuMap extends BpfMap {
  private readonly slots = new Map<number, Uint8Array>();

  constructor(id: number, attr: MapAttr, env: MapEnv) {
    super(id, attr, env, BPF_F_RDONLY_PROG);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The entry for CPU `key` (qsize and program id), for bpf_redirect_map. */
  target(key: number): { readonly cpu: number; readonly qsize: number; readonly progId: number } | undefined {
    const v = this.slots.get(key);
    return v ? { cpu: key, qsize: readU32(v), progId: this.valueSize >= 8 ? readU32(v, 4) : 0 } : undefined;
  }

  override lookupElem(key: Uint8Array): Uint8Array | null {
    return this.slots.get(readU32(key)) ?? null;
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const cpu = readU32(key);
    if (cpu >= this.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    const qsize = readU32(value);
    if (qsize > CPUMAP_MAX_QSIZE) return -EOVERFLOW;
    if (cpu >= this.ncpus) return -ENODEV;
    if (qsize === 0) {
      this.slots.delete(cpu);
      return 0;
    }
    const prog = attachedProgId(this.env, value, this.valueSize, BPF_XDP_CPUMAP);
    if (prog < 0) return prog;
    const v = new Uint8Array(this.valueSize);
    writeU32(v, 0, qsize);
    if (this.valueSize >= 8) writeU32(v, 4, prog);
    this.slots.set(cpu, v);
    return 0;
  }

  override deleteElem(key: Uint8Array): number {
    const cpu = readU32(key);
    if (cpu >= this.maxEntries) return -EINVAL;
    this.slots.delete(cpu);
    return 0;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    return arrayNextKey(key, this.maxEntries);
  }

  override *elems(): Iterable<MapElem> {
    for (const [k, v] of [...this.slots].sort((a, b) => a[0] - b[0])) yield { key: u32Bytes(k), value: v };
  }

  protected override sysLookup(key: Uint8Array): BytesOrErrno {
    const v = this.slots.get(readU32(key));
    return v ? v.slice() : -ENOENT;
  }

  protected snapshotData(): unknown {
    return { slots: [...this.slots].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, hex(v)]) };
  }

  restoreData(data: unknown): void {
    this.slots.clear();
    for (const e of snapArray((data as { slots?: unknown })?.slots, 'cpumap slots')) {
      const [k, v] = snapArray(e, 'cpumap slot');
      this.slots.set(snapInt(k, 'cpu'), unhex(v, this.valueSize, 'cpumap value'));
    }
  }
}
