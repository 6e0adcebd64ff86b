/**
 * IPv6 on the emulated network against goldens recorded from Linux 6.18 (fixtures/net/ipv6:
 * two namespaces v6_a/v6_b joined by a veth pair, MACs 02:00:00:00:00:0a/0b, 2001:db8::1/2 nodad,
 * real iputils ping -6 and tcpdump -w on v6_b0). The same topology is built here and every
 * text and frame compared, the parts Linux randomises (flow label, echo id, timestamps, rtt) masked.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  addr6Add,
  addr6Del,
  addrsJson,
  createNetState,
  findIface,
  formatAddrs,
  formatNeigh,
  formatRoutes6,
  getNetns,
  icmp6Checksum,
  linkAddVeth,
  linkSetUp,
  netnsAdd,
  Network,
  routes6Json,
  route6Selector,
  runPing,
  type FrameEvent,
  type NetState,
} from '../../src/net/index';

const DIR = join(__dirname, '..', '..', 'fixtures', 'net', 'ipv6');
const golden = (f: string): string => readFileSync(join(DIR, f), 'utf8');
const lines = (f: string): string[] => golden(f).replace(/\n$/, '').split('\n');

/** The frames tcpdump -xx printed: one per header line, bytes from the 0x.... lines. */
function goldenFrames(): { what: string; bytes: Uint8Array }[] {
  const out: { what: string; bytes: number[] }[] = [];
  for (const l of lines('frames.txt')) {
    const m = /^\s+0x[0-9a-f]+:\s+(.*)$/.exec(l);
    if (m) out[out.length - 1]!.bytes.push(...(m[1]!.replace(/\s+/g, '').match(/../g) ?? []).map((h) => parseInt(h, 16)));
    else out.push({ what: l.replace(/^\S+ /, ''), bytes: [] });
  }
  return out.map((f) => ({ what: f.what, bytes: Uint8Array.from(f.bytes) }));
}

function topology(): NetState {
  const s = createNetState({ seed: 3, epochUs: 1_700_000_000_000_000 });
  netnsAdd(s, 'v6_a');
  netnsAdd(s, 'v6_b');
  linkAddVeth(s, 'v6_a', 'v6_a0', 'v6_b0', 'v6_b');
  findIface(getNetns(s, 'v6_a'), 'v6_a0')!.mac = '02:00:00:00:00:0a';
  findIface(getNetns(s, 'v6_b'), 'v6_b0')!.mac = '02:00:00:00:00:0b';
  for (const [ns, dev] of [['v6_a', 'lo'], ['v6_b', 'lo'], ['v6_a', 'v6_a0'], ['v6_b', 'v6_b0']] as const) linkSetUp(s, ns, dev, true);
  addr6Add(s, 'v6_a', '2001:db8::1/64', 'v6_a0', true);
  addr6Add(s, 'v6_b', '2001:db8::2/64', 'v6_b0', true);
  return s;
}

/** Masks what Linux randomises: rtt values and the ms total. */
const maskTimes = (l: string): string => l.replace(/time=[\d.]+ ms/, 'time=T ms').replace(/time \d+ms/, 'time Nms').replace(/= [\d./]+ ms/, '= R ms');

describe('IPv6 on the emulated network (goldens from Linux 6.18, iputils, iproute2 6.1)', () => {
  it('lists the EUI-64 link-local and added addresses as ip addr / ip -6 addr do', () => {
    const s = topology();
    const a = getNetns(s, 'v6_a');
    // The veth's ifindex differs (xdpts numbers ifaces per namespace from eth0's root); compare the address lines exactly.
    const body = (x: string[]): string[] => x.filter((l) => l.startsWith('    inet') || l.startsWith('       valid'));
    expect(body(formatAddrs(s, a, a.ifaces))).toEqual(body(lines('addr-show-a.out')));
    const six = formatAddrs(s, a, a.ifaces, undefined, 'inet6');
    expect(six.map((l) => l.replace(/^\d+:/, 'N:'))).toEqual(lines('addr6-show-a.out').map((l) => l.replace(/^\d+:/, 'N:')));
    const byDev = formatAddrs(s, a, [findIface(a, 'v6_a0')!], undefined, 'inet6', true);
    expect(body(byDev)).toEqual(body(lines('addr6-show-a-dev.out')));
    const strip = (o: Record<string, unknown>[]): unknown => o.map(({ ifindex: _i, link_index: _l, ...rest }) => rest);
    expect(strip(addrsJson(s, a, a.ifaces, undefined, 'inet6'))).toEqual(strip(JSON.parse(golden('addr6-a.json')) as Record<string, unknown>[]));
    expect(strip(addrsJson(s, a, [findIface(a, 'v6_a0')!], undefined, 'inet6', true))).toEqual(strip(JSON.parse(golden('addr6-a-dev.json')) as Record<string, unknown>[]));
  });

  it('orders addresses newest first within a scope, global before link, and makes connected /64 routes', () => {
    const s = topology();
    const b = getNetns(s, 'v6_b');
    addr6Add(s, 'v6_b', '2001:db8:1::2/64', 'v6_b0');
    const body = formatAddrs(s, b, [findIface(b, 'v6_b0')!], undefined, 'inet6', true).slice(1);
    expect(body).toEqual(lines('addr6-show-b-dev.out').slice(1));
    expect(formatRoutes6(s, b)).toEqual(lines('route6-b.out'));
    expect(formatRoutes6(s, getNetns(s, 'v6_a'))).toEqual(lines('route6-a.out'));
    expect(routes6Json(s, getNetns(s, 'v6_a'))).toEqual(JSON.parse(golden('route6-a.json')));
    // Selectors, as `ip -6 route show [root|match] PREFIX` reads them.
    expect(formatRoutes6(s, b, undefined, route6Selector(['2001:db8:1::/64']))).toEqual([lines('route6-b.out')[1]]);
    expect(formatRoutes6(s, b, undefined, route6Selector(['root', '2001:db8::/32']))).toEqual(lines('route6-b.out').slice(0, 2));
    expect(formatRoutes6(s, b, undefined, route6Selector(['match', 'fe80::1']))).toEqual([lines('route6-b.out')[2]]);
    expect(formatRoutes6(s, b, undefined, route6Selector(['2001:db8::/48']))).toEqual([]);
    expect(() => addr6Add(s, 'v6_b', '2001:db8:1::2/64', 'v6_b0')).toThrow('File exists');
    addr6Del(s, 'v6_b', '2001:db8:1::2/64', 'v6_b0');
    expect(formatRoutes6(s, b)).toEqual(lines('route6-a.out').map((l) => l.replace('v6_a0', 'v6_b0')));
  });

  it('drops every IPv6 address and route of a device set down (keep_addr_on_down=0) and keeps one added while down', () => {
    const s = topology();
    const a = getNetns(s, 'v6_a');
    const dev = [findIface(a, 'v6_a0')!];
    linkSetUp(s, 'v6_a', 'v6_a0', false);
    // Observed on Linux 6.18: `ip -6 addr show dev v6_a0` prints nothing, `ip -6 route` nothing.
    expect(formatAddrs(s, a, dev, undefined, 'inet6', true)).toEqual([]);
    expect(formatRoutes6(s, a)).toEqual([]);
    addr6Add(s, 'v6_a', '2001:db8:5::1/64', 'v6_a0', true);
    expect(formatAddrs(s, a, dev, undefined, 'inet6', true).slice(1)).toEqual(['    inet6 2001:db8:5::1/64 scope global nodad ', '       valid_lft forever preferred_lft forever']);
  });

  it('pings over IPv6 with iputils text: global, ping -6, and a link-local with %dev', async () => {
    const s = topology();
    const net = new Network(s);
    const r1 = await runPing(net, { ns: 'v6_a', target: '2001:db8::2', count: 2, family: 6 });
    expect(r1.lines.map(maskTimes)).toEqual(lines('ping-6.out').map(maskTimes));
    const r2 = await runPing(net, { ns: 'v6_a', target: '2001:db8::2', count: 1 });
    expect(r2.lines.map(maskTimes)).toEqual(lines('ping-addr6.out').map(maskTimes));
    const r3 = await runPing(net, { ns: 'v6_a', target: 'fe80::ff:fe00:b%v6_a0', count: 1 });
    expect(r3.lines.map(maskTimes)).toEqual(lines('ping-linklocal.out').map(maskTimes));
    expect(r1.rtt!.min).toBeGreaterThan(0.01);
    expect(r1.rtt!.max).toBeLessThan(0.2);
    // The neighbour cache after resolving both peers.
    expect(formatNeigh(s, getNetns(s, 'v6_a'), undefined, 'inet6')).toEqual(lines('neigh6-a.out'));
    expect(formatNeigh(s, getNetns(s, 'v6_a'), undefined, 'inet')).toEqual([]);
  });

  it('puts NS/NA on the wire byte for byte as Linux, and echo frames equal but for the random fields', async () => {
    const s = topology();
    const seen: FrameEvent[] = [];
    const net = new Network(s, { onFrame: (e) => seen.push(e) });
    await runPing(net, { ns: 'v6_a', target: '2001:db8::2', count: 2 });
    await runPing(net, { ns: 'v6_a', target: 'fe80::ff:fe00:b%v6_a0', count: 1 });
    // What tcpdump on v6_b0 saw: frames b received (rx, after the hook) and sent (tx).
    const onB = seen.filter((e) => e.ns === 'v6_b').map((e) => e.frame);
    const want = goldenFrames();
    // The golden has 3 echo exchanges for 2 pings of 2+1 probes plus one of 1: drop the middle ping (-c 1 on the same peer).
    const real = [...want.slice(0, 6), ...want.slice(8)];
    expect(onB.length).toBe(real.length);
    const mask = (f: Uint8Array): string => {
      const c = Uint8Array.from(f);
      if (c[54] === 128 || c[54] === 129) {
        c.fill(0, 15, 18); // flow label
        c.fill(0, 56, 60); // checksum, echo id
        c.fill(0, 62, 78); // iputils' struct timeval
      }
      return Buffer.from(c).toString('hex');
    };
    for (let i = 0; i < real.length; i++) expect(mask(onB[i]!), real[i]!.what).toBe(mask(real[i]!.bytes));
    // Every ICMPv6 checksum, ours and Linux's, verifies over the pseudo-header.
    for (const f of [...onB, ...real.map((r) => r.bytes)]) expect(icmp6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54))).toBe(0);
  });

  it('sends every IPv6 frame, NDP included, through the XDP hook', async () => {
    const s = topology();
    const hooked: number[] = [];
    const net = new Network(s, { hook: { runXdp: (_ns, _i, frame) => (hooked.push((frame[12]! << 8) | frame[13]!), { action: 'pass', frame }) } });
    await runPing(net, { ns: 'v6_a', target: '2001:db8::2', count: 1 });
    expect(hooked.length).toBe(4); // NS, NA, echo request, echo reply
    expect(hooked.every((t) => t === 0x86dd)).toBe(true);
    const drop = new Network(topology(), { hook: { runXdp: (ns, _i, frame) => ({ action: ns === 'v6_b' && frame[54] === 128 ? 'drop' : 'pass', frame }) } });
    const r = await runPing(drop, { ns: 'v6_a', target: '2001:db8::2', count: 1, wait: 1 });
    expect(r.received).toBe(0);
    expect(r.exitCode).toBe(1);
  });

  it('reports a neighbour that never answers as iputils does (address unreachable from our own address)', async () => {
    const s = topology();
    const r = await runPing(new Network(s), { ns: 'v6_a', target: '2001:db8::99', count: 1, wait: 5 });
    expect(r.lines.map(maskTimes)).toEqual(lines('ping-addr-unreach.out').map(maskTimes));
    expect(r.exitCode).toBe(1);
    expect(formatNeigh(s, getNetns(s, 'v6_a'), undefined, 'inet6')).toEqual(['2001:db8::99 dev v6_a0 FAILED ']);
  });

  it('refuses what ping refuses: no route, an unknown scope, -4 with an IPv6 target', async () => {
    const net = new Network(topology());
    await expect(runPing(net, { ns: 'v6_a', target: '2001:db9::1', count: 1 })).rejects.toThrow('ping: connect: Network is unreachable');
    await expect(runPing(net, { ns: 'v6_a', target: 'fe80::ff:fe00:b%nope', count: 1 })).rejects.toThrow('ping: fe80::ff:fe00:b%nope: Name or service not known');
    await expect(runPing(net, { ns: 'v6_a', target: '2001:db8::2', count: 1, family: 4 })).rejects.toThrow('Address family for hostname not supported');
  });
});
