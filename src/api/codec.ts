/**
 * Codecs the runtime makes itself: the byte-level codec behind every `raw` map view, and the
 * per-CPU wrapper that turns one value codec into an array codec over the kernel's per-CPU
 * layout (`bpf_map_copy_value` → `bpf_percpu_array_copy`: each CPU's value copied into a slot of
 * `round_up(value_size, 8)` bytes, kernel/bpf/arraymap.c and hashtab.c).
 */
import type { Codec, UpdateFlag } from '../gen/runtime-contract';
import { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from '../gen/runtime-contract';
import { MapError } from '../util/errors';

/** The identity codec over `size` bytes: values are copies, so callers never alias map memory. */
export function bytesCodec(size: number): Codec<Uint8Array> {
  return {
    size,
    align: 1,
    encode(value: Uint8Array): Uint8Array {
      if (value.length !== size) throw new MapError('EINVAL', `expected ${size} bytes, got ${value.length}`);
      return value.slice();
    },
    decode(bytes: Uint8Array): Uint8Array {
      if (bytes.length !== size) throw new RangeError(`expected ${size} bytes, got ${bytes.length}`);
      return bytes.slice();
    },
  };
}

/** `round_up(n, 8)`: the size of one CPU's slot in a per-CPU value as user space sees it. */
export function perCpuSlot(valueSize: number): number {
  return (valueSize + 7) & ~7;
}

/**
 * The codec of a per-CPU value: `ncpus` slots of `round_up(size, 8)` bytes, each holding one
 * `inner`-encoded value followed by zero padding. Encoding accepts a shorter array (the missing
 * CPUs get zero bytes, the contract of PerCpuMap) and refuses a longer one with EINVAL.
 */
export function perCpuCodec<V>(inner: Codec<V>, ncpus: number, valueSize = inner.size): Codec<V[]> {
  const slot = perCpuSlot(valueSize);
  const size = slot * ncpus;
  return {
    size,
    align: 8,
    encode(values: V[]): Uint8Array {
      if (values.length > ncpus) throw new MapError('EINVAL', `per-CPU value has ${values.length} elements, the kernel has ${ncpus} CPUs`);
      const out = new Uint8Array(size);
      values.forEach((v, cpu) => {
        const b = inner.encode(v);
        if (b.length !== valueSize) throw new MapError('EINVAL', `value encodes to ${b.length} bytes, the map's value is ${valueSize}`);
        out.set(b, cpu * slot);
      });
      return out;
    },
    decode(bytes: Uint8Array): V[] {
      if (bytes.length !== size) throw new RangeError(`expected ${size} bytes, got ${bytes.length}`);
      const out: V[] = [];
      for (let cpu = 0; cpu < ncpus; cpu++) out.push(inner.decode(bytes.slice(cpu * slot, cpu * slot + valueSize)));
      return out;
    },
  };
}

/** The kernel's number of an update flag word (`any` → BPF_ANY ...); EINVAL for anything else. */
export function updateFlagNumber(flag: UpdateFlag | undefined): number {
  switch (flag) {
    case undefined:
    case 'any':
    case BPF_ANY:
      return BPF_ANY;
    case 'noexist':
    case BPF_NOEXIST:
      return BPF_NOEXIST;
    case 'exist':
    case BPF_EXIST:
      return BPF_EXIST;
    default:
      throw new MapError('EINVAL', `unknown update flag ${String(flag)} (expected 'any', 'noexist' or 'exist')`);
  }
}
