/**
 * The tutorial's counter application end to end: examples/counter/main.ts runs as its own
 * node process on a fresh XDPTS_STATE_DIR; traffic comes from other processes through the CLI
 * (`xdpts inject`, `xdpts ping`); the application's `Received N packets` lines rise; while it
 * runs `xdpts status` shows count_packets on eth0; SIGINT makes it detach and free everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xdpts');
/** An Ethernet broadcast + IPv4/UDP frame to 10.0.2.15 (eth0's address), 60 bytes. */
const FRAME = 'ffffffffffff02000000000108004500002e00000000401100000a0002020a00020f' + '00'.repeat(26);

let env: Record<string, string>;
let app: ChildProcess | undefined;
let log = '';

function xdpts(args: string[]): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, XDPTS_REALTIME: '0', ...env }, timeout: 30_000 });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The counts the application printed so far. */
function counts(): number[] {
  return [...log.matchAll(/Received (\d+) packets/g)].map((m) => Number(m[1]));
}

/** Waits until `cond` holds (polling the app's output), or fails after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; application output:\n${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdptsK_app-')), XDPTS_SEED: '7' };
});

afterAll(() => {
  if (app && app.exitCode === null) app.kill('SIGKILL');
  rmSync(env['XDPTS_STATE_DIR']!, { recursive: true, force: true });
});

describe('examples/counter against the CLI', () => {
  it('counts packets sent by other processes, shows in xdpts status, detaches on SIGINT', async () => {
    app = spawn(process.execPath, [join(ROOT, 'scripts/run-example.mjs'), 'counter', '--interval', '200'], {
      cwd: ROOT,
      env: { ...process.env, XDPTS_REALTIME: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    app.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until(() => log.includes('Counting incoming packets on eth0..'), 20_000, 'the attach');
    await until(() => counts().length > 0, 5_000, 'the first count');
    expect(counts()[0]).toBe(0);
    // Go's log format: date, time, message.
    expect(log).toMatch(/^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} Counting incoming packets on eth0\.\.$/m);

    // The attachment is in the shared state: xdpts status (another process) shows it on eth0.
    const st = xdpts(['status']);
    expect(st.exit).toBe(0);
    // A bpf_link attaches the program directly (no dispatcher); eth0's driver has XDP: native.
    expect(st.stdout).toMatch(/^eth0 +count_packets +native +\d+ +[0-9a-f]{16} *$/m);

    // Five frames injected by another process run the application's program.
    const inj = xdpts(['inject', 'eth0', '--packet', FRAME, '--count', '5']);
    expect(inj.exit).toBe(0);
    expect(inj.stdout).toContain('received on eth0: XDP_PASS 5');
    await until(() => counts().includes(5), 5_000, '"Received 5 packets"');

    // A ping from the host: its replies (and the router's ARP reply) arrive on eth0 too.
    const ping = xdpts(['ping', '-c', '2', '10.0.2.2']);
    expect(ping.exit).toBe(0);
    await until(() => Math.max(...counts()) > 5, 5_000, 'the count to rise past 5');
    const seen = counts();
    // Counts never go down.
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);

    // Ctrl-C: the application closes the link and its objects, then exits 0.
    const exited = new Promise<number | null>((r) => app!.on('exit', (code) => r(code)));
    app.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(log).toContain('Received signal, exiting..');

    const after = xdpts(['status']);
    expect(after.exit).toBe(0);
    expect(after.stdout).not.toContain('count_packets');
    expect(after.stdout).toMatch(/^eth0 +<No XDP program loaded!>$/m);
    const snap = JSON.parse(readFileSync(join(env['XDPTS_STATE_DIR']!, 'state.json'), 'utf8')) as {
      kernel: { core: { programs: unknown[]; maps: unknown[] }; xdp: { attachments: unknown[] } };
    };
    expect(snap.kernel.xdp.attachments).toEqual([]);
    expect(snap.kernel.core.programs).toEqual([]);
    expect(snap.kernel.core.maps).toEqual([]);
  });
});
