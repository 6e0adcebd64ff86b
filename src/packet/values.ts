/**
 * Field values of the packet builder: how each kind of header field is written in the layer
 * syntax (`ttl=64`, `src=10.0.0.1`, `dst=fd00::2`, `flags=SA`, `options=0102...`), stored,
 * compared and printed. A value is a number (integers up to 32 bits), or bytes (addresses,
 * options); addresses print in their usual text form.
 */

/** A parsed field value: an integer, or bytes (MAC, IPv4, IPv6 addresses, option blobs). */
export type FieldValue = number | Uint8Array;

/** Why a value did not parse; the caller adds the position. */
export class ValueError extends Error {}

/** Parses dotted-quad IPv4 into 4 bytes, or undefined. */
export function parseIp4Bytes(text: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const b = Uint8Array.from(m.slice(1, 5), Number);
  return m.slice(1, 5).some((x) => Number(x) > 255) ? undefined : b;
}

/** Parses `aa:bb:cc:dd:ee:ff` (or `-` separated) into 6 bytes, or undefined. */
export function parseMacBytes(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-f]{1,2}$/i.test(p))) return undefined;
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** Parses an IPv6 address (RFC 4291 §2.2 text forms, `::` and a trailing dotted quad) into 16 bytes. */
export function parseIp6Bytes(text: string): Uint8Array | undefined {
  if (!/^[0-9a-f:.]+$/i.test(text) || text.split('::').length > 2) return undefined;
  let tail: number[] = [];
  let t = text;
  const quad = /:(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (quad) {
    const v4 = parseIp4Bytes(quad[1]!);
    if (!v4) return undefined;
    tail = [(v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!];
    t = t.slice(0, quad.index + 1) + (t.endsWith('::' + quad[1]) ? ':' : '');
    if (t.endsWith(':') && !t.endsWith('::')) t = t.slice(0, -1);
  }
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const g = s.split(':');
    if (g.some((x) => !/^[0-9a-f]{1,4}$/i.test(x))) return undefined;
    return g.map((x) => parseInt(x, 16));
  };
  let words: number[];
  if (t.includes('::')) {
    const [a, b] = t.split('::') as [string, string];
    const ga = groups(a);
    const gb = groups(b);
    if (!ga || !gb) return undefined;
    const fill = 8 - ga.length - gb.length - tail.length;
    if (fill < 1) return undefined;
    words = [...ga, ...new Array<number>(fill).fill(0), ...gb, ...tail];
  } else {
    const g = groups(t);
    if (!g) return undefined;
    words = [...g, ...tail];
  }
  if (words.length !== 8) return undefined;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 255;
  });
  return out;
}

/** Formats 16 bytes as RFC 5952 IPv6 text (longest run of two or more zero groups as `::`). */
export function formatIp6(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(w);
  return `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** Parses an unsigned integer: decimal, `0x` hex, `0o` octal, `0b` binary. */
export function parseInteger(text: string): number | undefined {
  const t = text.trim().replace(/_/g, '');
  if (!/^(0x[0-9a-f]+|0o[0-7]+|0b[01]+|\d+)$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Parses hex bytes written as one run (`0a0b`, `0x0a0b`) or with separators (`0a:0b`, `0a 0b`). */
export function parseHexBytes(text: string): Uint8Array | undefined {
  const t = text.trim().replace(/^0x/i, '').replace(/[\s:._-]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(t)) return undefined;
  return Uint8Array.from(t.match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** Lower-case hex of bytes. */
export function hexOf(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, '0');
  return s;
}

/** Formats dotted-quad IPv4 from 4 bytes. */
export function formatIp4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** Formats a MAC from 6 bytes. */
export function formatMacBytes(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** True when two field values are equal. */
export function sameValue(a: FieldValue, b: FieldValue): boolean {
  if (typeof a === 'number' || typeof b === 'number') return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
