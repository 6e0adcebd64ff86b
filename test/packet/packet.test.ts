/**
 * The packet builder against tcpdump: every spec below is built, written to a capture and read
 * by `tcpdump -nn -vvv -e`, whose verdict on lengths and checksums is the recorded ground truth
 * (fixtures/packet/tcpdump.json: the frame's hex and tcpdump's text). Re-checked live where
 * tcpdump exists; re-recorded only with XDPTS_UPDATE_FIXTURES=1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePacket, packet, PacketSpecError, parsePacketSpec, summarizePacket } from '../../src/packet';
import { writePcap } from '../../src/pcap';

const FIXTURE = resolve(__dirname, '../../fixtures/packet/tcpdump.json');
const tcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;

const SPECS = [
  'eth()/ipv4(src=10.0.0.7, dst=10.0.0.2)/udp(dport=53)/payload(len=20)',
  'eth()/ipv4(src=192.0.2.1, ttl=64)/tcp(dport=80, flags=S, mss=1460, sackok=1, tsval=1, tsecr=0, wscale=7)',
  'eth()/vlan(vid=10, pcp=3)/ipv4()/udp(sport=5000, dport=53)/payload(text="hello")',
  'eth()/qinq(vid=20)/vlan(vid=10)/ipv6()/udp(dport=53)/payload(len=3)',
  'eth()/ipv6()/hbh(options=0502abcd)/udp(dport=53)/payload(text="hi")',
  'eth()/ipv4(options=94040000, flags=DF)/icmp(id=5, seq=1)/payload(len=8, fill=0x41)',
  'eth()/ipv4(flags=MF, id=77)/udp(dport=9)/payload(len=16)',
  'eth()/ipv4(frag=2, id=77)/payload(len=16)',
  'eth()/ipv6()/icmp6(type=echo-request, id=1, seq=2)/payload(len=4)',
  'eth(dst=ff:ff:ff:ff:ff:ff)/arp(op=request, spa=10.0.0.1, tpa=10.0.0.2)',
  'eth()/arp(op=reply, sha=02:aa:bb:cc:dd:ee)',
  'eth()/ipv4()/udp()/vxlan(vni=42)/eth()/ipv4()/tcp(flags=SA, seq=7, ack=9)',
  'eth()/ipv4()/gre(key=7, c=1)/ipv4()/udp()/payload(len=1)',
  'eth()/ipv4()/gre()/eth()/ipv6()/tcp(flags=R)',
  'eth()/ipv4()/ipv4(src=172.16.0.1)/icmp()',
  'eth()/ipv6()/ipv4()/udp(dport=123)',
  'eth()/ipv6()/routing(type=0, segleft=1, addrs=fd00::9)/tcp(dport=22, flags=PA)/payload(len=5)',
  'eth()/ipv6()/frag6(id=9, m=1)/udp()/payload(len=8)',
  'eth()/ipv6()/dstopts()/icmp6(type=neighbor-solicit)',
  'eth()/ipv4(tos=0xb8, ttl=1)/udp(sport=68, dport=67)/payload(len=1)',
];

interface Fixture {
  [spec: string]: { hex: string; tcpdump: string };
}

/** tcpdump's text for each frame (one run per frame, so inner frames of tunnels stay together). */
function runTcpdump(frames: Uint8Array[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tr_pk'));
  try {
    return frames.map((data, i) => {
      const f = join(dir, `p${i}.pcap`);
      writeFileSync(f, writePcap([{ timeUs: 0, data }]));
      return execFileSync('tcpdump', ['-nn', '-vvv', '-e', '-t', '-r', f], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('packet builder', () => {
  const built = SPECS.map((s) => packet.parse(s).build());

  it('matches the recorded frames, and tcpdump finds every length and checksum right', () => {
    if (process.env['XDPTS_UPDATE_FIXTURES'] === '1' && tcpdump) {
      const text = runTcpdump(built);
      const fx: Fixture = Object.fromEntries(SPECS.map((s, i) => [s, { hex: Buffer.from(built[i]!).toString('hex'), tcpdump: text[i]! }]));
      writeFileSync(FIXTURE, JSON.stringify(fx, null, 2) + '\n');
    }
    expect(existsSync(FIXTURE), 'fixture missing: run with XDPTS_UPDATE_FIXTURES=1').toBe(true);
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;
    expect(Object.keys(fx)).toEqual(SPECS);
    SPECS.forEach((s, i) => {
      expect(Buffer.from(built[i]!).toString('hex'), s).toBe(fx[s]!.hex);
      expect(fx[s]!.tcpdump, s).not.toMatch(/incorrect|bad cksum|bad-len|bad length/i);
    });
    // tcpdump checks UDP, TCP and ICMPv6 checksums ("sum ok", "(correct)"): all that it checks are right.
    expect(SPECS.filter((s) => /sum ok|cksum 0x[0-9a-f]+ \(correct\)/.test(fx[s]!.tcpdump)).length).toBeGreaterThanOrEqual(13);
  });

  it.skipIf(!tcpdump)('tcpdump reads the frames as recorded (live)', () => {
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Fixture;
    expect(runTcpdump(built)).toEqual(SPECS.map((s) => fx[s]!.tcpdump));
  });

  it('decodes every frame back into layers that build the same bytes', () => {
    for (const [i, b] of built.entries()) {
      const again = packet.decode(b).build();
      expect(Buffer.from(again).toString('hex'), SPECS[i]).toBe(Buffer.from(b).toString('hex'));
      for (const l of decodePacket(b)) if (l.checksumValid !== undefined) expect(l.checksumValid, `${SPECS[i]} ${l.name}`).toBe(true);
    }
  });

  it('the library chain is the layer syntax', () => {
    const chain = packet.eth().ipv4({ src: '10.0.0.7', dst: '10.0.0.2' }).udp({ dport: 53 }).payload({ len: 20 }).build();
    expect(chain).toEqual(built[0]);
    const ttl1 = packet.parse(SPECS[0]!).with({ 'ipv4.ttl': 1 }).build();
    const d = decodePacket(ttl1);
    expect(d[1]!.fields.get('ttl')).toBe(1);
    expect(d[1]!.checksumValid).toBe(true);
    expect(summarizePacket(built[11]!)).toBe('eth > ipv4 10.0.0.1 > 10.0.0.2 > udp 1024 > 4789 > vxlan > eth > ipv4 10.0.0.1 > 10.0.0.2 > tcp 1024 > 80 [AS]');
  });

  it('a given checksum or length is kept as given', () => {
    const b = packet.parse('eth()/ipv4(checksum=0x1234, len=99)/udp(checksum=0)').build();
    expect(b[14 + 10]).toBe(0x12);
    expect(b[14 + 3]).toBe(99);
    const d = decodePacket(b);
    expect(d[1]!.checksumValid).toBe(false);
  });

  it.each([
    ['eth()/ipv5()', 6, /unknown layer 'ipv5'/],
    ['eth()/ipv4(ttl=300)', 15, /ipv4.ttl: 300 does not fit in 8 bits/],
    ['eth()/ipv4(tll=3)', 11, /unknown field 'tll' of ipv4/],
    ['eth()/ipv4(src=10.0.0)', 15, /not an IPv4 address/],
    ['eth() ipv4()', 6, /expected '\/' between layers/],
    ['eth()/udp(dport=53', 18, /expected ',' or '\)'/],
    ['', 0, /empty packet spec/],
    ['eth()/payload(len=3, hex=00)', 6, /payload takes one of/],
  ])('%s is refused at its column', (spec, offset, msg) => {
    try {
      parsePacketSpec(spec);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PacketSpecError);
      expect((e as PacketSpecError).offset).toBe(offset);
      expect((e as Error).message).toMatch(msg);
    }
  });
});

describe('xdpts packet', () => {
  const cli = (args: string[]): { code: number; out: string; err: string } => {
    const r = spawnSync(process.execPath, [resolve(__dirname, '../../bin/xdpts'), 'packet', ...args], { encoding: 'utf8' });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  it('prints hex, decodes, writes a capture, and points at a mistake', () => {
    const spec = SPECS[0]!;
    expect(cli([spec]).out.trim()).toBe(Buffer.from(packet.parse(spec).build()).toString('hex'));
    expect(cli([spec, '--decode']).out).toContain('  ipv4.src = 10.0.0.7\n');
    const dir = mkdtempSync(join(tmpdir(), 'tr_pkcli'));
    try {
      expect(cli([spec, '--pcap', join(dir, 'p.pcap')]).code).toBe(0);
      expect(readFileSync(join(dir, 'p.pcap')).length).toBe(24 + 16 + 62);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const bad = cli(['eth()/ipv4(ttl=300)']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('eth()/ipv4(ttl=300)\n               ^\nerror: ipv4.ttl: 300 does not fit in 8 bits (max 255) (column 16)');
  });
});
