/**
 * The part of Node's Buffer that elfy (the ELF reader under src/elf) and src/kernel use, for the
 * browser bundle: from(), compare(), and on the bytes slice() as a view, toString() and the
 * integer readers.
 */
class Bytes extends Uint8Array<ArrayBuffer> {
  override slice(start = 0, end = this.length): Bytes {
    const s = Math.max(0, start < 0 ? this.length + start : Math.min(start, this.length));
    const e = Math.max(s, end < 0 ? this.length + end : Math.min(end, this.length));
    return new Bytes(this.buffer, this.byteOffset + s, e - s);
  }
  override toString(enc = 'utf8', start = 0, end = this.length): string {
    const part = this.subarray(start, end);
    if (enc === 'hex') return [...part].map((x) => x.toString(16).padStart(2, '0')).join('');
    if (enc === 'latin1' || enc === 'binary' || enc === 'ascii') return String.fromCharCode(...part);
    return new TextDecoder().decode(part);
  }
  private dv(): DataView {
    return new DataView(this.buffer, this.byteOffset, this.byteLength);
  }
  readUInt8(o: number): number { return this.dv().getUint8(o); }
  readInt8(o: number): number { return this.dv().getInt8(o); }
  readUInt16LE(o: number): number { return this.dv().getUint16(o, true); }
  readUInt16BE(o: number): number { return this.dv().getUint16(o, false); }
  readInt16LE(o: number): number { return this.dv().getInt16(o, true); }
  readInt16BE(o: number): number { return this.dv().getInt16(o, false); }
  readUInt32LE(o: number): number { return this.dv().getUint32(o, true); }
  readUInt32BE(o: number): number { return this.dv().getUint32(o, false); }
  readInt32LE(o: number): number { return this.dv().getInt32(o, true); }
  readInt32BE(o: number): number { return this.dv().getInt32(o, false); }
}

export const Buffer = {
  from(src: ArrayBuffer | ArrayLike<number> | string, off?: number, len?: number): Bytes {
    if (typeof src === 'string') return new Bytes(new TextEncoder().encode(src).buffer as ArrayBuffer);
    if (src instanceof ArrayBuffer) return new Bytes(src, off ?? 0, len ?? src.byteLength - (off ?? 0));
    const b = new Bytes(new ArrayBuffer(src.length));
    b.set(src);
    return b;
  },
  isBuffer(x: unknown): x is Bytes {
    return x instanceof Bytes;
  },
  compare(a: Uint8Array, b: Uint8Array): number {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  },
};
