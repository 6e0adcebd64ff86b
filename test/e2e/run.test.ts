/**
 * `xdpts run` through the real CLI (bin/xdpts, built by `npm run build`): one packet, a capture
 * in and out (read back by tcpdump where installed), --repeat, raw bytecode with --mem, the
 * verifier's refusal, and the exit codes 0 / 1 / 2.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { writeElf } from '../../src/object';
import { readPcap, writePcap } from '../../src/pcap';
import { toHex } from '../../src/util/hex';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xdpts');
/** tcpdump reads the output capture where it is installed. */
const hasTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump'], { encoding: 'utf8' }).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'xdpts-run-e2e-'));

function xdpts(...args: string[]): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

// Ethernet / IPv4 / UDP to port 9 (the parser's blocklist) and to port 53.
const udp = (port: number): string =>
  '02000000000b02000000000a0800' + '4500002412344000401114930a0000010a000002' + `9c40${port.toString(16).padStart(4, '0')}00100000` + '0102030405060708';

describe('xdpts run', () => {
  it('runs one packet and prints the JSON the issue specifies', () => {
    const r = xdpts('run', 'fixtures/c/counter.o', '--packet', udp(53), '--json');
    expect(r.exit).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      r0: '0x2',
      action: 'XDP_PASS',
      packet: udp(53),
      engine: 'jit',
      maps: { pkt_count: [{ key: '00000000', value: '0100000000000000', formatted: { key: 0, value: 1 } }] },
    });
  });

  it('prints bpftool-like text: return value, action, the packet out and the maps', () => {
    const r = xdpts('run', 'fixtures/c/counter.o', '--packet', udp(53).replace(/(..)/g, '$1 '), '--engine', 'interp');
    expect(r.exit).toBe(0);
    expect(r.stdout).toMatch(/^Return value: 2, duration: \d+ns\nAction: XDP_PASS\nPacket out \(50 bytes\):\n0000000\t0200 0000 000b 0200 0000 000a 0800 4500 \| /);
    expect(r.stdout).toContain('Map pkt_count (array, id 1): 1 entry\n  key: 00 00 00 00  value: 01 00 00 00 00 00 00 00');
  });

  it('--repeat reports the average duration and counts every run in the maps', () => {
    const r = xdpts('run', 'fixtures/c/counter.o', '--packet', udp(53), '--repeat', '1000', '--json');
    const j = JSON.parse(r.stdout);
    expect(typeof j.duration_ns).toBe('number');
    expect(j.maps.pkt_count[0].value).toBe('e803000000000000');
    expect(xdpts('run', 'fixtures/c/counter.o', '--packet', udp(53), '--repeat', '10').stdout).toMatch(/^Return value: 2, duration \(average\): \d+ns/);
  });

  it('selects a program by section (-s) and name (-n) like xdp-loader', () => {
    expect(JSON.parse(xdpts('run', 'fixtures/oracle/edge.o', '-n', 'act_tx', '--packet', udp(53), '--json').stdout).action).toBe('XDP_TX');
    const first = JSON.parse(xdpts('run', 'fixtures/oracle/edge.o', '-s', 'xdp', '--packet', udp(53), '--json').stdout);
    expect(first.action).toBe('XDP_ABORTED');
    const bad = xdpts('run', 'fixtures/oracle/edge.o', '-n', 'nope', '--packet', udp(53));
    expect(bad.exit).toBe(2);
    expect(bad.stderr).toMatch(/no program with name 'nope'; the object has: act_aborted \(section xdp\)/);
  });

  it('runs a capture in order with the maps kept and writes data_out to a capture tcpdump reads', () => {
    const inF = join(tmp, 'in.pcap');
    const outF = join(tmp, 'out.pcap');
    const frames = [udp(53), udp(9), udp(9)].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));
    writeFileSync(inF, writePcap(frames.map((data, i) => ({ timeUs: 1_700_000_000_000_000 + i, data }))));
    const r = xdpts('run', 'fixtures/oracle/parser.o', '--pcap', inF, '--out', outF, '--json');
    expect(r.exit).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.results.map((x: { action: string }) => x.action)).toEqual(['XDP_PASS', 'XDP_DROP', 'XDP_DROP']);
    // blocked[htons(9)] counts the two drops; proto_count[17] the three UDP packets.
    // Beside the hex, the values decoded from BTF as bpftool's map dump -j does (a __be16 key
    // read in host order: 0x0900).
    expect(j.maps.blocked).toEqual([{ key: '0009', value: '02000000', formatted: { key: 2304, value: 2 } }]);
    expect(j.maps.proto_count).toEqual([{ key: '11000000', value: '0300000000000000', formatted: { key: 17, value: 3 } }]);
    const cap = readPcap(new Uint8Array(readFileSync(outF)));
    expect(cap.records.map((x) => toHex(x.data))).toEqual(frames.map(toHex));
    const text = xdpts('run', 'fixtures/oracle/parser.o', '--pcap', inF);
    expect(text.stdout).toContain('3 packet(s): XDP_PASS 1, XDP_DROP 2');
    // A runt in the capture is refused in its place (EINVAL) and the others still run.
    const withRunt = join(tmp, 'runt.pcap');
    writeFileSync(withRunt, writePcap([frames[0]!, Uint8Array.of(1, 2, 3), frames[1]!].map((data, i) => ({ timeUs: i, data }))));
    const rr = xdpts('run', 'fixtures/oracle/parser.o', '--pcap', withRunt, '--json');
    expect(rr.exit).toBe(1);
    const rj = JSON.parse(rr.stdout);
    expect(rj.results[1].error.message).toMatch(/EINVAL/);
    expect(rj.results.map((x: { action?: string }) => x.action)).toEqual(['XDP_PASS', undefined, 'XDP_DROP']);
    if (hasTcpdump) {
      const tcpdump = spawnSync('tcpdump', ['-nn', '-r', outF], { encoding: 'utf8' });
      expect(tcpdump.status, tcpdump.stderr).toBe(0);
      expect(tcpdump.stdout.trim().split('\n')).toHaveLength(3);
      expect(tcpdump.stdout).toContain('10.0.0.1.40000 > 10.0.0.2.9: UDP, length 8');
    }
  });

  it('runs raw bytecode on --mem (hex with or without spaces) and reports faults as errors', () => {
    // r0 = *(u8 *)(r1 + 2); r0 += r2; exit   → mem[2] + length
    const prog = join(tmp, 'p.bin');
    writeFileSync(prog, Buffer.from('7110020000000000' + '0f20000000000000' + '9500000000000000', 'hex'));
    expect(JSON.parse(xdpts('run', prog, '--mem', 'aa bb 11 cc', '--json').stdout)).toEqual({ r0: '0x15', engine: 'jit' });
    expect(JSON.parse(xdpts('run', prog, '--mem', 'aa bb 11 cc', '--engine', 'wasm', '--json').stdout)).toEqual({ r0: '0x15', engine: 'wasm' });
    expect(xdpts('run', prog, '--mem', 'aabb11cc').stdout.trim()).toBe('r0: 0x15');
    const f = xdpts('run', prog, '--json');
    expect(f.exit).toBe(1);
    expect(JSON.parse(f.stdout).error.message).toMatch(/VM fault/);
  });

  it('refuses a program the verifier rejects with its message (exit 1), and bad input with exit 2', () => {
    const src = ['\t.section\txdp,"ax",@progbits', '\t.globl\tbad', 'bad:', '\tr0 = r2', '\texit', '.Lend:', '\t.size\tbad, .Lend-bad', '\t.section\tlicense,"aw",@progbits', '\t.asciz\t"GPL"'].join('\n');
    const a = assemble(src, { file: 'bad.s' });
    if (a.kind !== 'elf') throw new Error('expected ELF');
    const obj = join(tmp, 'bad.o');
    writeFileSync(obj, writeElf(a.elf));
    const r = xdpts('run', obj, '--packet', udp(53));
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/the verifier refused program 'bad': .*R2 !read_ok/);
    const j = xdpts('run', obj, '--packet', udp(53), '--json');
    expect(JSON.parse(j.stdout).error.message).toMatch(/R2 !read_ok/);
    expect(xdpts('run', 'fixtures/c/counter.o', '--packet', 'zz').exit).toBe(2);
    expect(xdpts('run', 'fixtures/c/counter.o').exit).toBe(2);
    expect(xdpts('run', 'fixtures/c/counter.o', '--packet', udp(53), '--ctx', 'date=1').exit).toBe(2);
    // data (the metadata's length) must be a multiple of 4: the kernel's EINVAL, exit 1.
    expect(xdpts('run', 'fixtures/c/counter.o', '--packet', udp(53), '--ctx', 'data=1')).toMatchObject({ exit: 1, stderr: expect.stringMatching(/EINVAL/) });
    const runt = xdpts('run', 'fixtures/c/counter.o', '--packet', '0011', '--json');
    expect(runt.exit).toBe(1);
    expect(JSON.parse(runt.stdout).error.message).toMatch(/shorter than ETH_HLEN.*EINVAL/);
  });
});
