import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PcapError, readPcap, writePcap } from '../../src/pcap/index';
import { buildArp, ARPOP_REQUEST } from '../../src/net/index';

const tcpdump = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v tcpdump'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const arp = buildArp(ARPOP_REQUEST, 'ff:ff:ff:ff:ff:ff', '92:e4:f2:7d:8c:2d', 0xc0a84d01, '00:00:00:00:00:00', 0xc0a84d02);

describe('pcap', () => {
  it('round-trips records', () => {
    const bytes = writePcap([{ timeUs: 1_700_000_000_123_456, data: arp }]);
    expect(bytes.length).toBe(24 + 16 + 42);
    const f = readPcap(bytes);
    expect(f.linktype).toBe(1);
    expect(f.records[0]!.timeUs).toBe(1_700_000_000_123_456);
    expect(Array.from(f.records[0]!.data)).toEqual(Array.from(arp));
  });

  it('reports truncation and bad magic with offsets', () => {
    const bytes = writePcap([{ timeUs: 0, data: arp }]);
    expect(() => readPcap(bytes.subarray(0, 50))).toThrow(PcapError);
    try {
      readPcap(bytes.subarray(0, 50));
    } catch (e) {
      expect((e as PcapError).offset).toBe(40);
    }
    expect(() => readPcap(new Uint8Array(24))).toThrow(/bad pcap magic/);
    expect(() => readPcap(new Uint8Array(3))).toThrow(/offset 0/);
  });

  it('reads a big-endian nanosecond file', () => {
    const b = new Uint8Array(24 + 16 + 4);
    const v = new DataView(b.buffer);
    v.setUint32(0, 0xa1b23c4d);
    v.setUint16(4, 2);
    v.setUint16(6, 4);
    v.setUint32(16, 65535);
    v.setUint32(20, 1);
    v.setUint32(24, 10);
    v.setUint32(28, 5000);
    v.setUint32(32, 4);
    v.setUint32(36, 60);
    const f = readPcap(b);
    expect(f.nanosecond).toBe(true);
    expect(f.records[0]!.timeUs).toBe(10_000_005);
    expect(f.records[0]!.origLen).toBe(60);
  });

  describe.skipIf(!tcpdump)('tcpdump reads what we write (skipped without tcpdump)', () => {
    it('decodes our ARP request', () => {
      const dir = mkdtempSync(join(tmpdir(), 'xdpts-pcap-'));
      const file = join(dir, 'a.pcap');
      writeFileSync(file, writePcap([{ timeUs: 1_700_000_000_000_000, data: arp }]));
      const text = execFileSync('tcpdump', ['-nn', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(text).toContain('ARP, Request who-has 192.168.77.2 tell 192.168.77.1, length 28');
      // And we read what tcpdump writes.
      const copy = join(dir, 'b.pcap');
      execFileSync('tcpdump', ['-r', file, '-w', copy], { stdio: 'ignore' });
      expect(Array.from(readPcap(readFileSync(copy)).records[0]!.data)).toEqual(Array.from(arp));
    });
  });
});
