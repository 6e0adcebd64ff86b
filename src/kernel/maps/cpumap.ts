/**
 * BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): CPUs to redirect frames to. The value is `struct
 * bpf_cpumap_val { __u32 qsize; union { int fd; __u32 id; } bpf_prog; }` (4 or 8 bytes). A qsize
 * of 0 deletes the entry, above 16384 is EOVERFLOW; a key that is not a possible CPU is ENODEV.
 * The kernel adds BPF_F_RDONLY_PROG to the map flags.
 */
import { ENODEV, ENOENT, EOVERFLOW } from '../errno';
import { readU32, type BytesOrErrno, type MapAttr, type MapEnv } from './map';
import { BPF_XDP_CPUMAP, RedirectSlotMap, progIdOf, progValue } from './redirect-slots';

/** Largest queue size a cpumap entry accepts (cpumap.c: `qsize > 16384` is EOVERFLOW). */
const CPUMAP_MAX_QSIZE = 16384;

/** A CPU map. */
export class CpuMap extends RedirectSlotMap {
  constructor(id: number, attr: MapAttr, env: MapEnv) {
    super(id, attr, env, 'cpumap', 'cpu');
  }

  /** The entry for CPU `key` (qsize and program id), for bpf_redirect_map. */
  target(key: number): { readonly cpu: number; readonly qsize: number; readonly progId: number } | undefined {
    const v = this.slots.get(key);
    return v ? { cpu: key, qsize: readU32(v), progId: progIdOf(v, this.valueSize) } : undefined;
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    const cpu = this.updateIndex(key, flags);
    if (cpu < 0) return cpu;
    const qsize = readU32(value);
    if (qsize > CPUMAP_MAX_QSIZE) return -EOVERFLOW;
    if (cpu >= this.ncpus) return -ENODEV;
    if (qsize === 0) {
      this.slots.delete(cpu);
      return 0;
    }
    const v = progValue(this.env, value, this.valueSize, qsize, BPF_XDP_CPUMAP);
    if (typeof v === 'number') return v;
    this.slots.set(cpu, v);
    return 0;
  }

  protected override sysLookup(key: Uint8Array): BytesOrErrno {
    const v = this.slots.get(readU32(key));
    return v ? v.slice() : -ENOENT;
  }
}
