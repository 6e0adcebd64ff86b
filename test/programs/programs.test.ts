/**
 * The example programs of programs/ (proto_count, blocklist, reflector, lb): each is assembled
 * from its source, accepted by the verifier, and run on crafted packets in the emulated kernel
 * (BPF_PROG_TEST_RUN) with its verdicts, output packets and maps checked; where the real kernel
 * is usable the same object is loaded with bpftool and must give the same results, and
 * `xdpts run --json` must agree too. The reflector and the load balancer also run attached to
 * an interface of the emulated network, driven by the CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { Kernel, type BpfMap, type LoadedObject } from '../../src/kernel';
import { loadObject, writeElf, type ObjectSpec } from '../../src/object';
import { readPcap } from '../../src/pcap';
import { toHex } from '../../src/util/hex';
import { verifyProgram } from '../../src/verifier';
import { kernelLoad, kernelMaps, kernelRun, kernelUnload, type KernelProg } from '../helpers/kernel';
import { needs, tools } from '../helpers/tools';
import { MAC_A, MAC_B, arpRequest, eth, icmpEcho, inetChecksum, ipv4, ipv6, tcpSyn, udp } from './packets';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xdpts');
const tmp = mkdtempSync(join(tmpdir(), 'xdpts-programs-'));

/** Assembles programs/NAME.asm through the assembler API; the object is also written to tmp. */
function build(name: string): { spec: ObjectSpec; path: string } {
  const file = `programs/${name}.asm`;
  const r = assemble(readFileSync(join(ROOT, file), 'utf8'), { file });
  if (r.kind !== 'elf') throw new Error('expected an ELF object');
  const bytes = writeElf(r.elf);
  const path = join(tmp, `${name}.o`);
  writeFileSync(path, bytes);
  return { spec: loadObject(bytes, `${name}.o`), path };
}

const u8 = (a: readonly number[]): Uint8Array => Uint8Array.from(a);
const hex = (a: readonly number[]): string => toHex(u8(a));
const dump = (m: BpfMap): { key: string; value: string }[] => [...m.entries()].map(([k, v]) => ({ key: toHex(k), value: toHex(v) }));

function xdpts(args: string[], env: Record<string, string> = {}): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, XDPTS_REALTIME: '0', ...env } });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `bpftool map update` on a map pinned by kernelLoad. */
function kernelMapUpdate(p: KernelProg, map: string, key: readonly number[], value: readonly number[]): void {
  const h = (a: readonly number[]) => a.map((b) => b.toString(16).padStart(2, '0'));
  execFileSync(tools.bpftool!, ['map', 'update', 'pinned', join(p.mapDir, map), 'key', 'hex', ...h(key), 'value', 'hex', ...h(value)]);
}

interface Case {
  readonly name: string;
  readonly packet: number[];
  readonly retval: number;
  /** The expected data_out; the input itself when absent. */
  readonly out?: number[];
}

/** Runs every case in the emulated kernel, then (where usable) in the real one: same results. */
function runCases(
  name: string,
  cases: readonly Case[],
  setup: { emu?: (o: LoadedObject) => void; real?: (p: KernelProg) => void } = {},
  checkMaps?: (maps: Record<string, { key: string; value: string }[]>) => void,
): void {
  const { spec, path } = build(name);
  it('is accepted by the verifier', () => {
    for (const prog of spec.programs) {
      const v = verifyProgram(prog, spec.maps);
      expect(v.error, v.log).toBeUndefined();
      expect(v.accepted).toBe(true);
    }
  });
  for (const engine of ['interp', 'jit', 'wasm'] as const) {
    it(`gives the intended verdicts, packets and maps (${engine})`, () => {
      const k = new Kernel({ engine, seed: 1 });
      const obj = k.loadObject(spec);
      setup.emu?.(obj);
      for (const c of cases) {
        const r = k.testRun(obj.programs[0]!, { packet: u8(c.packet) });
        expect(r.retval, c.name).toBe(c.retval);
        expect(toHex(r.dataOut), c.name).toBe(hex(c.out ?? c.packet));
      }
      checkMaps?.(Object.fromEntries([...obj.maps].map(([n, m]) => [n, dump(m)])));
    });
  }
  describe.skipIf(!tools.kernel)(`the real kernel${needs('kernel')}`, () => {
    it('loads it and gives the same results', () => {
      const p = kernelLoad(path);
      try {
        expect(p.error).toBeUndefined();
        setup.real?.(p);
        const k = new Kernel({ seed: 1 });
        const obj = k.loadObject(spec);
        setup.emu?.(obj);
        for (const c of cases) {
          const real = kernelRun(p, u8(c.packet));
          const emu = k.testRun(obj.programs[0]!, { packet: u8(c.packet) });
          expect(real.error, c.name).toBeUndefined();
          expect(emu.retval, c.name).toBe(real.retval);
          expect(toHex(emu.dataOut), c.name).toBe(toHex(real.dataOut!));
        }
        const realMaps = kernelMaps(p);
        for (const [n, m] of obj.maps) expect(dump(m), n).toEqual(realMaps[n]);
      } finally {
        kernelUnload(p);
      }
    });
  });
  it('`xdpts run --json` gives the same verdict and packet on the first cases', () => {
    for (const c of cases.slice(0, 2)) {
      const r = xdpts(['run', path, '--packet', hex(c.packet), '--json']);
      expect(r.exit, r.stderr).toBe(0);
      const j = JSON.parse(r.stdout) as { r0: string; packet: string };
      // Maps start empty under `xdpts run`: the blocklist and the LB then pass everything.
      const k = new Kernel({ seed: 1 });
      const emu = k.testRun(k.loadObject(spec).programs[0]!, { packet: u8(c.packet) });
      expect(Number(j.r0), c.name).toBe(emu.retval);
      expect(j.packet, c.name).toBe(toHex(emu.dataOut));
      if (tools.kernel) {
        const p = kernelLoad(path);
        try {
          expect(Number(j.r0), c.name).toBe(kernelRun(p, u8(c.packet)).retval);
        } finally {
          kernelUnload(p);
        }
      }
    }
  });
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
});

const IP_A = [10, 0, 0, 1];
const IP_B = [10, 0, 0, 2];
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const XDP_REDIRECT = 4;

describe('programs/proto_count.asm', () => {
  const u = udp(IP_A, IP_B, 40000, 53, [1, 2, 3, 4]);
  const cases: Case[] = [
    { name: 'IPv4 UDP', packet: eth(0x0800, ipv4(17, IP_A, IP_B, u)), retval: XDP_PASS },
    { name: 'IPv4 ICMP', packet: eth(0x0800, ipv4(1, IP_A, IP_B, icmpEcho(8, 1, 1, [0, 0]))), retval: XDP_PASS },
    { name: 'VLAN IPv4 TCP', packet: eth(0x0800, ipv4(6, IP_A, IP_B, tcpSyn(1234, 80)), { vlan: 100 }), retval: XDP_PASS },
    { name: 'VLAN IPv4 UDP', packet: eth(0x0800, ipv4(17, IP_A, IP_B, u), { vlan: 7 }), retval: XDP_PASS },
    { name: 'IPv6 UDP', packet: eth(0x86dd, ipv6(17, u)), retval: XDP_PASS },
    { name: 'IPv6 ICMPv6', packet: eth(0x86dd, ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1])), retval: XDP_PASS },
    { name: 'VLAN IPv6 TCP', packet: eth(0x86dd, ipv6(6, tcpSyn(1, 2)), { vlan: 5 }), retval: XDP_PASS },
    { name: 'ARP: not counted', packet: arpRequest(), retval: XDP_PASS },
    { name: 'truncated VLAN tag', packet: eth(0x0800, [], { vlan: 1 }).slice(0, 16), retval: XDP_PASS },
    { name: 'truncated IPv4 header', packet: eth(0x0800, ipv4(17, IP_A, IP_B, u)).slice(0, 30), retval: XDP_PASS },
    { name: 'truncated IPv6 header', packet: eth(0x86dd, ipv6(17, u)).slice(0, 50), retval: XDP_PASS },
  ];
  runCases('proto_count', cases, {}, (maps) => {
    const rows = maps['proto_count']!;
    expect(rows).toHaveLength(256);
    const count = (proto: number) => Number(Buffer.from(rows[proto]!.value, 'hex').readBigUInt64LE());
    expect([count(1), count(6), count(17), count(58), count(0)]).toEqual([1, 2, 3, 1, 0]);
    expect(rows.reduce((s, r) => s + Number(Buffer.from(r.value, 'hex').readBigUInt64LE()), 0)).toBe(7);
  });
});

describe('programs/blocklist.asm', () => {
  // struct { __u32 prefixlen; __u8 addr[4]; }: 10.0.0.0/8 and 192.168.1.7/32.
  const keys = [
    [8, 0, 0, 0, 10, 0, 0, 0],
    [32, 0, 0, 0, 192, 168, 1, 7],
  ];
  const zero = [0, 0, 0, 0, 0, 0, 0, 0];
  const from = (src: number[]) => eth(0x0800, ipv4(17, src, IP_B, udp(src, IP_B, 1000, 2000, [9])));
  const cases: Case[] = [
    { name: '10.1.2.3 in 10.0.0.0/8', packet: from([10, 1, 2, 3]), retval: XDP_DROP },
    { name: '11.0.0.1 outside', packet: from([11, 0, 0, 1]), retval: XDP_PASS },
    { name: '10.255.255.255 in 10.0.0.0/8', packet: from([10, 255, 255, 255]), retval: XDP_DROP },
    { name: '192.168.1.7/32', packet: from([192, 168, 1, 7]), retval: XDP_DROP },
    { name: '192.168.1.8 next to the /32', packet: from([192, 168, 1, 8]), retval: XDP_PASS },
    { name: 'ARP', packet: arpRequest(), retval: XDP_PASS },
    { name: 'IPv6', packet: eth(0x86dd, ipv6(17, [1, 2, 3, 4, 0, 8, 0, 0])), retval: XDP_PASS },
    { name: 'truncated IPv4', packet: from([10, 1, 2, 3]).slice(0, 29), retval: XDP_PASS },
  ];
  runCases(
    'blocklist',
    cases,
    {
      emu: (o) => keys.forEach((k) => o.maps.get('blocklist')!.update(u8(k), u8(zero))),
      real: (p) => keys.forEach((k) => kernelMapUpdate(p, 'blocklist', k, zero)),
    },
    (maps) => {
      const hits = Object.fromEntries(maps['blocklist']!.map((r) => [r.key, Number(Buffer.from(r.value, 'hex').readBigUInt64LE())]));
      expect(hits).toEqual({ [hex(keys[0]!)]: 2, [hex(keys[1]!)]: 1 });
    },
  );
});

describe('programs/reflector.asm', () => {
  const ping = (seq: number, data: number[]) => eth(0x0800, ipv4(1, IP_A, IP_B, icmpEcho(8, 0x4242, seq, data)));
  const pong = (seq: number, data: number[]) => eth(0x0800, ipv4(1, IP_B, IP_A, icmpEcho(0, 0x4242, seq, data)), { dst: MAC_A, src: MAC_B });
  const echoCases: Case[] = [];
  // Sequences chosen so the checksum crosses the carry cases of RFC 1624 (0x0000/0xffff edges).
  for (const seq of [1, 2, 0xf7fe, 0xf7ff, 0xf800, 0xffff, 0]) {
    const data = [seq & 0xff, 0x55, 0xaa, (seq * 7) & 0xff];
    echoCases.push({ name: `echo request seq ${seq}`, packet: ping(seq, data), retval: XDP_TX, out: pong(seq, data) });
  }
  const opts = [1, 1, 1, 0]; // four NOPs: IHL 6
  const cases: Case[] = [
    ...echoCases,
    {
      name: 'UDP: ports and addresses swapped, checksum still valid',
      packet: eth(0x0800, ipv4(17, IP_A, IP_B, udp(IP_A, IP_B, 40000, 7, [1, 2, 3]))),
      retval: XDP_TX,
      out: eth(0x0800, ipv4(17, IP_B, IP_A, udp(IP_B, IP_A, 7, 40000, [1, 2, 3])), { dst: MAC_A, src: MAC_B }),
    },
    { name: 'echo reply: passed', packet: eth(0x0800, ipv4(1, IP_A, IP_B, icmpEcho(0, 1, 1, []))), retval: XDP_PASS },
    { name: 'TCP: passed', packet: eth(0x0800, ipv4(6, IP_A, IP_B, tcpSyn(1, 2))), retval: XDP_PASS },
    { name: 'IPv4 options: passed', packet: eth(0x0800, ipv4(1, IP_A, IP_B, icmpEcho(8, 1, 1, []), opts)), retval: XDP_PASS },
    { name: 'ARP: passed', packet: arpRequest(), retval: XDP_PASS },
    { name: 'truncated ICMP: passed', packet: ping(1, []).slice(0, 40), retval: XDP_PASS },
  ];
  it('the expected replies carry valid checksums (the builders are right)', () => {
    for (const c of echoCases) expect(inetChecksum(c.out!.slice(34))).toBe(0);
  });
  runCases('reflector', cases);
});

describe('programs/lb.asm', () => {
  const le32 = (b: readonly number[], o: number) => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  /** The slot the program picks: (saddr ^ daddr ^ proto [^ ports]) * 0x9e3779b1 >> 30. */
  const slotOf = (f: readonly number[]): number => {
    let h = le32(f, 26) ^ le32(f, 30) ^ f[23]!;
    if (f[14] === 0x45 && (f[23] === 6 || f[23] === 17) && f.length >= 38) h ^= le32(f, 34);
    return Math.imul(h, 0x9e3779b1) >>> 30;
  };
  const flows: number[][] = [];
  for (let i = 1; i <= 12; i++) {
    const src = [10, 0, 1, i];
    flows.push(eth(0x0800, ipv4(17, src, IP_B, udp(src, IP_B, 30000 + i, 53, [i]))));
    flows.push(eth(0x0800, ipv4(6, src, IP_B, tcpSyn(40000 + i * 3, 443))));
  }
  flows.push(eth(0x0800, ipv4(1, IP_A, IP_B, icmpEcho(8, 1, 1, []))));
  // Only slots 0 and 2 hold a backend (ifindex 1, lo, exists on every machine).
  const live = [0, 2];
  const cases: Case[] = [
    ...flows.map((f, i) => ({ name: `flow ${i} (slot ${slotOf(f)})`, packet: f, retval: live.includes(slotOf(f)) ? XDP_REDIRECT : XDP_PASS })),
    { name: 'ARP', packet: arpRequest(), retval: XDP_PASS },
    { name: 'IPv6', packet: eth(0x86dd, ipv6(17, [1, 2, 3, 4, 0, 8, 0, 0])), retval: XDP_PASS },
  ];
  it('the flows reach every slot', () => {
    expect(new Set(flows.map(slotOf))).toEqual(new Set([0, 1, 2, 3]));
  });
  const slot = (i: number) => [i, 0, 0, 0];
  runCases('lb', cases, {
    emu: (o) => live.forEach((i) => o.maps.get('backends')!.update(u8(slot(i)), u8([1, 0, 0, 0]))),
    real: (p) => live.forEach((i) => kernelMapUpdate(p, 'backends', slot(i), [1, 0, 0, 0])),
  });
});

describe('the reflector and the load balancer on the emulated network', () => {
  const setup = (): Record<string, string> => {
    const env = { XDPTS_STATE_DIR: mkdtempSync(join(tmp, 'state-')), XDPTS_SEED: '3' };
    for (const c of [
      'ip netns add net',
      'ip link add veth1 type veth peer name veth2 netns net',
      'ip addr add 192.168.1.1/24 dev veth1',
      'ip netns exec net ip addr add 192.168.1.2/24 dev veth2',
      'ip link set veth1 up',
      'ip netns exec net ip link set veth2 up',
    ])
      expect(xdpts(c.split(' '), env).exit).toBe(0);
    return env;
  };

  it('the reflector answers pings for an address nobody owns, from the driver', () => {
    const env = setup();
    const obj = build('reflector').path;
    const mac = (JSON.parse(xdpts(['ip', '-j', 'link', 'show', 'veth1'], env).stdout) as { address: string }[])[0]!.address;
    // 192.168.1.99 is not configured anywhere: only XDP_TX can answer it.
    expect(xdpts(['ip', 'netns', 'exec', 'net', 'ip', 'neigh', 'add', '192.168.1.99', 'lladdr', mac, 'dev', 'veth2'], env).exit).toBe(0);
    const before = xdpts(['ip', 'netns', 'exec', 'net', 'ping', '-c', '1', '-W', '1', '192.168.1.99'], env);
    expect(before.exit).toBe(1);
    expect(xdpts(['load', '-m', 'skb', 'veth1', obj], env).exit).toBe(0);
    const r = xdpts(['ip', 'netns', 'exec', 'net', 'ping', '-c', '2', '-W', '1', '192.168.1.99'], env);
    expect(r.exit, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('2 packets transmitted, 2 received, 0% packet loss');
    expect(r.stdout).toContain('64 bytes from 192.168.1.99: icmp_seq=1 ttl=64');
  });

  it('the load balancer redirects IPv4 to its backend and passes ARP', () => {
    const env = setup();
    expect(xdpts(['load', '-m', 'skb', 'veth1', build('lb').path], env).exit).toBe(0);
    for (const k of [0, 1, 2, 3]) expect(xdpts(['map', 'update', 'name', 'backends', 'key', String(k), '0', '0', '0', 'value', '2', '0', '0', '0'], env).exit).toBe(0); // eth0
    const pcap = join(env['XDPTS_STATE_DIR']!, 'eth0.pcap');
    expect(xdpts(['capture', 'eth0', '-w', pcap, '--detach'], env).exit).toBe(0);
    const frame = eth(0x0800, ipv4(17, IP_A, IP_B, udp(IP_A, IP_B, 40000, 53, [1, 2])));
    expect(xdpts(['inject', 'veth1', '--packet', hex(frame)], env).stdout).toContain('received on veth1: XDP_REDIRECT 1');
    expect(xdpts(['inject', 'veth1', '--packet', hex(arpRequest())], env).stdout).toContain('received on veth1: XDP_PASS 1');
    expect(xdpts(['capture', 'eth0', '--stop'], env).exit).toBe(0);
    expect(readPcap(new Uint8Array(readFileSync(pcap))).records.map((r) => toHex(r.data))).toEqual([hex(frame)]);
  });
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));
