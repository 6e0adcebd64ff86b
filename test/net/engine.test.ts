import { describe, expect, it } from 'vitest';
import {
  addrAdd,
  createNetState,
  formatLinks,
  formatNeigh,
  formatRoutes,
  getNetns,
  linkAddVeth,
  linkSetUp,
  neighFlush,
  netnsAdd,
  Network,
  runPing,
  parseEthernet,
  describeFrame,
  buildUdp,
  buildIpv4,
  buildEthernet,
  parseIpv4,
  IPPROTO_UDP,
  ETH_P_IP,
  type XdpHook,
  type FrameEvent,
} from '../../src/net/index';

function tutorial() {
  const s = createNetState({ seed: 1, epochUs: 1_700_000_000_000_000 });
  netnsAdd(s, 'net');
  linkAddVeth(s, '', 'veth1', 'veth2', 'net');
  addrAdd(s, '', '192.168.1.1/24', 'veth1');
  addrAdd(s, 'net', '192.168.1.2/24', 'veth2');
  linkSetUp(s, '', 'veth1', true);
  linkSetUp(s, 'net', 'veth2', true);
  return s;
}

const dropOn = (ns: string, ifindex: number): XdpHook => ({
  runXdp: (n, i, frame) => ({ action: n === ns && i === ifindex ? 'drop' : 'pass', frame }),
});

describe('emulated network', () => {
  it('builds the tutorial topology with iproute2 layouts', () => {
    const s = tutorial();
    expect(formatRoutes(s, getNetns(s, ''))).toEqual([
      'default via 10.0.2.2 dev eth0 ',
      '10.0.2.0/24 dev eth0 proto kernel scope link src 10.0.2.15 ',
      '192.168.1.0/24 dev veth1 proto kernel scope link src 192.168.1.1 ',
    ]);
    const lines = formatLinks(s, getNetns(s, 'net'), getNetns(s, 'net').ifaces);
    expect(lines[0]).toBe('1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN mode DEFAULT group default qlen 1000');
    expect(lines[2]).toMatch(/^2: veth2@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000$/);
    expect(lines[3]).toMatch(/^ {4}link\/ether ([0-9a-f]{2}:){5}[0-9a-f]{2} brd ff:ff:ff:ff:ff:ff link-netnsid 0$/);
  });

  it('pings, then loses silently under a drop while REACHABLE, then reports unreachable after a flush', async () => {
    const s = tutorial();
    const frames: FrameEvent[] = [];
    let net = new Network(s, { onFrame: (e) => frames.push(e) });
    const r1 = await runPing(net, { ns: '', target: '192.168.1.2', count: 3 });
    expect(r1.exitCode).toBe(0);
    expect(r1.lines[0]).toBe('PING 192.168.1.2 (192.168.1.2) 56(84) bytes of data.');
    for (let i = 1; i <= 3; i++) expect(r1.lines[i]).toMatch(new RegExp(`^64 bytes from 192\\.168\\.1\\.2: icmp_seq=${i} ttl=64 time=0\\.0\\d\\d ms$`));
    expect(r1.lines[5]).toBe('--- 192.168.1.2 ping statistics ---');
    expect(r1.lines[6]).toMatch(/^3 packets transmitted, 3 received, 0% packet loss, time 20\d\dms$/);
    expect(r1.lines[7]).toMatch(/^rtt min\/avg\/max\/mdev = 0\.0\d\d\/0\.0\d\d\/0\.0\d\d\/0\.0\d\d ms$/);
    // The first exchange: ARP request, ARP reply, then echo request/reply, as on Linux.
    const v1 = getNetns(s, '').ifaces.find((i) => i.name === 'veth1')!;
    const seen = frames.filter((f) => f.ns === '' && f.ifindex === v1.ifindex).map((f) => `${f.direction} ${describeFrame(f.frame)}`);
    expect(seen[0]).toBe('tx ARP, Request who-has 192.168.1.2 tell 192.168.1.1, length 28');
    expect(seen[1]).toMatch(/^rx ARP, Reply 192.168.1.2 is-at/);
    expect(seen[2]).toMatch(/^tx IP 192.168.1.1 > 192.168.1.2: ICMP echo request, id \d+, seq 1, length 64$/);
    const echo = frames.filter((f) => f.ns === '' && f.ifindex === v1.ifindex)[2]!.frame;
    expect(echo.length).toBe(98);
    expect(parseEthernet(echo)!.payload.length).toBe(84);
    // Payload after the 16-byte timeval is 0x10, 0x11, ... as iputils fills it.
    expect(Array.from(echo.subarray(14 + 20 + 8 + 16, 14 + 20 + 8 + 20))).toEqual([0x10, 0x11, 0x12, 0x13]);
    expect(formatNeigh(s, getNetns(s, ''), v1.ifindex)[0]).toMatch(/^192\.168\.1\.2 lladdr \S+ REACHABLE $/);

    net = new Network(s, { hook: dropOn('', v1.ifindex) });
    const t0 = s.clockUs;
    const r2 = await runPing(net, { ns: '', target: '192.168.1.2', count: 3 });
    expect(r2.exitCode).toBe(1);
    expect(r2.lines.slice(1)).toEqual(['', '--- 192.168.1.2 ping statistics ---', expect.stringMatching(/^3 packets transmitted, 0 received, 100% packet loss, time 20\d\dms$/), '']);
    expect(s.clockUs - t0).toBeGreaterThan(12_000_000);

    neighFlush(s, '', 'veth1');
    const r3 = await runPing(net, { ns: '', target: '192.168.1.2', count: 3 });
    expect(r3.exitCode).toBe(1);
    expect(r3.lines).toEqual([
      'PING 192.168.1.2 (192.168.1.2) 56(84) bytes of data.',
      'From 192.168.1.1 icmp_seq=1 Destination Host Unreachable',
      'From 192.168.1.1 icmp_seq=2 Destination Host Unreachable',
      'From 192.168.1.1 icmp_seq=3 Destination Host Unreachable',
      '',
      '--- 192.168.1.2 ping statistics ---',
      expect.stringMatching(/^3 packets transmitted, 0 received, \+3 errors, 100% packet loss, time 20\d\dms$/),
      'pipe 3',
    ]);
    expect(formatNeigh(s, getNetns(s, ''))).toEqual(['192.168.1.2 dev veth1 FAILED ']);
  });

  it('ping -c 1 to an unresolvable neighbour ends with an empty line; -W 1 prints no errors', async () => {
    const s = tutorial();
    const net = new Network(s);
    const r = await runPing(net, { ns: '', target: '192.168.1.3', count: 1 });
    expect(r.lines.slice(1)).toEqual([
      'From 192.168.1.1 icmp_seq=1 Destination Host Unreachable',
      '',
      '--- 192.168.1.3 ping statistics ---',
      '1 packets transmitted, 0 received, +1 errors, 100% packet loss, time 0ms',
      '',
    ]);
    const r2 = await runPing(net, { ns: '', target: '192.168.1.3', count: 2, wait: 1 });
    expect(r2.lines[1]).toBe('');
    expect(r2.lines[3]).toMatch(/^2 packets transmitted, 0 received, 100% packet loss, time 10\d\dms$/);
  });

  it('with lo down in a namespace, unreachable errors are lost (they travel through lo)', async () => {
    const s = tutorial();
    const net = new Network(s);
    const r = await runPing(net, { ns: 'net', target: '192.168.1.9', count: 3 });
    expect(r.errors).toBe(0);
    expect(r.lines[1]).toBe('');
  });

  it('pings the upstream router from the root namespace and reports no route', async () => {
    const s = createNetState({ seed: 2 });
    const net = new Network(s);
    const r = await runPing(net, { ns: '', target: '10.0.2.2', count: 2, iface: 'eth0' });
    expect(r.lines[0]).toBe('PING 10.0.2.2 (10.0.2.2) from 10.0.2.15 eth0: 56(84) bytes of data.');
    expect(r.received).toBe(2);
    netnsAdd(s, 'x');
    await expect(runPing(net, { ns: 'x', target: '10.0.2.2', count: 1 })).rejects.toThrow('ping: connect: Network is unreachable');
  });

  it('answers UDP with ICMP port unreachable and runs every received frame through the hook', () => {
    const s = tutorial();
    const seen: string[] = [];
    const hook: XdpHook = { runXdp: (ns, i, frame) => (seen.push(`${ns}:${i}:${frame.length}`), { action: 'pass', frame }) };
    const out: FrameEvent[] = [];
    const net = new Network(s, { hook, onFrame: (e) => out.push(e) });
    const v2 = getNetns(s, 'net').ifaces.find((i) => i.name === 'veth2')!;
    const v1 = getNetns(s, '').ifaces.find((i) => i.name === 'veth1')!;
    const data = new Uint8Array([1, 2, 3]);
    const ip = buildIpv4({ src: parseIpv4('192.168.1.1')!, dst: parseIpv4('192.168.1.2')!, proto: IPPROTO_UDP, id: 7 }, buildUdp(parseIpv4('192.168.1.1')!, parseIpv4('192.168.1.2')!, 5555, 9, data));
    const frame = buildEthernet(v2.mac, v1.mac, ETH_P_IP, ip);
    net.inject('net', 'veth2', frame);
    net.advance(1000);
    expect(seen[0]).toBe(`net:${v2.ifindex}:${frame.length}`);
    // veth2 must resolve 192.168.1.1 first: an ARP request goes out, veth1 answers (through its hook).
    const txs = out.filter((e) => e.direction === 'tx').map((e) => describeFrame(e.frame));
    expect(txs).toContain('ARP, Request who-has 192.168.1.1 tell 192.168.1.2, length 28');
    const unreach = out.find((e) => e.direction === 'rx' && e.ns === '' && describeFrame(e.frame).includes('ICMP type 3 code 3'));
    expect(unreach).toBeDefined();
    // The quoted datagram is the original IP header and the 8-byte UDP header.
    expect(unreach!.frame.length).toBe(14 + 20 + 8 + 28);
  });

  it('times replies only with room for a timeval (-s >= 16), names the host it resolved, pings itself through lo', async () => {
    const s = tutorial();
    const net = new Network(s);
    const small = await runPing(net, { ns: '', target: '192.168.1.2', count: 1, size: 8 });
    expect(small.lines[0]).toBe('PING 192.168.1.2 (192.168.1.2) 8(36) bytes of data.');
    expect(small.lines[1]).toBe('16 bytes from 192.168.1.2: icmp_seq=1 ttl=64');
    expect(small.lines.at(-1)).toBe('');
    const self = await runPing(net, { ns: '', target: 'localhost', count: 1 });
    expect(self.lines[1]).toMatch(/^64 bytes from localhost \(127\.0\.0\.1\): icmp_seq=1 ttl=64 time=0\.\d{3} ms$/);
    // In a new namespace lo is down: pinging your own address is lost silently (reference §4.1).
    const own = await runPing(net, { ns: 'net', target: '192.168.1.2', count: 1, wait: 1 });
    expect(own.received).toBe(0);
    expect(own.errors).toBe(0);
    await expect(runPing(net, { ns: '', target: 'bogus.invalid', count: 1 })).rejects.toThrow('ping: bogus.invalid: Temporary failure in name resolution');
    await expect(runPing(net, { ns: '', target: '192.168.1.2', count: 1, iface: 'nosuch0' })).rejects.toThrow('ping: SO_BINDTODEVICE nosuch0: No such device');
  });
});
