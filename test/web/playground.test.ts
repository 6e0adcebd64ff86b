/**
 * The playground end to end in a real browser: `npm run build:web`'s bundle served by `xdpts
 * playground`'s server, driven in headless Chromium (Debian's `chromium`, through playwright-core,
 * which downloads no browser of its own): load the counter, assemble, verify, run a packet, step
 * twice, check a register and its verifier value; a rejected program shows its explanation; bad
 * assembly shows the assembler's diagnostic in place. Screenshots of the main views go to
 * test-results/playground/ as artefacts. Skips with a reason where chromium is absent.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servePlayground } from '../../src/cli/commands/playground';

const ROOT = join(__dirname, '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-results', 'playground');
const pw = await import('playwright-core').catch(() => undefined);
const have = existsSync(CHROMIUM) && pw !== undefined;
if (!have) console.warn(`playground browser tests skipped: ${!pw ? 'playwright-core is not installed (npm ci)' : `${CHROMIUM} is absent (apt-get install chromium)`}`);

type Page = import('playwright-core').Page;
type Context = import('playwright-core').BrowserContext;

describe.skipIf(!have)('playground in headless Chromium', () => {
  let server: Server;
  let url: string;
  let browser: Context;
  let profile: string;
  let page: Page;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build-web.mjs')], { cwd: ROOT, stdio: 'pipe' });
    ({ server, url } = await servePlayground(join(ROOT, 'dist/web'), 0));
    const { chromium } = pw!;
    profile = mkdtempSync(join(tmpdir(), 'le-chromium-'));
    // A fresh profile (--user-data-dir) per run, given the way playwright-core wants it.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('bundles without Node modules, under a reported size, and loads fast from localhost', async () => {
    const size = statSync(join(ROOT, 'dist/web/app.js')).size;
    expect(size).toBeLessThan(1024 * 1024);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(url);
    await page.waitForSelector('body[data-ready="1"]');
    const loadMs = Date.now() - t0;
    console.log(`playground: app.js ${(size / 1024).toFixed(1)} KiB, first load ${loadMs} ms`);
    expect(errors).toEqual([]);
    expect(await page.inputValue('#source')).toContain('count_packets:');
  }, 60_000);

  it('load the counter, assemble, verify, run a packet, step twice, check a register', async () => {
    await page.selectOption('#sample', 'counter (tutorial)');
    await page.click('#assemble');
    expect(await page.textContent('#disasm')).toContain('r1 = pkt_count ll');
    await page.screenshot({ path: join(SHOTS, 'disassembly.png') });
    await page.click('#verify');
    expect(await page.textContent('#verdict')).toMatch(/count_packets: accepted, processed \d+ insns/);
    await page.click('#run');
    expect(await page.textContent('#result')).toMatch(/^XDP_PASS/);
    expect(await page.textContent('#checks')).toBe("every register stays inside the verifier's envelope");
    await page.click('#step');
    await page.click('#step');
    expect(await page.textContent('#position')).toBe('step 3 of 11');
    // Step 3 is `r2 = r10` (after `r1 = 0` and the store of the key): r1 holds 0, proven 0.
    const r1 = await page.$$eval('#reg-r1 td', (tds) => tds.map((t) => t.textContent));
    expect(r1).toEqual(['r1', '0', '0']);
    const r10 = await page.$$eval('#reg-r10 td', (tds) => tds.map((t) => t.textContent));
    expect(r10).toEqual(['r10', 'fp', 'fp0']);
    expect(await page.textContent('#stack')).toMatch(/00 00 00 00$/);
    await page.screenshot({ path: join(SHOTS, 'debugger.png'), fullPage: true });
    await page.click('#back');
    expect(await page.textContent('#position')).toBe('step 2 of 11');
    // The URL holds the state: a reload brings back the same source.
    expect(page.url()).toMatch(/#s=[A-Za-z0-9_-]+$/);
  }, 60_000);

  it('a rejected program shows the explanation; bad assembly shows the diagnostic in place', async () => {
    // Reads a packet byte with no bounds check: the verifier refuses it.
    await page.fill('#source', '.section xdp,"ax",@progbits\n.globl bad\nbad:\nr2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 20)\nexit\n.license "GPL"');
    await page.click('#verify');
    expect(await page.textContent('#verdict')).toMatch(/^bad: rejected at insn 1: /);
    expect(await page.textContent('#explain')).toMatch(/packet/i);
    await page.screenshot({ path: join(SHOTS, 'explain.png'), fullPage: true });
    await page.fill('#source', 'r0 = 1\nfrobnicate r0\nexit');
    await page.click('#assemble');
    expect(await page.isVisible('#diagnostics')).toBe(true);
    expect(await page.textContent('#diagnostics')).toMatch(/prog\.asm:2:\d+: error/);
  }, 60_000);
});
