/**
 * The two things src/kernel takes from node:crypto, for the browser bundle: SHA-256 and SHA-1
 * (the program tag, kernel/bpf/core.c bpf_prog_calc_tag) and random bytes (bpf_get_prandom_u32's
 * seed). The hashes as FIPS 180-4 sections 6.1 and 6.2 specify them; small and synchronous.
 */
import { Buffer } from './buffer';

export function randomBytes(n: number): ReturnType<typeof Buffer.from> {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return Buffer.from(b);
}

/** The message padded to 64-byte blocks with its bit length (FIPS 180-4 5.1.1). */
function padded(data: Uint8Array): { dv: DataView; total: number } {
  const len = data.length;
  const total = Math.ceil((len + 9) / 64) * 64;
  const m = new Uint8Array(total);
  m.set(data);
  m[len] = 0x80;
  const dv = new DataView(m.buffer);
  dv.setUint32(total - 8, Math.floor((len * 8) / 2 ** 32));
  dv.setUint32(total - 4, (len * 8) >>> 0);
  return { dv, total };
}

const words = (h: readonly number[]): Uint8Array => {
  const out = new Uint8Array(4 * h.length);
  const ov = new DataView(out.buffer);
  h.forEach((x, i) => ov.setUint32(4 * i, x));
  return out;
};

// SHA-256 round constants: the first 32 bits of the fractional parts of the cube roots of the
// first 64 primes (FIPS 180-4 4.2.2), computed rather than typed.
const K256 = (() => {
  const k: number[] = [];
  for (let n = 2; k.length < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (prime) k.push(Math.floor((Math.cbrt(n) % 1) * 2 ** 32) >>> 0);
  }
  return k;
})();

function sha256(data: Uint8Array): Uint8Array {
  const { dv, total } = padded(data);
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const w = new Uint32Array(64);
  const ror = (x: number, n: number): number => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = dv.getUint32(off + 4 * t);
    for (let t = 16; t < 64; t++) {
      const s0 = ror(w[t - 15]!, 7) ^ ror(w[t - 15]!, 18) ^ (w[t - 15]! >>> 3);
      const s1 = ror(w[t - 2]!, 17) ^ ror(w[t - 2]!, 19) ^ (w[t - 2]! >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number];
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K256[t]! + w[t]!) >>> 0;
      const t2 = ((ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    [a, b, c, d, e, f, g, hh].forEach((x, i) => (h[i] = (h[i]! + x) >>> 0));
  }
  return words(h);
}

function sha1(data: Uint8Array): Uint8Array {
  const { dv, total } = padded(data);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  const rol = (x: number, n: number): number => (x << n) | (x >>> (32 - n));
  for (let off = 0; off < total; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = dv.getUint32(off + 4 * t);
    for (let t = 16; t < 80; t++) w[t] = rol(w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!, 1);
    let [a, b, c, d, e] = h as [number, number, number, number, number];
    for (let t = 0; t < 80; t++) {
      const f = t < 20 ? (b & c) | (~b & d) : t < 40 ? b ^ c ^ d : t < 60 ? (b & c) | (b & d) | (c & d) : b ^ c ^ d;
      const k = t < 20 ? 0x5a827999 : t < 40 ? 0x6ed9eba1 : t < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const tmp = (rol(a, 5) + f + e + k + w[t]!) >>> 0;
      e = d;
      d = c;
      c = rol(b, 30) >>> 0;
      b = a;
      a = tmp;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
  }
  return words(h);
}

/** `createHash('sha256' | 'sha1')` with update() and digest() (bytes or hex). */
export function createHash(alg: string): { update(d: Uint8Array | string): ReturnType<typeof createHash>; digest(enc?: string): Uint8Array | string } {
  const hash = alg === 'sha256' ? sha256 : alg === 'sha1' ? sha1 : undefined;
  if (!hash) throw new Error(`hash ${alg} is not available in the browser`);
  const parts: Uint8Array[] = [];
  const self = {
    update(d: Uint8Array | string) {
      parts.push(typeof d === 'string' ? new TextEncoder().encode(d) : d);
      return self;
    },
    digest(enc?: string) {
      const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        all.set(p, o);
        o += p.length;
      }
      const r = hash(all);
      return enc === 'hex' ? [...r].map((x) => x.toString(16).padStart(2, '0')).join('') : r;
    },
  };
  return self;
}
