/**
 * The field model shared by every layer: a field has a name, a kind (integer of N bits at a bit
 * offset of the fixed header, address, byte blob, flag letters), optional symbolic names and a
 * default. Fixed fields are read and written generically, big-endian as on the wire.
 */
import {
  formatIp4, formatIp6, formatMacBytes, hexOf, parseHexBytes, parseInteger, parseIp4Bytes, parseIp6Bytes,
  parseMacBytes, ValueError, type FieldValue,
} from './values';

/** How a field is written and stored. */
export type FieldKind = 'int' | 'mac' | 'ip4' | 'ip6' | 'bytes' | 'flags' | 'ip6list';

/** One header field. */
export interface FieldDef {
  readonly name: string;
  readonly kind: FieldKind;
  /** Bit offset in the fixed header (fixed fields only) and width. */
  readonly bit?: number;
  readonly bits?: number;
  /** Symbolic values (`op=reply`, `type=echo-request`). */
  readonly names?: Readonly<Record<string, number>>;
  /** Flag letters from the most significant bit of the field down (`flags=SA`). */
  readonly letters?: string;
  /** The value when neither given nor computed. */
  readonly dflt?: FieldValue;
  /** Computed from the rest of the packet (lengths, checksums, next-protocol numbers) unless given. */
  readonly auto?: boolean;
}

/** Byte length of an address kind. */
const ADDR_LEN: Partial<Record<FieldKind, number>> = { mac: 6, ip4: 4, ip6: 16 };

/** Parses a field's text value; throws ValueError with what was expected. */
export function parseField(f: FieldDef, text: string): FieldValue {
  const t = text.trim();
  switch (f.kind) {
    case 'mac':
      return parseMacBytes(t) ?? fail(`'${t}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
    case 'ip4':
      return parseIp4Bytes(t) ?? fail(`'${t}' is not an IPv4 address`);
    case 'ip6':
      return parseIp6Bytes(t) ?? fail(`'${t}' is not an IPv6 address`);
    case 'ip6list': {
      const parts = t.split(/[+\s]+/).filter(Boolean);
      const out = new Uint8Array(16 * parts.length);
      parts.forEach((p, i) => out.set(parseIp6Bytes(p) ?? fail(`'${p}' is not an IPv6 address`), 16 * i));
      return out;
    }
    case 'bytes':
      return parseHexBytes(t) ?? fail(`'${t}' is not hex bytes`);
    case 'flags':
    case 'int': {
      const bits = f.bits ?? 32;
      const max = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
      let n = parseInteger(t) ?? f.names?.[t.toLowerCase()];
      if (n === undefined && f.kind === 'flags') n = parseFlags(f, t);
      if (n === undefined) {
        const names = f.names ? `, or one of ${Object.keys(f.names).join(', ')}` : '';
        const letters = f.letters ? ` or flag letters from '${f.letters.replace(/\./g, '')}'` : '';
        return fail(`'${t}' is not an integer${letters}${names}`);
      }
      if (n > max) return fail(`${n} does not fit in ${bits} bits (max ${max})`);
      return n;
    }
  }
}

function fail(msg: string): never {
  throw new ValueError(msg);
}

function parseFlags(f: FieldDef, t: string): number | undefined {
  const letters = f.letters!;
  const bits = f.bits ?? letters.length;
  let n = 0;
  // `SA`, `S+A`, `S|A`, `DF|MF`, `DF+MF`, or `0`/none.
  if (t === '' || t.toLowerCase() === 'none') return 0;
  const named = t.split(/[|+]/);
  if (named.every((x) => f.names?.[x.toLowerCase()] !== undefined)) return named.reduce((a, x) => a | f.names![x.toLowerCase()]!, 0);
  for (const ch of t.replace(/[|+]/g, '')) {
    const i = letters.indexOf(ch.toUpperCase());
    if (i < 0 || ch === '.') return undefined;
    n |= 1 << (bits - 1 - i);
  }
  return n;
}

/** Formats a value for messages and decoded views. */
export function formatField(f: FieldDef, v: FieldValue): string {
  if (typeof v !== 'number') {
    if (f.kind === 'mac' && v.length === 6) return formatMacBytes(v);
    if (f.kind === 'ip4' && v.length === 4) return formatIp4(v);
    if (f.kind === 'ip6' && v.length === 16) return formatIp6(v);
    if (f.kind === 'ip6list' && v.length % 16 === 0) return Array.from({ length: v.length / 16 }, (_, i) => formatIp6(v.subarray(16 * i, 16 * i + 16))).join('+');
    return hexOf(v);
  }
  if (f.kind === 'flags' && f.letters) {
    const bits = f.bits ?? f.letters.length;
    let s = '';
    for (let i = 0; i < f.letters.length; i++) if (v & (1 << (bits - 1 - i)) && f.letters[i] !== '.') s += f.letters[i];
    return s === '' ? (v === 0 ? '0' : `0x${v.toString(16)}`) : s;
  }
  if (f.bits !== undefined && f.bits >= 16) return `${v} (0x${v.toString(16).padStart(Math.ceil(f.bits / 4), '0')})`;
  return String(v);
}

/** Writes an integer field of `bits` at bit offset `bit` of `b` (big-endian bit order). */
export function putBits(b: Uint8Array, bit: number, bits: number, v: number): void {
  for (let i = 0; i < bits; i++) {
    const pos = bit + i;
    const one = Math.floor(v / 2 ** (bits - 1 - i)) % 2;
    const mask = 0x80 >> (pos & 7);
    if (one) b[pos >> 3]! |= mask;
    else b[pos >> 3]! &= ~mask;
  }
}

/** Reads an integer field of `bits` at bit offset `bit` of `b`. */
export function getBits(b: Uint8Array, bit: number, bits: number): number {
  if ((bit & 7) === 0 && (bits & 7) === 0) {
    let v = 0;
    for (let i = 0; i < bits / 8; i++) v = v * 256 + b[(bit >> 3) + i]!;
    return v;
  }
  let v = 0;
  for (let i = 0; i < bits; i++) {
    const pos = bit + i;
    v = v * 2 + ((b[pos >> 3]! >> (7 - (pos & 7))) & 1);
  }
  return v;
}

/** Writes a fixed field (integer or address) into a header. */
export function putField(b: Uint8Array, f: FieldDef, v: FieldValue): void {
  if (f.bit === undefined) return;
  if (typeof v === 'number') putBits(b, f.bit, f.bits!, v);
  else b.set(v.subarray(0, ADDR_LEN[f.kind] ?? v.length), f.bit >> 3);
}

/** Reads a fixed field from a header. */
export function getField(b: Uint8Array, f: FieldDef): FieldValue {
  const len = ADDR_LEN[f.kind];
  if (len !== undefined) return b.slice(f.bit! >> 3, (f.bit! >> 3) + len);
  return getBits(b, f.bit!, f.bits!);
}

/** The Internet checksum (RFC 1071) over byte ranges, with an initial 32-bit partial sum. */
export function inetSum(parts: readonly Uint8Array[], initial = 0): number {
  let sum = initial;
  for (const p of parts) {
    let i = 0;
    for (; i + 1 < p.length; i += 2) sum += (p[i]! << 8) | p[i + 1]!;
    if (i < p.length) sum += p[i]! << 8;
    // Odd-length parts are only ever last (pseudo headers and headers are even).
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}
