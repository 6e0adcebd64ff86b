/** bpf_csum_diff against values measured on Linux 6.18 (fixtures/kernel/csum-diff.c). */
import { describe, expect, it } from 'vitest';
import { csumDiff, csumFrom32to16 } from '../../src/kernel/helpers';

const words = (...w: number[]) => {
  const b = new Uint8Array(4 * w.length);
  const dv = new DataView(b.buffer);
  w.forEach((x, i) => dv.setUint32(4 * i, x >>> 0, true)); // __u32 arrays on little-endian x86
  return b;
};
const a = words(0xffffffff, 0x01020304, 0x80000000, 0xfffefdfc);
const b = words(0x05060708, 0xffffffff, 0x80000001, 0x00001234);
const none = new Uint8Array(0);

describe('bpf_csum_diff (recorded from the kernel)', () => {
  const cases: [string, Uint8Array, Uint8Array, number, number][] = [
    ['a[0..4) -> b[0..4)', a.subarray(0, 4), b.subarray(0, 4), 0, 0x0c0e],
    ['push b[0..16)', none, b, 0, 0x9e43],
    ['pull a[0..16)', a, none, 0, 0x7dfd],
    ['a[0..8) -> b[0..12) seed', a.subarray(0, 8), b.subarray(0, 12), 0x12345678, 0xf0b5],
    ['nothing, seed', none, none, 0xdeadbeef, 0x9d9d],
    ['pull with seed 0xffff', a, none, 0xffff, 0x7dfd],
    ['push with seed ~0', none, a, 0xffffffff, 0x8202],
    ['odd size 3 is accepted', a.subarray(0, 3), b.subarray(0, 4), 0, 0x0b0f],
    ['a -> b', a, b, 0, 0x1c41],
    ['b[0..4) -> a[0..4)', b.subarray(0, 4), a.subarray(0, 4), 0, 0xf3f1],
  ];
  for (const [name, from, to, seed, want] of cases) it(name, () => expect(csumDiff(from, to, seed)).toBe(want));

  it('csum_from32to16 folds with the carry', () => {
    expect(csumFrom32to16(0xffffffff)).toBe(0xffff);
    expect(csumFrom32to16(0x0001ffff)).toBe(0x0001);
    expect(csumFrom32to16(0x12345678)).toBe(0x68ac);
  });
});
