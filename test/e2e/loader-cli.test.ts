/**
 * The loader and network commands through the real CLI: xdpts's exit codes for xdp-loader and
 * bpftool (reference §8.2), `ip [-force] link set DEV xdp... obj|off` (§4.5), the loader inside
 * `ip netns exec` (no bpffs: libxdp's single-program fallback, §0), and ping paced in wall time
 * by default while other commands still get the state lock (§8.4).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildObjects, xdpts } from './tutorial-flow';

const ROOT = join(__dirname, '..', '..');
const SETUP = [
  'ip netns add net',
  'ip link add veth1 type veth peer name veth2 netns net',
  'ip addr add 192.168.1.1/24 dev veth1',
  'ip netns exec net ip addr add 192.168.1.2/24 dev veth2',
  'ip link set veth1 up',
  'ip netns exec net ip link set veth2 up',
];

describe('loader and ip through the CLI', () => {
  let objs = '';
  let env: Record<string, string> = {};
  const run = (cmd: string) => xdpts(cmd.split(' '), env, objs);
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
    objs = buildObjects();
  });
  const fresh = (): void => {
    env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-lcli-')), XDPTS_SEED: '7' };
    for (const c of SETUP) expect(run(c).exit, c).toBe(0);
  };

  it('exits 2 for bad usage or input, 1 for refusals, with the tools\' messages', () => {
    fresh();
    expect(run('load veth1 nosuch.o')).toMatchObject({ exit: 2, stderr: "Couldn't open file 'nosuch.o': No such file or directory\n" });
    expect(run('load -s nosuchsec veth1 xdp_drop.o').exit).toBe(2);
    expect(run('load -m turbo veth1 xdp_drop.o').exit).toBe(2);
    expect(run('status nosuch0')).toMatchObject({ exit: 2, stderr: "Couldn't find network interface 'nosuch0'.\n" });
    expect(run('features nosuch0').exit).toBe(2);
    expect(run('unload veth1')).toMatchObject({ exit: 2, stderr: 'Need prog ID or --all\n' });
    expect(run('unload veth1 --all')).toMatchObject({ exit: 1, stderr: 'No XDP program loaded on veth1\n' });
    expect(run('load -m skb veth1 counter.o').exit).toBe(0);
    expect(run('load -m native veth1 xdp_drop.o')).toMatchObject({ exit: 1, stderr: expect.stringContaining('Device or resource busy(-16)') });
    expect(run('load -m hw veth1 xdp_drop.o')).toMatchObject({ exit: 1, stderr: "Couldn't attach XDP program on iface 'veth1': Invalid argument(-22)\n" });
    expect(run('unload veth1 -i 99999')).toMatchObject({ exit: 1, stderr: 'Program with ID 99999 not loaded on veth1\n' });
    expect(run('load --json veth1 nosuch.o')).toMatchObject({ exit: 2, stdout: expect.stringContaining('"exit":2') });
    // bpftool: unknown object or bad arguments 2, a failed operation 1.
    expect(run('prog show id 99999')).toMatchObject({ exit: 2, stderr: 'Error: get by id (99999): No such file or directory\n' });
    expect(run('map dump bogus 1').exit).toBe(2);
    expect(run('map lookup name pkt_count key 9 0 0 0')).toMatchObject({ exit: 1, stdout: 'key:\n09 00 00 00\n\nNot found\n' });
    expect(run('map dump name pkt_count').exit).toBe(0);
    // ip keeps iproute2's statuses.
    expect(run('ip link show nosuch0')).toMatchObject({ exit: 1, stderr: 'Device "nosuch0" does not exist.\n' });
  }, 300_000); // many CLI processes: minutes on a loaded machine

  it('attaches and detaches with ip link set DEV xdp..., refusing to replace without -force', () => {
    fresh();
    expect(run('ip link set dev veth1 xdpgeneric obj xdp_drop.o sec xdp_drop')).toEqual({ exit: 0, stdout: '', stderr: '' });
    expect(run('ip link show veth1').stdout).toMatch(/mtu 1500 xdpgeneric qdisc[^]*prog\/xdp id \d+ name xdp_drop_prog tag b11459a0e11ca14c jited \n$/);
    expect(run('ip link set dev veth1 xdpgeneric obj xdp_drop.o sec xdp_drop')).toEqual({ exit: 2, stdout: '', stderr: 'Error: XDP program already attached.\n' });
    expect(run('ip link set dev veth1 xdpdrv obj xdp_drop.o sec xdp_drop')).toEqual({ exit: 2, stdout: '', stderr: "Error: Native and generic XDP can't be active at the same time.\n" });
    expect(run('ip -force link set dev veth1 xdpgeneric obj counter.o sec xdp').exit).toBe(0);
    expect(run('status veth1').stdout).toMatch(/^veth1 {18}count_packets {5}skb {6}\d+ +0afa56fcd9325709 $/m);
    expect(run('load -m skb veth1 xdp_drop.o').exit).toBe(1); // a legacy program is there
    expect(run('ip link set veth1 xdp obj counter.o')).toEqual({ exit: 255, stdout: '', stderr: "object file doesn't contain sec prog\n" });
    expect(run('ip link set veth1 xdp obj nosuch.o sec xdp')).toEqual({ exit: 255, stdout: '', stderr: 'Cannot initialize ELF context!\n' });
    expect(run('ip link set nosuch0 xdp off')).toEqual({ exit: 1, stdout: '', stderr: 'Cannot find device "nosuch0"\n' });
    expect(run('ip link set veth1 xdpgeneric off')).toEqual({ exit: 0, stdout: '', stderr: '' });
    expect(run('status veth1').stdout).toContain('veth1                  <No XDP program loaded!>');
    expect(run('ip -n net link set veth2 xdp obj xdp_drop.o sec xdp_drop').exit).toBe(0);
    expect(run('ip netns exec net ip link show veth2').stdout).toContain(' xdp qdisc');
  }, 300_000); // many CLI processes: minutes on a loaded machine

  it('runs xdp-loader inside a namespace as `ip netns exec NS xdp-loader` does: no bpffs, single program', () => {
    fresh();
    const bpffs = " libxdp: No bpffs found at /sys/fs/bpf\n libxdp: Can't use dispatcher without a working bpffs\n";
    expect(run('ip netns exec net xdp-loader load -m skb veth2 counter.o')).toEqual({ exit: 0, stdout: '', stderr: bpffs });
    const st = run('ip netns exec net xdp-loader status');
    expect(st.exit).toBe(0);
    expect(st.stdout).toMatch(/^lo {21}<No XDP program loaded!>\nveth2 {18}count_packets {5}skb {6}\d+ +0afa56fcd9325709 \n\n$/m);
    expect(st.stdout).not.toContain('veth1');
    expect(run('ip netns exec net xdpts status veth2').stdout).toBe(st.stdout.replace(/^lo .*\n/m, ''));
    expect(run('ip netns exec net xdp-loader features veth2').stdout).toContain('NETDEV_XDP_ACT_BASIC:\t\tyes');
    expect(run('ip netns exec net xdp-loader load -m skb veth2 xdp_drop.o counter.o')).toMatchObject({
      exit: 1,
      stderr: expect.stringContaining(`${bpffs} libxdp: Can't fall back to legacy load with 2 programs\n`),
    });
    expect(run('ip netns exec net xdp-loader status veth1')).toMatchObject({ exit: 2, stderr: "Couldn't find network interface 'veth1'.\n" });
    expect(run('ip netns exec net xdp-loader unload veth2 --all')).toEqual({ exit: 0, stdout: '', stderr: '' });
    expect(run('ip netns exec net xdp-loader bogus')).toMatchObject({ exit: 2, stderr: "Command 'bogus' is unknown, try 'xdp-loader help'.\n" });
    expect(run('status veth1').stdout).toContain('<No XDP program loaded!>');
  }, 300_000); // many CLI processes: minutes on a loaded machine

  it('paces ping in wall time by default, and lets other commands run while it waits', async () => {
    fresh();
    expect(run('load -m skb veth1 counter.o').exit).toBe(0);
    const { XDPTS_REALTIME: _drop, ...base } = process.env;
    void _drop;
    const t0 = Date.now();
    const lines: [number, string][] = [];
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'xdpts'), 'ping', '-c', '3', '-i', '1', '192.168.1.2'], { env: { ...base, ...env } });
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        lines.push([Date.now() - t0, buf.slice(0, i)]);
        buf = buf.slice(i + 1);
      }
    });
    const exited = new Promise<number>((r) => p.on('exit', (c) => r(c ?? -1)));
    // While ping waits between probes, map dump gets the lock and sees the counter move.
    while (!lines.some(([, l]) => l.includes('icmp_seq=1'))) await new Promise((r) => setTimeout(r, 20));
    const dump = run('map dump name pkt_count');
    const dumpedAt = Date.now() - t0;
    expect(dump.exit).toBe(0);
    expect(dump.stdout).toMatch(/"value": [1-9]/);
    expect(await exited).toBe(0);
    const at = (seq: number): number => lines.find(([, l]) => l.includes(`icmp_seq=${seq} `))![0];
    // Paced: two intervals of 1 s between the first and the last reply (summed, since a loaded
    // machine may deliver one line late and the next on time).
    expect(at(3) - at(1)).toBeGreaterThanOrEqual(1800);
    expect(dumpedAt).toBeLessThan(at(3));
    expect(lines.at(-2)?.[1]).toMatch(/^3 packets transmitted, 3 received, 0% packet loss, time 20\d\dms$/);
  }, 300_000);
});
