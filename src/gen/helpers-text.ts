/**
 * Source text of the small helper functions a generated module contains. Each is emitted only
 * when the module uses it, always in this order, so output stays deterministic and minimal.
 * They read the module's `LE` constant (the embedded object's byte order).
 */
import type { HelperName } from './ts-types';

/** Helper name → its TypeScript source, in emission order. */
export const HELPER_SOURCES: ReadonlyArray<readonly [HelperName | 'base64', string]> = [
  [
    'codec',
    `/** Makes a codec from a reader and a writer at a DataView offset. */
function codec<T>(size: number, align: number, read: (v: DataView, o: number) => T, write: (v: DataView, o: number, x: T) => void): Codec<T> {
  return {
    size,
    align,
    encode(x: T): Uint8Array {
      const b = new Uint8Array(size);
      write(new DataView(b.buffer), 0, x);
      return b;
    },
    decode(b: Uint8Array): T {
      if (b.length !== size) throw new RangeError(\`expected \${size} bytes, got \${b.length}\`);
      return read(new DataView(b.buffer, b.byteOffset, b.byteLength), 0);
    },
  };
}`,
  ],
  [
    'rawCodec',
    `/** A codec for bytes no BTF describes: the value is a copy of exactly \`size\` bytes. */
function rawCodec(size: number): Codec<Uint8Array> {
  return {
    size,
    align: 1,
    encode(x: Uint8Array): Uint8Array {
      if (x.length !== size) throw new RangeError(\`expected \${size} bytes, got \${x.length}\`);
      return x.slice();
    },
    decode(b: Uint8Array): Uint8Array {
      if (b.length !== size) throw new RangeError(\`expected \${size} bytes, got \${b.length}\`);
      return b.slice();
    },
  };
}`,
  ],
  [
    'bytesAt',
    `/** A copy of \`n\` bytes at offset \`o\`. */
function bytesAt(v: DataView, o: number, n: number): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset + o, n).slice();
}`,
  ],
  [
    'putBytes',
    `/** Writes up to \`n\` bytes at \`o\`, zero-filling the rest (like a C array initialiser). */
function putBytes(v: DataView, o: number, n: number, x: Uint8Array | Int8Array, what: string): void {
  if (x.length > n) throw new RangeError(\`\${what}: at most \${n} bytes, got \${x.length}\`);
  const dst = new Uint8Array(v.buffer, v.byteOffset + o, n);
  dst.fill(0);
  dst.set(new Uint8Array(x.buffer, x.byteOffset, x.length));
}`,
  ],
  [
    'checkLength',
    `/** Refuses an array whose length is not the C array's. */
function checkLength(x: readonly unknown[], n: number, what: string): void {
  if (x.length !== n) throw new RangeError(\`\${what}: expected \${n} elements, got \${x.length}\`);
}`,
  ],
  [
    'getBits',
    `/**
 * Reads a bitfield of \`bits\` ≤ 32 bits as the kernel's btf_bitfield_seq_show does: the \`n\`
 * bytes at \`o\` form an integer in the object's byte order; the field starts \`at\` bits from its
 * least significant end (little-endian) or from its most significant end (big-endian).
 */
function getBits(v: DataView, o: number, n: number, at: number, bits: number, signed: boolean): number {
  let x = 0;
  for (let i = 0; i < n; i++) x = x * 256 + v.getUint8(LE ? o + n - 1 - i : o + i);
  const shift = LE ? at : 8 * n - at - bits;
  let f = Math.floor(x / 2 ** shift) % 2 ** bits;
  if (signed && f >= 2 ** (bits - 1)) f -= 2 ** bits;
  return f;
}`,
  ],
  [
    'setBits',
    `/** Writes a bitfield (see getBits); the value is truncated to \`bits\` bits like a C assignment. */
function setBits(v: DataView, o: number, n: number, at: number, bits: number, value: number): void {
  let x = 0;
  for (let i = 0; i < n; i++) x = x * 256 + v.getUint8(LE ? o + n - 1 - i : o + i);
  const unit = 2 ** (LE ? at : 8 * n - at - bits);
  const span = 2 ** bits;
  const old = Math.floor(x / unit) % span;
  const f = ((Math.trunc(value) % span) + span) % span;
  x += (f - old) * unit;
  for (let i = 0; i < n; i++) {
    v.setUint8(LE ? o + i : o + n - 1 - i, x % 256);
    x = Math.floor(x / 256);
  }
}`,
  ],
  [
    'getBitsBig',
    `/** Reads a bitfield wider than 32 bits (see getBits) as a bigint. */
function getBitsBig(v: DataView, o: number, n: number, at: number, bits: number, signed: boolean): bigint {
  let x = 0n;
  for (let i = 0; i < n; i++) x = (x << 8n) | BigInt(v.getUint8(LE ? o + n - 1 - i : o + i));
  const f = (x >> BigInt(LE ? at : 8 * n - at - bits)) & ((1n << BigInt(bits)) - 1n);
  return signed ? BigInt.asIntN(bits, f) : f;
}`,
  ],
  [
    'setBitsBig',
    `/** Writes a bitfield wider than 32 bits (see getBits), truncated to \`bits\` bits. */
function setBitsBig(v: DataView, o: number, n: number, at: number, bits: number, value: bigint): void {
  let x = 0n;
  for (let i = 0; i < n; i++) x = (x << 8n) | BigInt(v.getUint8(LE ? o + n - 1 - i : o + i));
  const shift = BigInt(LE ? at : 8 * n - at - bits);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  x = (x & ~mask) | ((BigInt.asUintN(bits, value) << shift) & mask);
  for (let i = 0; i < n; i++) {
    v.setUint8(LE ? o + i : o + n - 1 - i, Number(x & 0xffn));
    x >>= 8n;
  }
}`,
  ],
  [
    'getInt128',
    `/** Reads a 128-bit integer (two 64-bit halves in the object's byte order). */
function getInt128(v: DataView, o: number, signed: boolean): bigint {
  const lo = v.getBigUint64(LE ? o : o + 8, LE);
  const hi = v.getBigUint64(LE ? o + 8 : o, LE);
  const x = (hi << 64n) | lo;
  return signed ? BigInt.asIntN(128, x) : x;
}`,
  ],
  [
    'setInt128',
    `/** Writes a 128-bit integer, truncated like a C assignment. */
function setInt128(v: DataView, o: number, x: bigint): void {
  const u = BigInt.asUintN(128, x);
  v.setBigUint64(LE ? o : o + 8, u & 0xffffffffffffffffn, LE);
  v.setBigUint64(LE ? o + 8 : o, u >> 64n, LE);
}`,
  ],
  [
    'base64',
    `/** Decodes standard base64 (RFC 4648 section 4) without relying on atob or Buffer. */
function base64Decode(s: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (let i = 0; i < clean.length; i++) {
    const d = alphabet.indexOf(clean.charAt(i));
    if (d < 0) throw new Error('corrupt embedded object');
    acc = (acc << 6) | d;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}`,
  ],
];
