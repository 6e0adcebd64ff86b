/**
 * `ip link show up` and `ip addr show [dev D] up`: only devices that are administratively up, in
 * any word order, and nothing (status 0) when the named device is down. Recorded from iproute2 on
 * Linux 6.18 in a namespace with a veth pair, one end up (lo stays down); re-run live with root.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');
const NS = 't5_showup';
const live = process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v ip']).status === 0;
const SETUP = [`netns add ${NS}`, `-n ${NS} link add t5_a type veth peer name t5_b`, `-n ${NS} link set t5_b up`];

/** [words after `ip -n NS`, status, names of the devices listed]. */
const CASES: [string, number, string[]][] = [
  ['link show', 0, ['lo', 't5_b', 't5_a']],
  ['link show up', 0, ['t5_b']],
  ['addr show up', 0, ['t5_b']],
  ['addr show up dev t5_a', 0, []],
  ['addr show dev t5_b up', 0, ['t5_b']],
  ['link show t5_b up', 0, ['t5_b']],
];

let env: NodeJS.ProcessEnv = {};
const names = (out: string): string[] => [...out.matchAll(/^\d+: ([^:@]+)[@:]/gm)].map((m) => m[1]!);

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  env = { ...process.env, XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-showup-')), NO_COLOR: '1' };
  for (const c of SETUP) execFileSync(process.execPath, [BIN, 'ip', ...c.split(' ')], { env });
  if (!live) return;
  spawnSync('ip', ['netns', 'del', NS]);
  for (const c of SETUP) execFileSync('ip', c.split(' '));
});
afterAll(() => {
  if (live) spawnSync('ip', ['netns', 'del', NS]);
});

describe('ip show ... up', () => {
  it.each(CASES)('ip %s', (words, status, devs) => {
    const r = spawnSync(process.execPath, [BIN, 'ip', '-n', NS, ...words.split(' ')], { env, encoding: 'utf8' });
    expect({ status: r.status, devs: names(r.stdout), stderr: r.stderr }).toEqual({ status, devs, stderr: '' });
  });

  describe.skipIf(!live)('live: iproute2', () => {
    it.each(CASES)('ip %s', (words, status, devs) => {
      const r = spawnSync('ip', ['-n', NS, ...words.split(' ')], { encoding: 'utf8' });
      expect({ status: r.status, devs: names(r.stdout), stderr: r.stderr }).toEqual({ status, devs, stderr: '' });
    });
  });
});
