/**
 * pcapng reading, on blocks laid out by hand from the format's specification
 * (draft-ietf-opsawg-pcapng §4): a little-endian section with an IDB (nanosecond if_tsresol),
 * an EPB and an SPB, and the same in big-endian.
 */
import { describe, expect, it } from 'vitest';
import { PcapError, readCapture, readPcapng } from '../../src/pcap';

function block(le: boolean, type: number, body: number[]): number[] {
  const len = 12 + Math.ceil(body.length / 4) * 4;
  const padded = [...body, ...new Array<number>(len - 12 - body.length).fill(0)];
  const u32 = (x: number): number[] => {
    const b = [(x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255];
    return le ? b.reverse() : b;
  };
  return [...u32(type), ...u32(len), ...padded, ...u32(len)];
}
const u16 = (le: boolean, x: number): number[] => (le ? [x & 255, x >> 8] : [x >> 8, x & 255]);
const u32 = (le: boolean, x: number): number[] => (le ? [x & 255, (x >>> 8) & 255, (x >>> 16) & 255, x >>> 24] : [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255]);

function file(le: boolean): Uint8Array {
  const shb = block(le, 0x0a0d0d0a, [...u32(le, 0x1a2b3c4d), ...u16(le, 1), ...u16(le, 0), ...u32(le, 0xffffffff), ...u32(le, 0xffffffff)]);
  // IDB: linktype 1, snaplen 65535, option if_tsresol (9) = 9 (nanoseconds), end of options.
  const idb = block(le, 1, [...u16(le, 1), 0, 0, ...u32(le, 65535), ...u16(le, 9), ...u16(le, 1), 9, 0, 0, 0, 0, 0, 0, 0]);
  const data = Array.from({ length: 15 }, (_, i) => i);
  // EPB at 2.5 s: ts = 2_500_000_000 ns.
  const ts = 2_500_000_000;
  const epb = block(le, 6, [...u32(le, 0), ...u32(le, Math.floor(ts / 2 ** 32)), ...u32(le, ts % 2 ** 32), ...u32(le, 15), ...u32(le, 60), ...data]);
  const spb = block(le, 3, [...u32(le, 14), ...data.slice(0, 14)]);
  const other = block(le, 0x0bad, [1, 2, 3, 4]);
  return Uint8Array.from([...shb, ...idb, ...epb, ...other, ...spb]);
}

describe('pcapng', () => {
  it.each([true, false])('reads EPB and SPB packets (little-endian %s)', (le) => {
    const f = readCapture(file(le));
    expect(f.linktype).toBe(1);
    expect(f.records).toHaveLength(2);
    expect([...f.records[0]!.data]).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(f.records[0]!.origLen).toBe(60);
    expect(f.records[0]!.timeUs).toBe(2_500_000);
    expect(f.records[1]!.data.length).toBe(14);
  });

  it('reports a bad block length with its offset', () => {
    const b = file(true);
    b[28 + 4] = 13; // the IDB's length field
    expect(() => readPcapng(b)).toThrow(PcapError);
    try {
      readPcapng(b);
    } catch (e) {
      expect((e as PcapError).offset).toBe(32);
    }
  });
});
