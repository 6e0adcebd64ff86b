/**
 * A damaged state as a user meets it (issue 15): a command either works on what the state holds
 * or changes nothing. A field of the wrong type is refused with the file and the field's path
 * (never a stack trace, never a silent rewrite that drops programs and maps); `reset` recovers
 * from anything at the state's paths; an odd lock is diagnosed at once instead of blocking.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');

function xdpts(dir: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1', XDPTS_STATE_DIR: dir } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A state with a veth pair and a program attached to eth0 (what a damaged state would lose). */
let good = '';
beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  const dir = mkdtempSync(join(tmpdir(), 'xdpts-damage-'));
  expect(xdpts(dir, 'ip', 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1').code).toBe(0);
  expect(xdpts(dir, 'load', 'eth0', 'fixtures/c/xdp_drop.o').code).toBe(0);
  good = readFileSync(join(dir, 'state.json'), 'utf8');
});

/** A fresh state directory holding `good` changed by `damage`. */
function damagedDir(damage: (s: any) => void): { dir: string; text: string } {
  const dir = mkdtempSync(join(tmpdir(), 'xdpts-damage-'));
  const s = JSON.parse(good);
  damage(s);
  const text = JSON.stringify(s);
  writeFileSync(join(dir, 'state.json'), text);
  return { dir, text };
}

describe('a damaged state file', () => {
  const cases: [string, (s: any) => void, RegExp][] = [
    ['the clock kind a number', (s) => (s.kernel.core.clock.kind = 5), /kernel\.core\.clock\.kind is a number, expected a string/],
    ['an interface MTU a string', (s) => (s.net.namespaces[0].ifaces[0].mtu = 'x'), /net\.namespaces\[0\]\.ifaces\[0\]\.mtu is a string, expected a number/],
    ['the namespaces not a list', (s) => (s.net.namespaces = 7), /net\.namespaces is a number, expected an array/],
    ['the network part a string', (s) => (s.net = 'oops'), /net is a string, expected an object/],
    ['the XDP side missing its attachments', (s) => delete s.kernel.xdp.attachments, /kernel\.xdp\.attachments is missing/],
  ];
  for (const [what, damage, message] of cases) {
    it(`is refused, named and left untouched: ${what}`, () => {
      const { dir, text } = damagedDir(damage);
      for (const cmd of [['ip', 'link', 'add', 'v2', 'type', 'veth', 'peer', 'name', 'v3'], ['prog', 'show'], ['status'], ['ip', 'link', 'show']]) {
        const r = xdpts(dir, ...cmd);
        expect(r.code, cmd.join(' ')).not.toBe(0);
        expect(r.stderr).toMatch(message);
        expect(r.stderr).toContain(join(dir, 'state.json'));
        expect(r.stderr).toContain('xdpts reset');
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(text);
      }
      expect(xdpts(dir, 'reset').code).toBe(0);
      expect(xdpts(dir, 'ip', 'link', 'show').code).toBe(0);
    });
  }

  it('is refused as JSON under --json', () => {
    const { dir } = damagedDir((s) => (s.kernel.core.clock.kind = 5));
    const r = xdpts(dir, 'prog', 'show', '--json');
    expect(r.code).toBe(1);
    expect(JSON.stringify(JSON.parse(r.stdout))).toMatch(/clock\.kind is a number/);
  });

  it('keeps working on an undamaged one (the programs and the veth pair are still there)', () => {
    const { dir } = damagedDir(() => {});
    const r = xdpts(dir, 'status');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('xdp_drop');
    expect(xdpts(dir, 'ip', 'link', 'show', 'v0').code).toBe(0);
  });
});

describe('odd things at the state paths', () => {
  it('state.json as a directory: commands say so, reset recovers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpts-damage-'));
    mkdirSync(join(dir, 'state.json'));
    const r = xdpts(dir, 'ip', 'link', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot read the state file .*state\.json/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(xdpts(dir, 'reset').code).toBe(0);
    expect(xdpts(dir, 'ip', 'link', 'show').code).toBe(0);
  });

  it('state.lock as a directory: diagnosed at once (no spinning), reset recovers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpts-damage-'));
    mkdirSync(join(dir, 'state.lock'));
    const r = xdpts(dir, 'ip', 'link', 'show');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/state\.lock is not a lock file/);
    expect(xdpts(dir, 'reset').code).toBe(0);
    expect(xdpts(dir, 'ip', 'link', 'show').code).toBe(0);
  });

  it('a lock file with content no xdpts wrote is broken at once, not waited on for 30 s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpts-damage-'));
    writeFileSync(join(dir, 'state.lock'), '\u0000garbage\n');
    const r = xdpts(dir, 'ip', 'link', 'show');
    expect(r.code).toBe(0);
    // It used to wait 30 s and then fail with EBUSY; a lock directory used to spin forever.
    rmSync(dir, { recursive: true, force: true });
  });
});
