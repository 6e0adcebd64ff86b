/** Seeded random map scripts for the differential test (same script on both kernels). */

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    s ^= s >>> 13;
    return s >>> 0;
  };
}

const hex = (bytes: number[]) => bytes.map((b) => (b & 0xff).toString(16).padStart(2, '0')).join('');
const u32 = (v: number) => hex([v, v >>> 8, v >>> 16, v >>> 24]);

/** A random script over a map type: `kind` picks the operations and key shapes. */
export function fuzzScript(kind: 'hash' | 'array' | 'lpm' | 'queue' | 'lru', seed: number, ops: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length]!;
  const lines: string[] = [];
  const val = () => hex(Array.from({ length: 8 }, () => r() & 0xff));
  switch (kind) {
    case 'hash':
      // BPF_F_ZERO_SEED makes the kernel's bucket order reproducible, so `next` is compared too.
      lines.push('create 1 4 8 8 64');
      for (let i = 0; i < ops; i++) {
        const k = u32(r() % 12);
        const op = pick(['update', 'update', 'lookup', 'delete', 'lookupdel', 'next']);
        if (op === 'update') lines.push(`update ${k} ${val()} ${pick([0, 0, 1, 2, 3, 4])}`);
        else if (op === 'lookup' || op === 'lookupdel') lines.push(`${op} ${k} 8`);
        else if (op === 'next') lines.push(`next ${pick([k, '-'])}`);
        else lines.push(`delete ${k}`);
      }
      break;
    case 'lru': {
      // LRU_HASH or LRU_PERCPU_HASH, common or per-CPU lists, values sized for 2 CPUs.
      const percpu = r() % 2 === 1;
      const flags = r() % 3 === 0 ? 2 : 0; // BPF_F_NO_COMMON_LRU
      const size = percpu ? 16 : 8;
      lines.push(`create ${percpu ? 10 : 9} 4 8 ${5 + (r() % 4)} ${flags | 64}`);
      const v = () => hex(Array.from({ length: size }, (_, i) => (i % 8 < 8 ? r() & 0xff : 0)));
      for (let i = 0; i < ops; i++) {
        const k = u32(r() % 10);
        const op = pick(['update', 'update', 'update', 'update', 'lookup', 'delete', 'lookupdel', 'next']);
        if (op === 'update') lines.push(`update ${k} ${v()} ${pick([0, 0, 0, 1, 2])}`);
        else if (op === 'delete') lines.push(`delete ${k}`);
        else if (op === 'next') lines.push(`next ${pick([k, '-'])}`);
        else lines.push(`${op} ${k} ${size}`);
      }
      for (let k = 0; k < 10; k++) lines.push(`lookup ${u32(k)} ${size}`);
      break;
    }
    case 'array':
      lines.push('create 2 4 8 6 0');
      for (let i = 0; i < ops; i++) {
        const k = u32(r() % 8);
        const op = pick(['update', 'lookup', 'next', 'delete']);
        if (op === 'update') lines.push(`update ${k} ${val()} ${pick([0, 1, 2, 3])}`);
        else if (op === 'lookup') lines.push(`lookup ${k} 8`);
        else if (op === 'next') lines.push(`next ${pick([k, '-'])}`);
        else lines.push(`delete ${k}`);
      }
      break;
    case 'lpm': {
      // A small key space (prefixes of 10.x.y.z with few distinct bits) so prefixes nest.
      lines.push('create 11 8 8 12 1');
      const key = () => hex([r() % 33, 0, 0, 0, 10, pick([0, 0x80, 0xc0, 0xff]), pick([0, 1, 2]), pick([0, 0x10])]);
      for (let i = 0; i < ops; i++) {
        const op = pick(['update', 'update', 'update', 'delete', 'lookup', 'next']);
        if (op === 'update') lines.push(`update ${key()} ${val()} ${pick([0, 0, 0, 1, 2])}`);
        else if (op === 'delete') lines.push(`delete ${key()}`);
        else if (op === 'lookup') lines.push(`lookup ${key()} 8`);
        else lines.push(`next ${pick([key(), '-'])}`);
      }
      // Walk the whole trie: the post-order must match.
      lines.push('next -');
      break;
    }
    case 'queue':
      lines.push(`create ${pick([22, 23])} 0 8 4 0`);
      for (let i = 0; i < ops; i++) {
        const op = pick(['update', 'update', 'lookup', 'lookupdel']);
        if (op === 'update') lines.push(`update - ${val()} ${pick([0, 0, 2, 1])}`);
        else lines.push(`${op} - 8`);
      }
      break;
  }
  return lines.join('\n') + '\n';
}
