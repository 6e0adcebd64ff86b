/**
 * Map-in-map from the command line, as bpftool does it on Linux 6.18: an object's
 * ARRAY_OF_MAPS / HASH_OF_MAPS come up filled from their `.values` slots (libbpf), a dump shows
 * the inner maps' ids, `map update OUTER key .. value (id N | name X | pinned P)` stores another
 * map (checked against the inner template: a map of another shape is EINVAL), and a value given
 * as bytes is refused with bpftool's message. The kernel's answers were taken with bpftool on
 * the oracle machine (map update of a mismatching inner map: "update failed: Invalid argument").
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');
const OBJ = join(ROOT, 'fixtures/real/map_in_map/prog.o');
const env = { ...process.env, NO_COLOR: '1', XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-mim-')) };
const xdpts = (...a: string[]) => spawnSync(process.execPath, [BIN, ...a], { encoding: 'utf8', env });
const idOf = (name: string): number => (JSON.parse(xdpts('-j', 'map', 'show', 'name', name).stdout) as { id: number }[])[0]!.id;
const le32 = (n: number): string[] => [0, 8, 16, 24].map((s) => `0x${((n >>> s) & 0xff).toString(16).padStart(2, '0')}`);

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  expect(xdpts('load', 'eth0', OBJ).status).toBe(0);
});

describe('map-in-map on the command line', () => {
  it('keeps the inner maps alive and fills the outer maps from .values', () => {
    const a = idOf('inner_a');
    const b = idOf('inner_b');
    const arr = JSON.parse(xdpts('-j', 'map', 'dump', 'name', 'outer_arr').stdout) as { key: string[]; value: string[] }[];
    expect(arr.map((e) => e.value)).toEqual([le32(a), le32(b)]);
    const hash = JSON.parse(xdpts('-j', 'map', 'dump', 'name', 'outer_hash').stdout) as { key: string[]; value: string[] }[];
    expect(hash).toEqual([{ key: le32(3), value: le32(b) }]);
  });

  it('stores a map given by name or id, and reads its id back', () => {
    expect(xdpts('map', 'update', 'name', 'outer_hash', 'key', '5', '0', '0', '0', 'value', 'name', 'inner_a').status).toBe(0);
    expect(xdpts('map', 'update', 'name', 'outer_arr', 'key', '0', '0', '0', '0', 'value', 'id', String(idOf('inner_b'))).status).toBe(0);
    expect(xdpts('map', 'lookup', 'name', 'outer_hash', 'key', '5', '0', '0', '0').stdout).toBe(`key: 05 00 00 00  value: ${le32(idOf('inner_a')).map((x) => x.slice(2)).join(' ')}\n`);
    expect(xdpts('map', 'lookup', 'name', 'outer_arr', 'key', '0', '0', '0', '0').stdout).toContain(le32(idOf('inner_b')).map((x) => x.slice(2)).join(' '));
  });

  it('refuses a map of another shape than the inner template (EINVAL) and bytes as the value', () => {
    const bad = xdpts('map', 'update', 'name', 'outer_hash', 'key', '6', '0', '0', '0', 'value', 'name', 'outer_arr');
    expect([bad.status, bad.stderr]).toEqual([1, 'Error: update failed: Invalid argument\n']);
    const hex = xdpts('map', 'update', 'name', 'outer_hash', 'key', '6', '0', '0', '0', 'value', 'hex', '1', '0', '0', '0');
    expect([hex.status, hex.stderr]).toEqual([2, "Error: expected 'id', 'name' or 'pinned', got: 'hex'?\n"]);
  });
});
