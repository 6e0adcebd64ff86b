/**
 * Differential tests of XDP_TX and XDP_REDIRECT on veth pairs.
 *
 * XDP_TX on a veth pair (reference §3.2): an XDP_TX program on the host end
 * and a packet counter on the peer; `ping -c 1 -W 5` with empty neighbour tables makes three ARP
 * requests (counted on the peer) whose replies the host end bounces back (counted again unless
 * the bounce is dropped). Modes: skb TX (bounced), native TX with a generic counter on the peer
 * (dropped: veth_xdp_xmit needs the peer's XDP rings), native TX with a native counter
 * (bounced).
 *
 * XDP_REDIRECT through a DEVMAP: a redirect program on the host end of one pair sends what it
 * receives out of a second pair, whose far end counts; the namespace side pings the host
 * (three ARP requests). skb mode delivers; native mode delivers only when the target veth's peer
 * runs a native program (else xdp_redirect_err err=-95, dropped).
 *
 * The real kernel runs it in namespaces of its own (xdptsJ_A, xdptsJ_B, IPv6 off),
 * the emulation in process; the counters must agree.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tools } from '../helpers/tools';
import { parseLoadArgs, XdpLoader } from '../../src/kernel/index';
import { addrAdd, ROOT_NS, runPing } from '../../src/net/index';
import { makeWorld } from '../kernel/xdp-fixture';

const ROOT = join(__dirname, '..', '..');
const TX = join(ROOT, 'fixtures', 'kernel', 'xdp', 'xdp_tx.o');
const COUNTER = join(ROOT, 'fixtures', 'c', 'counter.o');
const REDIRECT = join(ROOT, 'fixtures', 'kernel', 'xdp', 'xdp_redirect_map.o');
const A = 'xdptsJ_A';
const B = 'xdptsJ_B';
const C = 'xdptsJ_C';
const usable = process.getuid?.() === 0 && tools.kernel && spawnSync('ip', ['netns', 'list']).status === 0;

type Mode = 'skb' | 'native';
const CASES: [Mode, Mode][] = [
  ['skb', 'skb'],
  ['native', 'skb'],
  ['native', 'native'],
];

function run(args: string[]): string {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 && args[0] !== 'ping' && !(args.includes('exec') && args.includes('ping'))) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function cleanup(): void {
  for (const ns of [A, B, C]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

/** The real kernel's count on the peer. */
function realCount(tx: Mode, counter: Mode): number {
  cleanup();
  run(['ip', 'netns', 'add', A]);
  run(['ip', 'netns', 'add', B]);
  for (const ns of [A, B]) run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  run(['ip', '-n', A, 'link', 'add', 'xdptsJ_a', 'type', 'veth', 'peer', 'name', 'xdptsJ_b', 'netns', B]);
  run(['ip', '-n', A, 'addr', 'add', '192.168.7.1/24', 'dev', 'xdptsJ_a']);
  run(['ip', '-n', B, 'addr', 'add', '192.168.7.2/24', 'dev', 'xdptsJ_b']);
  const word = (m: Mode): string => (m === 'skb' ? 'xdpgeneric' : 'xdpdrv');
  run(['ip', '-n', B, 'link', 'set', 'dev', 'xdptsJ_b', word(counter), 'obj', COUNTER, 'sec', 'xdp']);
  run(['ip', '-n', A, 'link', 'set', 'dev', 'xdptsJ_a', word(tx), 'obj', TX, 'sec', 'xdp']);
  run(['ip', '-n', A, 'link', 'set', 'xdptsJ_a', 'up']);
  run(['ip', '-n', B, 'link', 'set', 'xdptsJ_b', 'up']);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
  run(['ip', 'netns', 'exec', A, 'ping', '-c', '1', '-W', '5', '192.168.7.2']);
  const link = JSON.parse(run(['ip', '-n', B, '-j', 'link', 'show', 'xdptsJ_b'])) as { xdp: { prog: { id: number } } }[];
  const prog = JSON.parse(run([tools.bpftool!, '-j', 'prog', 'show', 'id', String(link[0]!.xdp.prog.id)])) as { map_ids: number[] };
  const dump = JSON.parse(run([tools.bpftool!, '-j', 'map', 'dump', 'id', String(prog.map_ids[0])])) as { formatted: { value: number } }[];
  cleanup();
  return dump[0]!.formatted.value;
}

/** The emulation's count on the peer, same scenario. */
async function emulatedCount(tx: Mode, counter: Mode): Promise<number> {
  const w = makeWorld();
  addrAdd(w.net, ROOT_NS, '192.168.7.1/24', 'v1');
  addrAdd(w.net, 'a', '192.168.7.2/24', 'v2');
  const files = new Map([
    ['tx.o', readFileSync(TX)],
    ['counter.o', readFileSync(COUNTER)],
  ]);
  const load = (ns: string, argv: string[]): void => {
    const p = parseLoadArgs(argv);
    if (!p.ok) throw new Error(p.stderr.join('\n'));
    const o = new XdpLoader(w.mgr, { ns, readFile: (f) => files.get(f), dispatcher: false }).load(p.value);
    if (o.exit !== 0) throw new Error(o.stderr.join('\n'));
  };
  load('a', ['-m', counter, 'v2', 'counter.o']);
  load(ROOT_NS, ['-m', tx, 'v1', 'tx.o']);
  await runPing(w.network, { ns: ROOT_NS, target: '192.168.7.2', count: 1, wait: 5 });
  const m = w.kernel.mapList().find((x) => x.name === 'pkt_count')!;
  return Number(new DataView(m.lookup(new Uint8Array(4)).buffer).getBigUint64(0, true));
}

/** The real kernel's count behind the redirect target. */
function realRedirectCount(redir: Mode, counter: Mode): number {
  cleanup();
  for (const ns of [A, B, C]) {
    run(['ip', 'netns', 'add', ns]);
    run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  run(['ip', '-n', A, 'link', 'add', 'xdptsJ_a', 'type', 'veth', 'peer', 'name', 'xdptsJ_b', 'netns', B]);
  run(['ip', '-n', A, 'link', 'add', 'xdptsJ_c', 'type', 'veth', 'peer', 'name', 'xdptsJ_d', 'netns', C]);
  run(['ip', '-n', A, 'addr', 'add', '192.168.7.1/24', 'dev', 'xdptsJ_a']);
  run(['ip', '-n', B, 'addr', 'add', '192.168.7.2/24', 'dev', 'xdptsJ_b']);
  const word = (m: Mode): string => (m === 'skb' ? 'xdpgeneric' : 'xdpdrv');
  run(['ip', '-n', C, 'link', 'set', 'dev', 'xdptsJ_d', word(counter), 'obj', COUNTER, 'sec', 'xdp']);
  run(['ip', '-n', A, 'link', 'set', 'dev', 'xdptsJ_a', word(redir), 'obj', REDIRECT, 'sec', 'xdp']);
  const target = (JSON.parse(run(['ip', '-n', A, '-j', 'link', 'show', 'xdptsJ_c'])) as { ifindex: number }[])[0]!.ifindex;
  const mapOf = (ns: string, dev: string): number => {
    const link = JSON.parse(run(['ip', '-n', ns, '-j', 'link', 'show', dev])) as { xdp: { prog: { id: number } } }[];
    return (JSON.parse(run([tools.bpftool!, '-j', 'prog', 'show', 'id', String(link[0]!.xdp.prog.id)])) as { map_ids: number[] }).map_ids[0]!;
  };
  // A devmap resolves the ifindex in the network namespace of the process that updates it.
  run(['ip', 'netns', 'exec', A, tools.bpftool!, 'map', 'update', 'id', String(mapOf(A, 'xdptsJ_a')), 'key', '0', '0', '0', '0', 'value', String(target), '0', '0', '0']);
  for (const [ns, dev] of [[A, 'xdptsJ_a'], [A, 'xdptsJ_c'], [B, 'xdptsJ_b'], [C, 'xdptsJ_d']] as const) run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
  run(['ip', 'netns', 'exec', B, 'ping', '-c', '1', '-W', '5', '192.168.7.1']);
  const dump = JSON.parse(run([tools.bpftool!, '-j', 'map', 'dump', 'id', String(mapOf(C, 'xdptsJ_d'))])) as { formatted: { value: number } }[];
  cleanup();
  return dump[0]!.formatted.value;
}

/** The emulation's count behind the redirect target (v1 → v3, counted on v4). */
async function emulatedRedirectCount(redir: Mode, counter: Mode): Promise<number> {
  const w = makeWorld();
  addrAdd(w.net, ROOT_NS, '192.168.7.1/24', 'v1');
  addrAdd(w.net, 'a', '192.168.7.2/24', 'v2');
  const files = new Map([
    ['redirect.o', readFileSync(REDIRECT)],
    ['counter.o', readFileSync(COUNTER)],
  ]);
  const load = (ns: string, argv: string[]): void => {
    const p = parseLoadArgs(argv);
    if (!p.ok) throw new Error(p.stderr.join('\n'));
    const o = new XdpLoader(w.mgr, { ns, readFile: (f) => files.get(f), dispatcher: false }).load(p.value);
    if (o.exit !== 0) throw new Error(o.stderr.join('\n'));
  };
  load('b', ['-m', counter, 'v4', 'counter.o']);
  load(ROOT_NS, ['-m', redir, 'v1', 'redirect.o']);
  w.kernel.mapList().find((m) => m.name === 'tx_port')!.update(new Uint8Array(4), Uint8Array.of(w.ifindex(ROOT_NS, 'v3'), 0, 0, 0));
  await runPing(w.network, { ns: 'a', target: '192.168.7.1', count: 1, wait: 5 });
  const m = w.kernel.mapList().find((x) => x.name === 'pkt_count')!;
  return Number(new DataView(m.lookup(new Uint8Array(4)).buffer).getBigUint64(0, true));
}

describe('XDP_REDIRECT through a DEVMAP, emulated', () => {
  const OBSERVED: Record<string, number> = { 'skb/skb': 3, 'native/skb': 0, 'native/native': 3 };
  for (const [r, counter] of CASES)
    it(`redirect ${r}, counter ${counter} behind the target`, async () => {
      expect(await emulatedRedirectCount(r, counter)).toBe(OBSERVED[`${r}/${counter}`]);
    });
});

describe.skipIf(!usable)(`XDP_REDIRECT through a DEVMAP against the real kernel${usable ? '' : ' (skipped: needs root, ip, bpftool)'}`, () => {
  afterAll(cleanup);
  for (const [r, counter] of CASES)
    it(`redirect ${r}, counter ${counter} behind the target`, async () => {
      expect(await emulatedRedirectCount(r, counter)).toBe(realRedirectCount(r, counter));
    }, 30_000);
});

describe('XDP_TX on veth, emulated', () => {
  // The counts the real kernel gave (recorded by the oracle below on Linux 6.18).
  const OBSERVED: Record<string, number> = { 'skb/skb': 6, 'native/skb': 3, 'native/native': 6 };
  for (const [tx, counter] of CASES)
    it(`TX ${tx}, counter ${counter} on the peer`, async () => {
      expect(await emulatedCount(tx, counter)).toBe(OBSERVED[`${tx}/${counter}`]);
    });
});

describe.skipIf(!usable)(`XDP_TX on veth against the real kernel${usable ? '' : ' (skipped: needs root, ip, bpftool)'}`, () => {
  afterAll(cleanup);
  for (const [tx, counter] of CASES)
    it(`TX ${tx}, counter ${counter} on the peer`, async () => {
      expect(await emulatedCount(tx, counter)).toBe(realCount(tx, counter));
    }, 30_000);
});
