/** Hex helpers for packets, map keys and values. */
import { UsageError } from './errors';

/** Lower-case hex of bytes, no separators. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/**
 * Parses hex with or without separators (spaces, colons, `0x` prefixes per byte as bpftool
 * accepts them: `aa bb`, `0xaa 0xbb`, `aabb`, `aa:bb`). Throws UsageError naming the bad token.
 */
export function fromHex(text: string, what = 'hex'): Uint8Array {
  const tokens = text.trim().split(/[\s:,]+/).filter((t) => t.length > 0);
  const out: number[] = [];
  for (const tok of tokens) {
    const t = tok.replace(/^0x/i, '');
    if (!/^[0-9a-fA-F]*$/.test(t)) throw new UsageError(`invalid ${what}: '${tok}' is not hex`);
    if (tok.length !== t.length && t.length <= 2) {
      // `0xN` as one byte (bpftool style)
      out.push(parseInt(t || '0', 16));
      continue;
    }
    if (t.length % 2 !== 0) throw new UsageError(`invalid ${what}: '${tok}' has an odd number of hex digits`);
    for (let i = 0; i < t.length; i += 2) out.push(parseInt(t.slice(i, i + 2), 16));
  }
  return Uint8Array.from(out);
}
