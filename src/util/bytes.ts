/**
 * Byte readers and writers over DataView. One growable writer serves every encoder.
 */

/** Byte order of a BPF object: `bpfel` little-endian, `bpfeb` big-endian. */
export type Endian = 'le' | 'be';

/** A growable byte buffer with typed little/big-endian writes. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private len = 0;
  readonly littleEndian: boolean;

  constructor(endian: Endian = 'le', initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
    this.littleEndian = endian === 'le';
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.view.setUint8(this.len, v & 0xff);
    this.len += 1;
    return this;
  }
  u16(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.len, v & 0xffff, this.littleEndian);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.len, v >>> 0, this.littleEndian);
    this.len += 4;
    return this;
  }
  i32(v: number): this {
    this.ensure(4);
    this.view.setInt32(this.len, v | 0, this.littleEndian);
    this.len += 4;
    return this;
  }
  u64(v: bigint | number): this {
    this.ensure(8);
    this.view.setBigUint64(this.len, BigInt.asUintN(64, BigInt(v)), this.littleEndian);
    this.len += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  /** Writes `n` zero bytes. */
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.len, this.len + n);
    this.len += n;
    return this;
  }
  /** Pads with zeros up to a multiple of `align`. */
  align(align: number): this {
    const rem = this.len % align;
    if (align > 1 && rem !== 0) this.zeros(align - rem);
    return this;
  }
  /** Overwrites a u32 at an absolute position already written. */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, this.littleEndian);
  }
  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * A bounds-checked reader. Every read past the end calls `fail(offset, what)`, which must throw
 * the caller's error type (ElfError, BtfError...), so malformed input never becomes a RangeError.
 */
export class ByteReader {
  readonly view: DataView;
  readonly littleEndian: boolean;
  readonly base: number;
  constructor(
    readonly bytes: Uint8Array,
    endian: Endian,
    private readonly fail: (offset: number, what: string) => never,
    base = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = endian === 'le';
    this.base = base;
  }
  get length(): number {
    return this.bytes.length;
  }
  check(off: number, size: number, what: string): void {
    if (!Number.isInteger(off) || off < 0 || size < 0 || off + size > this.bytes.length) {
      this.fail(this.base + off, `${what}: ${size} bytes at ${off} past the end (${this.bytes.length} bytes)`);
    }
  }
  u8(off: number, what = 'u8'): number {
    this.check(off, 1, what);
    return this.view.getUint8(off);
  }
  u16(off: number, what = 'u16'): number {
    this.check(off, 2, what);
    return this.view.getUint16(off, this.littleEndian);
  }
  u32(off: number, what = 'u32'): number {
    this.check(off, 4, what);
    return this.view.getUint32(off, this.littleEndian);
  }
  i32(off: number, what = 'i32'): number {
    this.check(off, 4, what);
    return this.view.getInt32(off, this.littleEndian);
  }
  /** A u64 as a number; fails if it does not fit in 2^53 (offsets and sizes never do legitimately). */
  u64n(off: number, what = 'u64'): number {
    this.check(off, 8, what);
    const v = this.view.getBigUint64(off, this.littleEndian);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(this.base + off, `${what}: value 0x${v.toString(16)} too large`);
    return Number(v);
  }
  u64(off: number, what = 'u64'): bigint {
    this.check(off, 8, what);
    return this.view.getBigUint64(off, this.littleEndian);
  }
  slice(off: number, size: number, what = 'bytes'): Uint8Array {
    this.check(off, size, what);
    return this.bytes.subarray(off, off + size);
  }
  /** A NUL-terminated string starting at `off`; fails if no NUL before the end. */
  cstr(off: number, what = 'string'): string {
    this.check(off, 0, what);
    let end = off;
    while (end < this.bytes.length && this.bytes[end] !== 0) end++;
    if (end >= this.bytes.length) this.fail(this.base + off, `${what}: unterminated string at ${off}`);
    return latin1(this.bytes.subarray(off, end));
  }
}

/** Decodes bytes as Latin-1 (names in ELF/BTF are ASCII; this never throws). */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** Encodes a string as Latin-1 bytes (characters above 0xff are replaced by UTF-8 bytes). */
export function encodeLatin1(s: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\xff]*$/.test(s)) {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  return new TextEncoder().encode(s);
}

/** Aligns `n` up to a multiple of `a` (a power of two or any positive integer). */
export function alignUp(n: number, a: number): number {
  return a <= 1 ? n : Math.ceil(n / a) * a;
}

/** The bytes of `parts` one after another in a new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
