/**
 * The browser bundle's stand-ins for node: modules (web/shims) against Node's own: SHA-256 and
 * SHA-1 digests (the program tag), and the Buffer readers elfy uses on a real object file.
 */
import { createHash as nodeHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createHash } from '../../web/shims/node-crypto';
import { Buffer as WebBuffer } from '../../web/shims/buffer';

describe('web shims', () => {
  it('hashes as node:crypto does, across block boundaries', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 200, 1000]) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      for (const alg of ['sha256', 'sha1']) expect(createHash(alg).update(data).digest('hex')).toBe(nodeHash(alg).update(data).digest('hex'));
    }
  });

  it('reads integers and slices like Node\'s Buffer', () => {
    const bytes = new Uint8Array(readFileSync('fixtures/c/counter.o'));
    const a = WebBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const b = Buffer.from(bytes);
    for (const off of [0, 16, 40, 58, 62]) {
      expect(a.readUInt16LE(off)).toBe(b.readUInt16LE(off));
      expect(a.readUInt32LE(off)).toBe(b.readUInt32LE(off));
      expect(a.readInt32BE(off)).toBe(b.readInt32BE(off));
    }
    expect(a.slice(1, 4).toString()).toBe(b.subarray(1, 4).toString());
    expect(WebBuffer.compare(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(-1);
  });
});
