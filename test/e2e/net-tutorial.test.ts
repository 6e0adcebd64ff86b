/**
 * The tutorial's network part through the real CLI (`node bin/xdpts`), fresh state, every
 * output compared line by line with the golden files recorded from real iproute2 and ping
 * (see test/oracle/net-tutorial.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { golden, loadFlow, render } from './net-flow';

const ROOT = join(__dirname, '..', '..');

function xdpts(args: string[], env: Record<string, string>): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'xdpts'), ...args], { encoding: 'utf8', env: { ...process.env, XDPTS_REALTIME: '0', ...env } });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('network tutorial through the CLI', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  });

  it('matches the golden outputs of real iproute2 and ping, step by step', () => {
    const env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-net-')), XDPTS_SEED: '7' };
    const steps = loadFlow();
    expect(steps.length, 'fixtures/net/tutorial/flow.json has steps').toBeGreaterThanOrEqual(33);
    for (const step of steps) {
      const want = golden(step.id);
      expect(want, `golden file for ${step.id} is missing (run the oracle with XDPTS_UPDATE_GOLDEN=1)`).toBeDefined();
      const got = render(xdpts(step.cmd, env));
      expect(got, `${step.id}: xdpts ${step.cmd.join(' ')}`).toBe(want);
    }
  }, 600_000); // some 35 CLI processes: minutes on a machine loaded with other test files

  it('prints the connected route of the tutorial in the root namespace, next to eth0', () => {
    const env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-net-')), XDPTS_SEED: '7' };
    for (const c of [
      'ip netns add net',
      'ip link add veth1 type veth peer name veth2 netns net',
      'ip addr add 192.168.1.1/24 dev veth1',
      'ip netns exec net ip addr add 192.168.1.2/24 dev veth2',
      'ip link set veth1 up',
      'ip netns exec net ip link set veth2 up',
    ]) expect(xdpts(c.split(' '), env).exit).toBe(0);
    expect(xdpts(['ip', 'route', 'show'], env).stdout).toBe(
      'default via 10.0.2.2 dev eth0 \n10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 \n192.168.1.0/24 dev veth1 proto kernel scope link src 192.168.1.1 \n',
    );
    const ping = xdpts(['ping', '-c', '3', '192.168.1.2'], env);
    expect(ping.exit).toBe(0);
    const j = JSON.parse(xdpts(['ping', '-c', '2', '192.168.1.2', '--json'], env).stdout) as { received: number; transmitted: number; rtt: { min: number } };
    expect(j.transmitted).toBe(2);
    expect(j.received).toBe(2);
    expect(j.rtt.min).toBeGreaterThan(0.01);
    expect(j.rtt.min).toBeLessThan(0.2);
    const links = JSON.parse(xdpts(['ip', '-j', 'link', 'show', 'veth1'], env).stdout) as { ifname: string; link_index: number; link_netnsid: number }[];
    expect(links[0]).toMatchObject({ ifindex: 3, link_index: 2, ifname: 'veth1', operstate: 'UP', link_netnsid: 0 });
    expect(xdpts(['ip', 'netns', 'list'], env).stdout).toBe('net (id: 0)\n');
    // Pinging the emulated upstream router through eth0 works from a fresh state.
    expect(xdpts(['ping', '-c', '1', '10.0.2.2'], env).exit).toBe(0);
  });

  it('is deterministic for a seed: the same MACs in two fresh states', () => {
    const a = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-net-')), XDPTS_SEED: '11' };
    const b = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-net-')), XDPTS_SEED: '11' };
    expect(xdpts(['ip', 'link', 'show', 'eth0'], a).stdout).toBe(xdpts(['ip', 'link', 'show', 'eth0'], b).stdout);
  });
});
