/**
 * IPv6 through the real CLI (`node bin/xdpts`): `ip -6 addr add`, `ip addr add ADDR6` (family
 * from the address), `ip -6 addr|route|neigh`, `ping -6`, `ping ADDR6` and `ping LL%dev`, with the
 * text of the goldens in fixtures/net/ipv6 (recorded from Linux 6.18; MACs here are the seed's,
 * so link-local addresses are compared by their EUI-64 derivation).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const golden = (f: string): string[] => readFileSync(join(ROOT, 'fixtures', 'net', 'ipv6', f), 'utf8').replace(/\n$/, '').split('\n');
const mask = (l: string): string => l.replace(/time=[\d.]+ ms/, 'time=T ms').replace(/time \d+ms/, 'time Nms').replace(/= [\d./]+ ms/, '= R ms');

describe('IPv6 through the CLI', () => {
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  });

  it('configures, lists and pings over IPv6 as iproute2 and iputils print it', () => {
    const env = { ...process.env, XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-v6-')), XDPTS_SEED: '7', XDPTS_REALTIME: '0' };
    const x = (cmd: string): { exit: number; out: string[]; err: string } => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'xdpts'), ...cmd.split(' ')], { encoding: 'utf8', env });
      return { exit: r.status ?? -1, out: r.stdout.replace(/\n$/, '').split('\n'), err: r.stderr };
    };
    for (const c of [
      'ip netns add v6_a',
      'ip netns add v6_b',
      'ip link add v6_a0 type veth peer name v6_b0 netns v6_b',
      'ip link set v6_a0 netns v6_a',
      'ip -n v6_a link set lo up',
      'ip -n v6_b link set lo up',
      'ip -n v6_a link set v6_a0 up',
      'ip -n v6_b link set v6_b0 up',
      'ip -n v6_a -6 addr add 2001:db8::1/64 dev v6_a0 nodad',
      'ip -n v6_b addr add 2001:db8::2/64 dev v6_b0 nodad',
    ]) expect(x(c).exit, c).toBe(0);
    expect(x('ip -n v6_a -6 route').out).toEqual(golden('route6-a.out'));
    const addrs = x('ip -n v6_a -6 addr show').out;
    const ll = /inet6 (fe80::[0-9a-f:]+)\/64 scope link/.exec(addrs.join('\n'))?.[1];
    expect(ll).toBeDefined();
    // The golden's lines with this run's link-local (EUI-64 of the seeded MAC) and ifindex.
    expect(addrs.map((l) => l.replace(ll!, 'LL').replace(/^\d+:/, 'N:'))).toEqual(golden('addr6-show-a.out').map((l) => l.replace('fe80::ff:fe00:a', 'LL').replace(/^\d+:/, 'N:')));
    const p6 = x('ip netns exec v6_a ping -6 -c 2 2001:db8::2');
    expect(p6.exit).toBe(0);
    expect(p6.out.map(mask)).toEqual(golden('ping-6.out').map(mask));
    expect(x('ip netns exec v6_a ping -c 1 2001:db8::2').out.map(mask)).toEqual(golden('ping-addr6.out').map(mask));
    const peerLl = /inet6 (fe80::[0-9a-f:]+)\//.exec(x('ip -n v6_b -6 addr show dev v6_b0').out.join('\n'))![1]!;
    const pll = x(`ip netns exec v6_a ping -c 1 ${peerLl}%v6_a0`);
    expect(pll.out.map(mask)).toEqual(golden('ping-linklocal.out').map((l) => mask(l.replaceAll('fe80::ff:fe00:b', peerLl))));
    const neigh = x('ip -n v6_a -6 neigh').out;
    expect(neigh.map((l) => l.replace(/lladdr \S+/, 'lladdr M').replace(peerLl, 'LL'))).toEqual(golden('neigh6-a.out').map((l) => l.replace(/lladdr \S+/, 'lladdr M').replace('fe80::ff:fe00:b', 'LL')));
    const bad = x('ip netns exec v6_a ping -c 1 2001:db9::1');
    expect([bad.exit, bad.err]).toEqual([2, 'ping: connect: Network is unreachable\n']);
  }, 300_000);
});
