/**
 * Codecs made at run time from a map's BTF (the layouts `map dump -j` formats with), so an
 * in-memory collection's maps take and give JavaScript values with no generated code: structs
 * as objects, arrays as arrays, integers as numbers (64-bit ones as bigint), enums by name,
 * char arrays as strings — decoding the way bpftool's btf_dumper prints. Encoding accepts a
 * little more: raw bytes (a Uint8Array of the type's size) anywhere, numeric strings, dotted
 * IPv4 for 4-byte integers and `u8[4]` (network byte order, as the bytes are written), MACs for
 * `u8[6]`. Every mismatch is a MapError EINVAL naming the map and the field.
 */
import type { Codec } from '../gen/runtime-contract';
import type { ValueLayout } from '../kernel';
import { parseIpv4, parseMac } from '../net';
import { MapError } from '../util/errors';

/** A map key or value as JavaScript sees it. */
export type BtfData = number | bigint | boolean | string | Uint8Array | readonly BtfData[] | { readonly [field: string]: BtfData };

/** Where an encode is: for messages (`map blocklist: key.addr`). */
type Path = string;

function fail(path: Path, why: string): never {
  throw new MapError('EINVAL', `${path}: ${why}`);
}

function describe(v: unknown): string {
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function readInt(v: DataView, off: number, size: number, signed: boolean, le: boolean): number | bigint {
  switch (size) {
    case 1:
      return signed ? v.getInt8(off) : v.getUint8(off);
    case 2:
      return signed ? v.getInt16(off, le) : v.getUint16(off, le);
    case 4:
      return signed ? v.getInt32(off, le) : v.getUint32(off, le);
    case 8:
      return signed ? v.getBigInt64(off, le) : v.getBigUint64(off, le);
    default: {
      let x = 0n;
      for (let i = 0; i < size; i++) x |= BigInt(v.getUint8(off + (le ? i : size - 1 - i))) << BigInt(8 * i);
      return signed && x >= 1n << BigInt(size * 8 - 1) ? x - (1n << BigInt(size * 8)) : x;
    }
  }
}

function writeInt(v: DataView, off: number, size: number, x: bigint, le: boolean): void {
  const mask = (1n << BigInt(size * 8)) - 1n;
  let u = x & mask;
  for (let i = 0; i < size; i++) {
    v.setUint8(off + (le ? i : size - 1 - i), Number(u & 0xffn));
    u >>= 8n;
  }
}

/** An integer input as a bigint in the type's range. */
function intOf(x: unknown, size: number, signed: boolean, path: Path): bigint {
  let n: bigint;
  if (typeof x === 'bigint') n = x;
  else if (typeof x === 'boolean') n = x ? 1n : 0n;
  else if (typeof x === 'number') {
    if (!Number.isInteger(x)) fail(path, `${x} is not an integer`);
    n = BigInt(x);
  } else if (typeof x === 'string' && /^-?(0x[0-9a-f]+|\d+)$/i.test(x.trim())) {
    const t = x.trim();
    n = t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
  } else return fail(path, `expected an integer of ${size} bytes, got ${describe(x)}`);
  const bits = BigInt(size * 8);
  const lo = signed ? -(1n << (bits - 1n)) : 0n;
  const hi = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  if (n < lo || n > hi) fail(path, `${n} is out of range for a ${signed ? 'signed' : 'unsigned'} ${size}-byte integer`);
  return n;
}

/** Bytes given for a type (a Uint8Array, an IPv4 or a MAC string) when their length fits. */
function bytesOf(x: unknown, size: number): Uint8Array | undefined {
  if (x instanceof Uint8Array) return x.length === size ? x : undefined;
  if (typeof x !== 'string') return undefined;
  if (size === 4) {
    const ip = parseIpv4(x);
    if (ip !== undefined) return Uint8Array.of(ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff);
  }
  if (size === 6) return parseMac(x);
  return undefined;
}

/** The size of a layout in bytes. */
function sizeOf(l: ValueLayout): number {
  switch (l.k) {
    case 'ptr':
      return 8;
    case 'array':
      return l.n * l.elemSize;
    default:
      return l.size;
  }
}

function decodeAt(l: ValueLayout, v: DataView, off: number, le: boolean): BtfData {
  switch (l.k) {
    case 'int': {
      const x = readInt(v, off, l.size, l.signed, le);
      return l.bool ? x !== 0 && x !== 0n : x;
    }
    case 'enum': {
      const x = readInt(v, off, l.size, l.signed, le);
      const hit = l.values.find(([, n]) => BigInt(n) === BigInt(x));
      return hit ? hit[0] : x;
    }
    case 'ptr':
      return readInt(v, off, 8, false, le);
    case 'array': {
      const e = l.elem;
      if (e.k === 'int' && e.size === 1 && (e.char || /char/.test(e.name ?? ''))) {
        const bytes = new Uint8Array(v.buffer, v.byteOffset + off, l.n);
        const nul = bytes.indexOf(0);
        const printable = nul >= 0 && bytes.subarray(0, nul).every((c) => c >= 0x20 && c < 0x7f) && bytes.subarray(nul).every((c) => c === 0);
        if (printable) return String.fromCharCode(...bytes.subarray(0, nul));
      }
      const out: BtfData[] = [];
      for (let i = 0; i < l.n; i++) out.push(decodeAt(e, v, off + i * l.elemSize, le));
      return out;
    }
    case 'struct': {
      const o: Record<string, BtfData> = {};
      for (const m of l.members) {
        if (m.bits) {
          const byte = off + Math.floor(m.off / 8);
          const avail = Math.min(8, v.byteLength - byte);
          const raw = BigInt(readInt(v, byte, avail, false, le));
          const shift = le ? BigInt(m.off % 8) : BigInt(avail * 8 - (m.off % 8) - m.bits);
          o[m.name] = Number((raw >> shift) & ((1n << BigInt(m.bits)) - 1n));
        } else o[m.name] = decodeAt(m.layout, v, off + m.off / 8, le);
      }
      return o;
    }
    case 'bytes':
      return new Uint8Array(v.buffer.slice(v.byteOffset + off, v.byteOffset + off + l.size));
  }
}

function encodeAt(l: ValueLayout, x: unknown, v: DataView, off: number, le: boolean, path: Path): void {
  const size = sizeOf(l);
  const raw = bytesOf(x, size);
  if (raw) {
    new Uint8Array(v.buffer, v.byteOffset + off, size).set(raw);
    return;
  }
  switch (l.k) {
    case 'int':
      return writeInt(v, off, l.size, intOf(x, l.size, l.signed, path), le);
    case 'enum': {
      if (typeof x === 'string' && /^[A-Za-z_]/.test(x)) {
        const hit = l.values.find(([name]) => name === x);
        if (!hit) fail(path, `${JSON.stringify(x)} is not one of ${l.values.map(([n]) => n).join(', ')}`);
        return writeInt(v, off, l.size, BigInt(hit[1]), le);
      }
      return writeInt(v, off, l.size, intOf(x, l.size, l.signed, path), le);
    }
    case 'ptr':
      return writeInt(v, off, 8, intOf(x, 8, false, path), le);
    case 'array': {
      if (typeof x === 'string' && l.elemSize === 1) {
        if (x.length > l.n) fail(path, `string of ${x.length} characters does not fit char[${l.n}]`);
        for (let i = 0; i < x.length; i++) v.setUint8(off + i, x.charCodeAt(i) & 0xff);
        return;
      }
      if (!Array.isArray(x)) return fail(path, `expected an array of ${l.n} or ${size} bytes, got ${describe(x)}`);
      if (x.length > l.n) fail(path, `${x.length} elements do not fit an array of ${l.n}`);
      x.forEach((e, i) => encodeAt(l.elem, e, v, off + i * l.elemSize, le, `${path}[${i}]`));
      return;
    }
    case 'struct': {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) return fail(path, `expected an object (fields ${l.members.map((m) => m.name).join(', ')}) or ${size} bytes, got ${describe(x)}`);
      const byName = new Map(l.members.map((m) => [m.name, m]));
      for (const [k, e] of Object.entries(x as Record<string, unknown>)) {
        const m = byName.get(k);
        if (!m) return fail(path, `no field '${k}' (fields: ${l.members.map((f) => f.name).join(', ')})`);
        if (m.bits) {
          const byte = off + Math.floor(m.off / 8);
          const avail = Math.min(8, v.byteLength - byte);
          const n = intOf(e, 8, false, `${path}.${k}`);
          if (n >= 1n << BigInt(m.bits)) fail(`${path}.${k}`, `${n} does not fit ${m.bits} bits`);
          const shift = le ? BigInt(m.off % 8) : BigInt(avail * 8 - (m.off % 8) - m.bits);
          const mask = ((1n << BigInt(m.bits)) - 1n) << shift;
          const cur = BigInt(readInt(v, byte, avail, false, le));
          writeInt(v, byte, avail, (cur & ~mask) | (n << shift), le);
        } else encodeAt(m.layout, e, v, off + m.off / 8, le, `${path}.${k}`);
      }
      return;
    }
    case 'bytes':
      return fail(path, `expected ${size} bytes, got ${describe(x)}`);
  }
}

/**
 * The codec of a BTF layout of `size` bytes; without a layout (no BTF), the bytes themselves.
 * `what` names the key or value in errors (`map blocklist: key`).
 */
export function btfCodec(layout: ValueLayout | undefined, size: number, byteOrder: 'le' | 'be', what: string): Codec<BtfData> {
  const le = byteOrder === 'le';
  return {
    size,
    align: 1,
    encode(x: BtfData): Uint8Array {
      const out = new Uint8Array(size);
      if (x instanceof Uint8Array) {
        if (x.length !== size) fail(what, `${x.length} bytes given, the type is ${size}`);
        out.set(x);
        return out;
      }
      if (!layout) return fail(what, `the map has no BTF for it: give ${size} bytes (a Uint8Array), got ${describe(x)}`);
      encodeAt(layout, x, new DataView(out.buffer), 0, le, what);
      return out;
    },
    decode(b: Uint8Array): BtfData {
      if (b.length !== size) throw new RangeError(`${what}: expected ${size} bytes, got ${b.length}`);
      if (!layout) return b.slice();
      return decodeAt(layout, new DataView(b.buffer, b.byteOffset, b.byteLength), 0, le);
    },
  };
}
