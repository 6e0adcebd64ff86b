/**
 * Bob Jenkins' lookup3 hash as the kernel implements it (include/linux/jhash.h): `jhash` over
 * bytes and `jhash2` over 32-bit words, and the hash map's choice between them
 * (kernel/bpf/hashtab.c `htab_map_hash`: jhash2 when the key is a multiple of 4 bytes). Words
 * are read in host order (little-endian x86_64).
 */

const JHASH_INITVAL = 0xdeadbeef;

const rol = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** __jhash_final, on three u32s; returns c. */
function final(a: number, b: number, c: number): number {
  c = ((c ^ b) - rol(b, 14)) >>> 0;
  a = ((a ^ c) - rol(c, 11)) >>> 0;
  b = ((b ^ a) - rol(a, 25)) >>> 0;
  c = ((c ^ b) - rol(b, 16)) >>> 0;
  a = ((a ^ c) - rol(c, 4)) >>> 0;
  b = ((b ^ a) - rol(a, 14)) >>> 0;
  c = ((c ^ b) - rol(b, 24)) >>> 0;
  return c;
}

/** __jhash_mix on a state triple. */
function mix(s: [number, number, number]): void {
  let [a, b, c] = s;
  a = (a - c) >>> 0; a = (a ^ rol(c, 4)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol(a, 6)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol(b, 8)) >>> 0; b = (b + a) >>> 0;
  a = (a - c) >>> 0; a = (a ^ rol(c, 16)) >>> 0; c = (c + b) >>> 0;
  b = (b - a) >>> 0; b = (b ^ rol(a, 19)) >>> 0; a = (a + c) >>> 0;
  c = (c - b) >>> 0; c = (c ^ rol(b, 4)) >>> 0; b = (b + a) >>> 0;
  s[0] = a;
  s[1] = b;
  s[2] = c;
}

const word = (k: Uint8Array, o: number): number => (k[o]! | (k[o + 1]! << 8) | (k[o + 2]! << 16) | (k[o + 3]! << 24)) >>> 0;

/** jhash(key, length, initval). */
export function jhash(k: Uint8Array, length: number, initval: number): number {
  const init = (JHASH_INITVAL + length + initval) >>> 0;
  const s: [number, number, number] = [init, init, init];
  let o = 0;
  while (length > 12) {
    s[0] = (s[0] + word(k, o)) >>> 0;
    s[1] = (s[1] + word(k, o + 4)) >>> 0;
    s[2] = (s[2] + word(k, o + 8)) >>> 0;
    mix(s);
    length -= 12;
    o += 12;
  }
  if (length === 0) return s[2];
  // The tail: bytes 0..3 into a, 4..7 into b, 8..11 into c, little-endian.
  for (let i = length - 1; i >= 0; i--) {
    const lane = i >> 2;
    s[lane] = (s[lane]! + (k[o + i]! << (8 * (i & 3)))) >>> 0;
  }
  return final(s[0], s[1], s[2]);
}

/** jhash2(words, length in words, initval). */
export function jhash2(k: Uint8Array, words: number, initval: number): number {
  const init = (JHASH_INITVAL + (words << 2) + initval) >>> 0;
  const s: [number, number, number] = [init, init, init];
  let o = 0;
  while (words > 3) {
    s[0] = (s[0] + word(k, o)) >>> 0;
    s[1] = (s[1] + word(k, o + 4)) >>> 0;
    s[2] = (s[2] + word(k, o + 8)) >>> 0;
    mix(s);
    words -= 3;
    o += 12;
  }
  if (words === 0) return s[2];
  for (let i = words - 1; i >= 0; i--) s[i] = (s[i]! + word(k, o + 4 * i)) >>> 0;
  return final(s[0], s[1], s[2]);
}

/** htab_map_hash: jhash2 for keys whose size is a multiple of 4, jhash otherwise. */
export function htabMapHash(key: Uint8Array, keyLen: number, hashrnd: number): number {
  return keyLen % 4 === 0 ? jhash2(key, keyLen / 4, hashrnd) : jhash(key, keyLen, hashrnd);
}

/** roundup_pow_of_two, for bucket counts. */
export function roundupPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
