/**
 * Traffic through the CLI: parallel `xdpts inject` lose nothing (the state lock), `xdpts capture`
 * records what crosses an interface into a pcap that tcpdump reads.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPcap } from '../../src/pcap/index';
import { ARPOP_REQUEST, buildArp, describeFrame, parseIpv4 } from '../../src/net/index';
import { toHex } from '../../src/util/index';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xdpts');

function xdpts(args: string[], env: Record<string, string>): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, XDPTS_REALTIME: '0', ...env } });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function setup(): Record<string, string> {
  const env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-traffic-')), XDPTS_SEED: '3' };
  for (const c of [
    'ip netns add net',
    'ip link add veth1 type veth peer name veth2 netns net',
    'ip addr add 192.168.1.1/24 dev veth1',
    'ip netns exec net ip addr add 192.168.1.2/24 dev veth2',
    'ip link set veth1 up',
    'ip netns exec net ip link set veth2 up',
  ]) expect(xdpts(c.split(' '), env).exit).toBe(0);
  return env;
}

interface StateFile {
  net: { namespaces: { name: string; ifaces: { name: string; mac: string; stats: { rxPackets: number } }[] }[]; captures: unknown[] };
}
const readState = (env: Record<string, string>): StateFile => JSON.parse(readFileSync(join(env['XDPTS_STATE_DIR']!, 'state.json'), 'utf8')) as StateFile;
const veth1 = (s: StateFile) => s.net.namespaces.find((n) => n.name === '')!.ifaces.find((i) => i.name === 'veth1')!;

const hasTcpdump = spawnSync('sh', ['-c', 'command -v tcpdump']).status === 0;

describe('network traffic through the CLI', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  });

  it('16 parallel injects lose no frame, and the stack answers them', async () => {
    const env = setup();
    // An ARP request for 192.168.1.1 from a host 192.168.1.2 (any MAC).
    const frame = toHex(buildArp(ARPOP_REQUEST, 'ff:ff:ff:ff:ff:ff', '02:00:00:00:00:02', parseIpv4('192.168.1.2')!, '00:00:00:00:00:00', parseIpv4('192.168.1.1')!));
    const one = xdpts(['inject', 'veth1', '--packet', frame], env);
    expect(one.exit).toBe(0);
    expect(one.stdout).toBe('injected 1 frame into veth1\nreceived on veth1: XDP_PASS 1\n');
    const runs = Array.from({ length: 16 }, () =>
      new Promise<number>((resolve) => {
        const c = spawn(process.execPath, [BIN, 'inject', 'veth1', '--packet', frame, '--count', '2'], { env: { ...process.env, XDPTS_REALTIME: '0', ...env }, stdio: 'ignore' });
        c.on('exit', (code) => resolve(code ?? -1));
      }),
    );
    expect(await Promise.all(runs)).toEqual(Array(16).fill(0));
    expect(veth1(readState(env)).stats.rxPackets).toBe(1 + 32);
    // The answer went out of veth1: the requester is now a STALE neighbour (neigh_event_ns).
    expect(xdpts(['ip', 'neigh', 'show', 'dev', 'veth1'], env).stdout).toBe('192.168.1.2 lladdr 02:00:00:00:00:02 STALE \n');
    const bad = xdpts(['inject', 'veth1', '--packet', 'zz'], env);
    expect(bad.exit).toBe(2);
    expect(xdpts(['inject', 'nosuch', '--packet', frame], env)).toMatchObject({ exit: 1, stderr: 'Cannot find device "nosuch"\n' });
  });

  it('captures what crosses veth1 into a pcap file', async () => {
    const env = setup();
    const file = join(env['XDPTS_STATE_DIR']!, 'veth1.pcap');
    const cap = spawn(process.execPath, [BIN, 'capture', 'veth1', '-w', file, '-c', '4'], { env: { ...process.env, XDPTS_REALTIME: '0', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    cap.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number>((resolve) => cap.on('exit', (c) => resolve(c ?? -1)));
    for (let i = 0; i < 200 && readState(env).net.captures.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(xdpts(['ping', '-c', '1', '192.168.1.2'], env).exit).toBe(0);
    expect(await done).toBe(0);
    expect(stderr).toContain('listening on veth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes');
    expect(stderr).toContain('4 packets captured');
    const recs = readPcap(readFileSync(file)).records;
    expect(recs.map((r) => describeFrame(r.data).replace(/id \d+/, 'id N'))).toEqual([
      'ARP, Request who-has 192.168.1.2 tell 192.168.1.1, length 28',
      expect.stringMatching(/^ARP, Reply 192.168.1.2 is-at /),
      'IP 192.168.1.1 > 192.168.1.2: ICMP echo request, id N, seq 1, length 64',
      'IP 192.168.1.2 > 192.168.1.1: ICMP echo reply, id N, seq 1, length 64',
    ]);
    expect(readState(env).net.captures).toEqual([]);
    if (hasTcpdump) {
      const text = execFileSync('tcpdump', ['-nn', '-r', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(text.split('\n').filter(Boolean)).toHaveLength(4);
      expect(text).toContain('ICMP echo request');
    }
  });

  it('reset is the way out of a corrupt state', () => {
    const env = setup();
    writeFileSync(join(env['XDPTS_STATE_DIR']!, 'state.json'), '{oops');
    const r = xdpts(['ip', 'link', 'show'], env);
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(/state\.json is corrupt .*run `xdpts reset`/);
    expect(xdpts(['reset'], env).exit).toBe(0);
    expect(xdpts(['ip', 'link', 'show', 'lo'], env).stdout).toBe(
      '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n',
    );
  });
});
