/**
 * `ip -o` (oneline), `ip -d` (details), `ip route get`, `ip link add A netns NS1 type veth peer
 * name B netns NS2` (both ends placed at creation) and `state LOWERLAYERDOWN` / `M-DOWN` for an
 * up veth whose peer is down — compared with iproute2 6.1 on Linux 6.18. The same setup runs in
 * xdpts and (with root) in real namespaces; outputs are compared after masking what differs by
 * nature (MAC addresses and the link-local addresses made from them). The expected outputs in
 * fixtures/net/ip-more.json were recorded from the real tools (XDPTS_UPDATE_FIXTURES=1 as root
 * writes them again); the live part re-checks them where root exists.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');
const FIXTURE = join(ROOT, 'fixtures/net/ip-more.json');
const A = 'nt_oa';
const B = 'nt_ob';
const live = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v ip']).status === 0;
const update = process.env['XDPTS_UPDATE_FIXTURES'] === '1';

const SETUP = [
  `netns add ${A}`,
  `netns add ${B}`,
  `link add nt_x1 netns ${A} type veth peer name nt_x2 netns ${B}`,
  `-n ${A} link set lo up`,
  `-n ${A} addr add 10.9.0.1/24 dev nt_x1`,
  `-n ${A} link set nt_x1 up`,
  `-n ${B} addr add 10.9.0.2/24 dev nt_x2`,
  `-n ${B} link set nt_x2 up`,
  `-n ${A} route add default via 10.9.0.2`,
  `-n ${A} link add nt_p1 type veth peer name nt_p2`,
  `-n ${A} link set nt_p1 up`,
  // Cross-namespace peers that stay down: the kernel looks the peer's ifindex up at home.
  `-n ${A} link add nt_y1 type veth peer name nt_y2 netns ${B}`,
  `-n ${A} link set nt_y1 up`,
  `-n ${B} link add nt_w1 type veth peer name nt_w2 netns ${A}`,
  `-n ${B} link set nt_w1 up`,
];

/** Words after `ip`. */
const CASES = [
  `-n ${A} -o link show`,
  `-n ${A} -o addr show`,
  `-n ${A} -o -4 addr show`,
  `-n ${A} -o route show`,
  `-n ${A} -d link show nt_x1`,
  `-n ${A} -d link show lo`,
  `-n ${A} -d addr show dev nt_x1`,
  `-n ${A} -d -j link show nt_x1`,
  `-n ${A} -d -j link show lo`,
  `-n ${A} -o -d link show nt_x1`,
  `-n ${A} link show nt_p1`,
  `-n ${A} link show nt_p2`,
  `-n ${A} link show nt_y1`,
  `-n ${B} link show nt_w1`,
  `-n ${A} -br link show`,
  `-n ${B} link show nt_x2`,
  `-n ${A} route get 10.9.0.2`,
  `-n ${A} route get to 10.9.0.2`,
  `-n ${A} route get 10.9.0.1`,
  `-n ${A} route get 127.0.0.5`,
  `-n ${A} route get 8.8.8.8`,
  `-n ${A} -j route get 8.8.8.8`,
  `-n ${A} -j route get 10.9.0.1`,
  `-n ${A} route get 10.9.0.255`,
  `-n ${A} route get 10.9.0.2 from 10.9.0.1`,
  `-n ${A} -j route get 10.9.0.2 from 10.9.0.1`,
  `-n ${A} route get 10.9.0.2 from 10.9.0.77`,
  `-n ${A} route get 10.9.0.0/24`,
  `-n ${A} route get abc`,
  `-n ${A} route get`,
  `-n ${B} route get 8.8.8.8`,
];

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Masks MAC addresses (but not the all-zero and broadcast ones) and the EUI-64 link-locals made from them. */
function mask(s: string): string {
  return s
    .replace(/\b(?!00:00:00:00:00:00|ff:ff:ff:ff:ff:ff)[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/g, 'MAC')
    .replace(/fe80::[0-9a-f:]+/g, 'fe80::LL');
}

function xdpts(words: string, env: NodeJS.ProcessEnv): Result {
  const r = spawnSync(process.execPath, [BIN, 'ip', ...words.split(' ')], { env, encoding: 'utf8' });
  return { status: r.status, stdout: mask(r.stdout), stderr: mask(r.stderr) };
}

function real(words: string): Result {
  const r = spawnSync('ip', words.split(' '), { encoding: 'utf8' });
  return { status: r.status, stdout: mask(r.stdout), stderr: mask(r.stderr) };
}

let env: NodeJS.ProcessEnv = {};
let expected: Record<string, Result> = existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Result>) : {};

function realSetup(): void {
  spawnSync('ip', ['netns', 'del', A]);
  spawnSync('ip', ['netns', 'del', B]);
  for (const c of SETUP) execFileSync('ip', c.split(' '));
  // Let DAD finish so the link-local addresses are no longer tentative.
  execFileSync('sleep', ['3']);
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  env = { ...process.env, XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-ipmore-')), NO_COLOR: '1', XDPTS_REALTIME: '0' };
  for (const c of SETUP) execFileSync(process.execPath, [BIN, 'ip', ...c.split(' ')], { env });
  if (!live) return;
  realSetup();
  if (update) {
    expected = Object.fromEntries(CASES.map((c) => [c, real(c)]));
    writeFileSync(FIXTURE, `${JSON.stringify(expected, null, 2)}\n`);
  }
}, 120_000);
afterAll(() => {
  if (!live) return;
  spawnSync('ip', ['netns', 'del', A]);
  spawnSync('ip', ['netns', 'del', B]);
});

describe('ip -o, -d, route get, link add ... netns, LOWERLAYERDOWN (iproute2 6.1 goldens)', () => {
  it('has a recorded answer for every case', () => expect(Object.keys(expected).sort()).toEqual([...CASES].sort()));
  it.each(CASES)('ip %s', (words) => {
    expect(xdpts(words, env)).toEqual(expected[words]);
  });

  describe.skipIf(!live)('live: iproute2 still answers what was recorded', () => {
    it.each(CASES)('ip %s', (words) => {
      expect(real(words)).toEqual(expected[words]);
    });
  });
});
