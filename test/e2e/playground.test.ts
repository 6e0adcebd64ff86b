/**
 * `xdpts playground` through the real CLI: it prints the URL, serves the built page (and nothing
 * outside dist/web), refuses a bad port, and exits 0 on Ctrl-C (SIGINT).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xdpts');

describe('xdpts playground', () => {
  beforeAll(() => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'pipe' });
  }, 120_000);

  it('serves the page on the URL it prints and exits cleanly on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'playground', '--port', '0', '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((ok, fail) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /"url":\s*"([^"]+)"/.exec(buf);
        if (m) ok(m[1]!);
      });
      child.once('exit', (c) => fail(new Error(`exited ${c} before printing the URL`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<title>xdpts playground</title>');
    expect((await fetch(`${url}app.js`)).status).toBe(200);
    expect((await fetch(`${url}..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    const code = await new Promise<number | null>((ok) => {
      child.once('exit', (c) => ok(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  }, 60_000);

  it('refuses a bad port with a usage error', () => {
    const r = spawnSync(process.execPath, [BIN, 'playground', '--port', 'http'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("invalid --port 'http'");
  });
});
