/**
 * Map keys and values written in a test file, typed by the map's BTF: integers (decimal, hex,
 * negative for signed types), enum names, booleans, structs as mappings (members left out are
 * not compared), arrays as lists, char arrays as text, and for byte-sized integers or arrays of
 * u8 the usual address forms (`10.0.0.1` into a __u32 or __be32 is stored in network order, as a
 * program copies it from the packet; `aa:bb:cc:dd:ee:ff` into a u8[6]). Maps without BTF take
 * an integer (little-endian, the map's key or value size) or hex bytes.
 */
import type { ValueLayout } from '../kernel/index';
import { parseHexBytes, parseIp4Bytes, parseIp6Bytes, parseMacBytes } from '../packet/index';
import { scalarText, type YNode } from './yaml';

/** Bytes to compare and which of them matter (mask 0xff: compared; 0: left out of the test). */
export interface Encoded {
  readonly bytes: Uint8Array;
  readonly mask: Uint8Array;
}

/** A value that does not fit its type; `node` is where. */
export class ValueMismatch extends Error {
  constructor(
    readonly node: YNode,
    message: string,
  ) {
    super(message);
  }
}

function sizeOfLayout(l: ValueLayout): number {
  switch (l.k) {
    case 'int':
    case 'enum':
    case 'struct':
    case 'bytes':
      return l.size;
    case 'ptr':
      return 8;
    case 'array':
      return l.n * l.elemSize;
  }
}

/** Encodes a node as a value of `size` bytes laid out as `layout` (undefined: no BTF). */
export function encodeNode(node: YNode, layout: ValueLayout | undefined, size: number): Encoded {
  const bytes = new Uint8Array(size);
  const mask = new Uint8Array(size);
  put(node, layout ?? { k: 'bytes', size }, bytes, mask, 0);
  return { bytes, mask };
}

function bad(node: YNode, msg: string): never {
  throw new ValueMismatch(node, msg);
}

function putInt(node: YNode, v: bigint, size: number, signed: boolean, b: Uint8Array, m: Uint8Array, off: number, what: string): void {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (v < min || v > max) bad(node, `${v} does not fit ${what} (${min}..${max})`);
  let u = v < 0n ? v + (1n << bits) : v;
  for (let i = 0; i < size; i++) {
    b[off + i] = Number(u & 0xffn);
    m[off + i] = 0xff;
    u >>= 8n;
  }
}

function intOf(node: YNode): bigint | undefined {
  if (node.kind !== 'scalar') return undefined;
  if (typeof node.value === 'number' && Number.isInteger(node.value)) return BigInt(node.value);
  if (typeof node.value === 'boolean') return node.value ? 1n : 0n;
  const t = scalarText(node).trim();
  if (/^-?(0x[0-9a-f]+|\d+)$/i.test(t)) return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  return undefined;
}

/** Address and hex text for raw bytes of `size`: MAC, IPv4, IPv6 (network order), or hex. */
function addrBytes(t: string, size: number): Uint8Array | undefined {
  const a = (size === 4 && parseIp4Bytes(t)) || (size === 6 && parseMacBytes(t)) || (size === 16 && parseIp6Bytes(t)) || undefined;
  if (a) return a;
  if (/^0x/i.test(t) && t.length - 2 === size * 2) return parseHexBytes(t);
  return undefined;
}

function put(node: YNode, l: ValueLayout, b: Uint8Array, m: Uint8Array, off: number): void {
  const size = sizeOfLayout(l);
  if (node.kind === 'scalar' && typeof node.value === 'string' && l.k !== 'enum' && !(l.k === 'array' && isChar(l))) {
    const a = addrBytes(node.value.trim(), size);
    if (a && (l.k !== 'int' || !/^0x/i.test(node.value.trim()))) {
      b.set(a, off);
      m.fill(0xff, off, off + size);
      return;
    }
  }
  switch (l.k) {
    case 'int': {
      const v = intOf(node) ?? bad(node, `expected an integer${size === 4 ? ' or an IPv4 address' : ''} for a ${l.name ?? `${size}-byte integer`}`);
      putInt(node, v, l.size, l.signed, b, m, off, l.name ?? `${size} bytes`);
      return;
    }
    case 'enum': {
      const t = node.kind === 'scalar' ? scalarText(node) : '';
      const named = l.values.find(([n]) => n === t);
      const v = named ? BigInt(named[1]) : intOf(node) ?? bad(node, `expected one of ${l.values.map(([n]) => n).join(', ')} or an integer`);
      putInt(node, v, l.size, l.signed, b, m, off, 'the enum');
      return;
    }
    case 'ptr':
      putInt(node, intOf(node) ?? bad(node, 'expected an integer for a pointer'), 8, false, b, m, off, 'a pointer');
      return;
    case 'bytes': {
      if (node.kind === 'seq') {
        if (node.items.length > size) bad(node, `${node.items.length} bytes do not fit ${size}`);
        node.items.forEach((it, i) => putInt(it, intOf(it) ?? bad(it, 'expected a byte'), 1, false, b, m, off + i, 'a byte'));
        return;
      }
      const v = intOf(node);
      if (v !== undefined && size <= 8) return putInt(node, v, size, v < 0n, b, m, off, `${size} bytes`);
      const hex = node.kind === 'scalar' ? parseHexBytes(scalarText(node)) : undefined;
      if (!hex || hex.length !== size) bad(node, `expected ${size <= 8 ? 'an integer or ' : ''}${size} bytes of hex`);
      b.set(hex, off);
      m.fill(0xff, off, off + size);
      return;
    }
    case 'array': {
      if (isChar(l) && node.kind === 'scalar' && typeof node.value === 'string') {
        const t = new TextEncoder().encode(node.value);
        if (t.length > l.n) bad(node, `text of ${t.length} bytes does not fit char[${l.n}]`);
        b.set(t, off);
        m.fill(0xff, off, off + l.n);
        return;
      }
      if (node.kind !== 'seq') bad(node, `expected a list of ${l.n} elements`);
      if (node.items.length > l.n) bad(node, `${node.items.length} elements do not fit an array of ${l.n}`);
      node.items.forEach((it, i) => put(it, l.elem, b, m, off + i * l.elemSize));
      return;
    }
    case 'struct': {
      if (node.kind !== 'map') bad(node, `expected a mapping of the members ${l.members.map((x) => x.name).join(', ')}`);
      for (const e of node.entries) {
        const name = scalarText(e.key);
        const mem = l.members.find((x) => x.name === name);
        if (!mem) bad(e.key, `no member '${name}'; the members are ${l.members.map((x) => x.name).join(', ')}`);
        if (mem.bits) {
          const v = intOf(e.value) ?? bad(e.value, 'expected an integer for a bitfield');
          if (v < 0n || v >= 1n << BigInt(mem.bits)) bad(e.value, `${v} does not fit ${mem.bits} bits`);
          for (let i = 0; i < mem.bits; i++) {
            const bit = mem.off + i;
            const byte = off + (bit >> 3);
            const one = (v >> BigInt(i)) & 1n;
            b[byte] = one ? b[byte]! | (1 << (bit & 7)) : b[byte]! & ~(1 << (bit & 7));
            m[byte] = m[byte]! | (1 << (bit & 7));
          }
        } else put(e.value, mem.layout, b, m, off + mem.off / 8);
      }
      return;
    }
  }
}

function isChar(l: Extract<ValueLayout, { k: 'array' }>): boolean {
  return l.elem.k === 'int' && l.elem.size === 1 && (l.elem.char === true || /char/.test(l.elem.name ?? ''));
}

/** True when `actual` has the encoded bytes wherever the mask says they matter. */
export function matchesEncoded(e: Encoded, actual: Uint8Array): boolean {
  for (let i = 0; i < e.bytes.length; i++) if ((actual[i]! & e.mask[i]!) !== (e.bytes[i]! & e.mask[i]!)) return false;
  return true;
}

/** True when every byte matters (a full key, usable for a lookup). */
export function fullyGiven(e: Encoded): boolean {
  return e.mask.every((x) => x === 0xff);
}
