/**
 * The mirrored tools' own help forms print usage where the real tools do, with their status:
 * iproute2 on stderr with 255, bpftool on stderr with 0, iputils ping on stderr with 2 (recorded
 * from iproute2 6.1, bpftool 7.x and iputils on Linux 6.18; re-checked live where installed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tools } from '../helpers/tools';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');

/** [argv after the tool, real binary, the real status, the start of the usage on stderr]. */
const FORMS: [string[], string, number, string][] = [
  [['ip', 'help'], 'ip', 255, 'Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }'],
  [['ip', '-help'], 'ip', 255, 'Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }'],
  [['ip', 'link', 'help'], 'ip', 255, 'Usage: ip link add'],
  [['ip', 'addr', 'help'], 'ip', 255, 'Usage: ip address {add|change|replace} IFADDR dev IFNAME'.slice(0, 17)],
  [['ip', 'route', 'help'], 'ip', 255, 'Usage: ip route { list | flush } SELECTOR'.slice(0, 14)],
  [['ip', 'neigh', 'help'], 'ip', 255, 'Usage: ip neigh { add | del'],
  [['ip', 'netns', 'help'], 'ip', 255, 'Usage:\tip netns list'],
  [['prog', 'help'], 'bpftool', 0, 'Usage: bpftool prog { show | list } [PROG]'],
  [['prog', '--help'], 'bpftool', 0, 'Usage: bpftool '],
  [['map', 'help'], 'bpftool', 0, 'Usage: bpftool map { show | list }   [MAP]'],
  [['ping', '-h'], 'ping', 2, '\nUsage\n  ping [options] <destination>\n'],
];

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
});

describe('help forms of the mirrored tools', () => {
  const env = { ...process.env, NO_COLOR: '1', XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-help-')) };
  it.each(FORMS)('%j: usage on stderr with the real status', (argv, real, status, start) => {
    const r = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', env });
    expect(r.status).toBe(status);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(start)).toBe(true);
    expect(r.stderr.split('\n').length).toBeGreaterThan(3);
    if (has(real) && (real !== 'bpftool' || tools.bpftool)) {
      const live = spawnSync(real === 'bpftool' ? tools.bpftool! : real, argv[0] === 'ip' || argv[0] === 'ping' ? argv.slice(1) : argv, { encoding: 'utf8', argv0: real });
      expect(live.status, `real ${real}`).toBe(status);
      expect(live.stdout).toBe('');
      expect(live.stderr.startsWith(start), live.stderr.slice(0, 80)).toBe(true);
    }
  });
});
