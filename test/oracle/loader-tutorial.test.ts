/**
 * Oracle for the loader tutorial: runs fixtures/e2e/tutorial/flow.json with the real iproute2,
 * ping, xdp-loader (LIBXDP_SKIP_DISPATCHER=1: this kernel cannot load libxdp's dispatcher) and
 * bpftool, as root, in namespaces of its own (xdptsJ_h stands for the root namespace, with lo up,
 * an eth0 and IPv6 off so no IPv6 chatter reaches the counter; xdptsJ_n for `net`), and
 * checks that the normalised output equals the golden files xdpts is tested against.
 * XDPTS_UPDATE_GOLDEN=1 rewrites the golden files from this run. The objects are the clang
 * builds of fixtures/c (same instructions, hence same tags, as programs/*.asm).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tools } from '../helpers/tools';
import { loadTutorial, renderTutorial, tutorialGolden, writeTutorialGolden, xdptsLoaderExit, type TutorialResult } from '../e2e/tutorial-flow';

const ROOT = join(__dirname, '..', '..');
const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const usable = process.getuid?.() === 0 && have('ip') && have('ping') && tools.xdpLoader !== undefined && tools.kernel && spawnSync('ip', ['netns', 'list']).status === 0;

const HOST = 'xdptsJ_h';
const NS = 'xdptsJ_n';
const EXTRA = 'xdptsJ_x';
/** Tutorial names → real names (all with this engineer's prefix). Same-length-or-longer swaps keep columns via padding. */
const NAMES: Record<string, string> = { net: NS, veth1: 'xdptsJ_v1', veth2: 'xdptsJ_v2', nosuch0: 'xdptsJ_nosuch0' };

function sh(args: string[], cwd?: string, env?: Record<string, string>): TutorialResult {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 30_000, ...(cwd ? { cwd } : {}), env: { ...process.env, ...env } });
  return { exit: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The map id of pkt_count: the program xdp-loader attached to veth1, then its map_ids. */
function pktCountId(): string {
  const link = JSON.parse(sh(['ip', '-n', HOST, '-j', 'link', 'show', NAMES['veth1']!]).stdout) as { xdp?: { prog?: { id: number } } }[];
  const prog = link[0]?.xdp?.prog?.id;
  const info = JSON.parse(sh(['bpftool', '-j', 'prog', 'show', 'id', String(prog)]).stdout) as { map_ids?: number[] };
  return String(info.map_ids?.[0] ?? 0);
}

function toReal(cmd: string[]): string[] {
  const args = cmd.map((a) => NAMES[a] ?? a);
  const inHost = (c: string[]): string[] => ['ip', 'netns', 'exec', HOST, ...c];
  if (args[0] === 'ip' && args[1] === 'netns' && (args[2] === 'add' || args[2] === 'del')) return args;
  if (args[0] === 'ip' || args[0] === 'ping') return inHost(args);
  if (args[0] === 'map' && args[1] === 'dump') return ['bpftool', 'map', 'dump', 'id', pktCountId()];
  // xdp-loader inside `ip netns exec` sees a fresh /sys without bpffs: mount one for it.
  return inHost(['sh', '-c', 'mount -t bpf bpf /sys/fs/bpf && exec xdp-loader "$@"', 'xdp-loader', ...args]);
}

/**
 * Real names back to the tutorial's; where a name is followed by padding (the status table),
 * the padding grows by the length difference so the columns stay where xdpts puts them.
 */
function fromReal(text: string): string {
  let t = text.replace(/link-netns xdptsJ_h/g, 'link-netnsid 0');
  for (const [short, long] of Object.entries(NAMES).sort((a, b) => b[1].length - a[1].length)) {
    t = t.replace(new RegExp(`${long}( {${long.length - short.length},})`, 'g'), (_m, sp: string) => short + ' '.repeat(sp.length + long.length - short.length));
    t = t.replace(new RegExp(long, 'g'), short);
  }
  return t.replace(/Usage: xdp-loader/g, 'Usage: xdpts');
}

function cleanup(): void {
  for (const ns of [NS, HOST, EXTRA]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

function staleLock(): void {
  // xdp-loader 1.3.1's whole-tool lock file: remove it only when its process is gone.
  const f = '/run/xdp-loader.lck';
  if (!existsSync(f)) return;
  const pid = Number(readFileSync(f, 'utf8').trim());
  if (!pid || spawnSync('kill', ['-0', String(pid)]).status !== 0) rmSync(f, { force: true });
}

describe.skipIf(!usable)(`loader tutorial against real iproute2, ping, xdp-loader and bpftool${usable ? '' : ' (skipped: needs root, ip, ping, xdp-loader, bpftool)'}`, () => {
  afterAll(cleanup);

  it('prints what the golden files say', () => {
    cleanup();
    staleLock();
    const dir = mkdtempSync(join(tmpdir(), 'xdptsJ-'));
    copyFileSync(join(ROOT, 'fixtures', 'c', 'xdp_drop.o'), join(dir, 'xdp_drop.o'));
    copyFileSync(join(ROOT, 'fixtures', 'c', 'counter.o'), join(dir, 'counter.o'));
    expect(sh(['ip', 'netns', 'add', HOST]).exit).toBe(0);
    expect(sh(['ip', '-n', HOST, 'link', 'set', 'lo', 'up']).exit).toBe(0);
    expect(sh(['ip', 'netns', 'exec', HOST, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']).exit).toBe(0);
    // eth0 stands beside lo (ifindex 2, as xdpts's emulated NIC): a veth whose peer lives in a third namespace.
    expect(sh(['ip', 'netns', 'add', EXTRA]).exit).toBe(0);
    expect(sh(['ip', '-n', HOST, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'xdptsJ_e', 'netns', EXTRA]).exit).toBe(0);
    const update = process.env['XDPTS_UPDATE_GOLDEN'] === '1';
    const mismatches: string[] = [];
    try {
      const steps = loadTutorial();
      expect(steps.length, 'fixtures/e2e/tutorial/flow.json has steps').toBeGreaterThanOrEqual(40);
      for (const step of steps) {
        const r = sh(toReal(step.cmd), dir, { LIBXDP_SKIP_DISPATCHER: '1' });
        // xdp-loader's codes become xdpts's (reference §8.2); iproute2, ping and bpftool dumps keep theirs.
        const loader = ['load', 'unload', 'status', 'features'].includes(step.cmd[0]!);
        const exit = loader ? xdptsLoaderExit(r.exit, r.stderr) : r.exit;
        const text = renderTutorial({ exit, stdout: fromReal(r.stdout), stderr: fromReal(r.stderr) });
        if (step.id === '01-netns-add') sh(['ip', 'netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
        // Link state settles asynchronously (linkwatch): wait as a user typing would.
        if (step.cmd.includes('up') || step.cmd.includes('down')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1200);
        if (update) writeTutorialGolden(step.id, text);
        else if (tutorialGolden(step.id) !== text) mismatches.push(`${step.id}:\n${text}\n--- golden:\n${tutorialGolden(step.id) ?? '(missing)'}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(mismatches).toEqual([]);
  }, 120_000);
});
