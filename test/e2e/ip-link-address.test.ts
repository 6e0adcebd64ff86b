/**
 * `ip link set DEV address LLADDR`: iproute2's parse errors (status 1), the kernel's refusal of a
 * multicast or all-zero address (status 2), the missing argument (255), and the new address in
 * `ip link show`. The expected text was recorded from iproute2 on Linux 6.18 on a veth; with root
 * and iproute2 the same commands run live on a veth in a namespace of our own and are compared.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');

/** [address words, status, stderr]. */
const CASES: [string[], number, string][] = [
  [['02:11:22:33:44:55'], 0, ''],
  [['2:a:B:3:4:5'], 0, ''],
  [['zz'], 1, '"zz" is invalid lladdr.\n'],
  [['02:11:22:33:44:zzz'], 1, '"zzz" is invalid lladdr.\n'],
  [['02:11'], 1, 'Invalid address length 2 - must be 6 bytes\n'],
  [['01:00:5e:00:00:01'], 2, 'RTNETLINK answers: Cannot assign requested address\n'],
  [['00:00:00:00:00:00'], 2, 'RTNETLINK answers: Cannot assign requested address\n'],
  [[], 255, 'Command line is not complete. Try option "help"\n'],
];

const NS = 't5_lladdr';
const live = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v ip']).status === 0;
let env: NodeJS.ProcessEnv = {};

function xdpts(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env, NO_COLOR: '1' } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-lladdr-')) };
  expect(xdpts(['ip', 'link', 'add', 'eth9', 'type', 'veth', 'peer', 'name', 'eth8']).status).toBe(0);
  if (!live) return;
  spawnSync('ip', ['netns', 'del', NS]);
  execFileSync('sh', ['-c', `ip netns add ${NS} && ip -n ${NS} link add eth9 type veth peer name eth8`], { stdio: 'ignore' });
});
afterAll(() => {
  if (live) spawnSync('ip', ['netns', 'del', NS]);
});

describe('ip link set DEV address', () => {
  it.each(CASES)('address %j → status %i', (words, status, stderr) => {
    expect(xdpts(['ip', 'link', 'set', 'eth9', 'address', ...words])).toMatchObject({ status, stdout: '', stderr });
  });

  it('shows the address set last that was accepted, normalised to two lower-case digits', () => {
    xdpts(['ip', 'link', 'set', 'eth9', 'address', '2:a:B:3:4:5']);
    xdpts(['ip', 'link', 'set', 'eth9', 'address', '01:00:5e:00:00:01']);
    expect(xdpts(['ip', 'link', 'show', 'eth9']).stdout).toContain('    link/ether 02:0a:0b:03:04:05 brd ff:ff:ff:ff:ff:ff');
  });

  describe.skipIf(!live)('live: iproute2 on a veth in a namespace of our own', () => {
    it.each(CASES)('address %j', (words, status, stderr) => {
      const r = spawnSync('ip', ['-n', NS, 'link', 'set', 'eth9', 'address', ...words], { encoding: 'utf8' });
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status, stderr });
    });

    it('normalises the same way', () => {
      execFileSync('ip', ['-n', NS, 'link', 'set', 'eth9', 'address', '2:a:B:3:4:5']);
      expect(execFileSync('ip', ['-n', NS, 'link', 'show', 'eth9'], { encoding: 'utf8' })).toContain('    link/ether 02:0a:0b:03:04:05 brd ff:ff:ff:ff:ff:ff');
    });
  });
});
