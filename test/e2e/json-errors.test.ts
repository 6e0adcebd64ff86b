/**
 * One JSON shape for every failure under --json (issue 15): `{"error": {"message", "code",
 * "errno"?}}` on stdout, a non-empty message, exit 1 or 2 — whichever command failed and
 * whichever layer refused (commander's usage errors, the object reader, bpftool's selectors,
 * xdp-loader's refusals, the VM).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');

const FAILURES: string[][] = [
  ['run', '/nonexistent.o', '--packet', '00'],
  ['verify', '/nonexistent.o'],
  ['run', '--bogus'],
  ['nosuchcommand'],
  ['prog', 'show', 'id', '999999'],
  ['map', 'dump', 'name', 'NOPE'],
  ['map', 'lookup', 'name', 'NOPE', 'key', '0', '0', '0', '0'],
  ['load', 'eth9', 'fixtures/c/xdp_drop.o'],
  ['disasm', 'programs/counter.asm'],
  ['build', 'fixtures/asm/errors/does-not-exist.asm'],
];

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
});

describe('failures under --json', () => {
  const env = { ...process.env, NO_COLOR: '1', XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-jerr-')) };
  it.each(FAILURES)('%s …: one error document', (...argv) => {
    const r = spawnSync(process.execPath, [BIN, ...argv, '--json'], { encoding: 'utf8', cwd: ROOT, env });
    expect([1, 2]).toContain(r.status);
    const doc = JSON.parse(r.stdout) as { error: { message: unknown; code: unknown; errno?: unknown } };
    expect(typeof doc.error.message).toBe('string');
    expect((doc.error.message as string).length).toBeGreaterThan(0);
    expect(typeof doc.error.code).toBe('string');
    if (doc.error.errno !== undefined) expect(doc.error.errno).toMatch(/^E[A-Z0-9]+$/);
    // And in text mode the same failure says something on stderr.
    const t = spawnSync(process.execPath, [BIN, ...argv], { encoding: 'utf8', cwd: ROOT, env });
    expect(t.status).toBe(r.status);
    expect(t.stderr.trim().length).toBeGreaterThan(0);
  });
});
