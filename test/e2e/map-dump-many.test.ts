/**
 * `map dump name X` when several maps share the name: bpftool dumps every one of them under a
 * header (recorded from bpftool on Linux 6.18: fixtures/kernel/map-dump/dump.txt and dump.json,
 * map ids replaced by ID). A name no map has is a failure with a message (bpftool itself exits
 * 255 silently; xdpts says why, in its one JSON error shape under --json).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { needs, tools } from '../helpers/tools';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');
const DIR = join(ROOT, 'fixtures/kernel/map-dump');
const env = { ...process.env, NO_COLOR: '1', XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-dump-')) };
const xdpts = (...a: string[]) => spawnSync(process.execPath, [BIN, ...a], { encoding: 'utf8', env });
const ids = (s: string): string => s.replace(/"id": \d+/g, '"id": ID').replace(/"id":\d+/g, '"id":ID');

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  expect(xdpts('ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1').status).toBe(0);
  expect(xdpts('load', 'eth0', join(DIR, 'same_name_array.o')).status).toBe(0);
  expect(xdpts('load', 'v0', join(DIR, 'same_name_hash.o')).status).toBe(0);
});

describe('map dump name X with two maps of that name', () => {
  it('dumps both, as bpftool prints them', () => {
    const r = xdpts('map', 'dump', 'name', 'ld_dup');
    expect(r.status).toBe(0);
    expect(ids(r.stdout)).toBe(readFileSync(join(DIR, 'dump.txt'), 'utf8'));
  });

  it('dumps both with -j, as bpftool -j prints them', () => {
    const r = xdpts('-j', 'map', 'dump', 'name', 'ld_dup');
    expect(r.status).toBe(0);
    expect(ids(r.stdout)).toBe(readFileSync(join(DIR, 'dump.json'), 'utf8'));
  });

  it('fails with a message for a name no map has, in text and JSON', () => {
    const t = xdpts('map', 'dump', 'name', 'ld_dup_nope');
    expect([t.status, t.stdout, t.stderr]).toEqual([2, '', "Error: no map named 'ld_dup_nope'\n"]);
    const j = xdpts('map', 'dump', 'name', 'ld_dup_nope', '--json');
    expect(j.status).toBe(2);
    expect(JSON.parse(j.stdout)).toEqual({ error: { message: "no map named 'ld_dup_nope'", code: 'usage' } });
  });
});

describe.skipIf(!tools.kernel)(`the recorded bpftool output${needs('kernel')}`, () => {
  it('is what bpftool prints today', () => {
    const pins = ['/sys/fs/bpf/ld_dump_a', '/sys/fs/bpf/ld_dump_b'];
    try {
      execFileSync(tools.bpftool!, ['prog', 'load', join(DIR, 'same_name_array.o'), pins[0]!, 'type', 'xdp']);
      execFileSync(tools.bpftool!, ['prog', 'load', join(DIR, 'same_name_hash.o'), pins[1]!, 'type', 'xdp']);
      // Other maps of this name may exist on a shared machine only if a run was killed midway.
      expect(ids(execFileSync(tools.bpftool!, ['map', 'dump', 'name', 'ld_dup'], { encoding: 'utf8' }))).toBe(readFileSync(join(DIR, 'dump.txt'), 'utf8'));
      expect(ids(execFileSync(tools.bpftool!, ['-j', 'map', 'dump', 'name', 'ld_dup'], { encoding: 'utf8' }))).toBe(readFileSync(join(DIR, 'dump.json'), 'utf8'));
      const nope = spawnSync(tools.bpftool!, ['map', 'dump', 'name', 'ld_dup_nope'], { encoding: 'utf8' });
      expect([nope.status, nope.stdout, nope.stderr]).toEqual([255, '', '']);
    } finally {
      for (const p of pins) rmSync(p, { force: true });
    }
  });
});
