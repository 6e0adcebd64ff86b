import { describe, expect, it } from 'vitest';
import {
  addrAdd,
  addrDel,
  createNetState,
  formatAddrs,
  formatLinks,
  formatNetnsList,
  formatNeigh,
  neighAdd,
  neighDel,
  neighFlush,
  formatRoutes,
  getNetns,
  linkAddVeth,
  linkDel,
  linkSetNetns,
  linkSetUp,
  NetError,
  netnsAdd,
  netnsDel,
  routeAdd,
  routeDel,
  routeLookup,
  parseIpv4,
} from '../../src/net/index';

function expectNetError(fn: () => void, message: string, exit: number): void {
  try {
    fn();
    expect.unreachable();
  } catch (e) {
    expect(e).toBeInstanceOf(NetError);
    expect((e as NetError).message).toBe(message);
    expect((e as NetError).exitStatus).toBe(exit);
  }
}

describe('network model', () => {
  it('a fresh state has lo and eth0 with an address and a default route; MACs follow the seed', () => {
    const a = createNetState({ seed: 42 });
    const b = createNetState({ seed: 42 });
    const root = getNetns(a, '');
    expect(root.ifaces.map((i) => `${i.ifindex}:${i.name}`)).toEqual(['1:lo', '2:eth0']);
    expect(root.ifaces[1]!.mac).toBe(getNetns(b, '').ifaces[1]!.mac);
    expect(root.ifaces[1]!.mac).toMatch(/^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/);
    expect(createNetState({ seed: 43 }).namespaces[0]!.ifaces[1]!.mac).not.toBe(root.ifaces[1]!.mac);
    expect(formatAddrs(a, root, [root.ifaces[1]!])[2]).toBe('    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0');
  });

  it('allocates ifindexes per namespace, the peer first; names @peer in one namespace, @ifN across', () => {
    const s = createNetState({ seed: 1 });
    netnsAdd(s, 'net');
    linkAddVeth(s, '', 'veth1', 'veth2', 'net');
    linkAddVeth(s, '', 'veth5', 'veth6');
    const root = getNetns(s, '');
    expect(root.ifaces.map((i) => `${i.ifindex}:${i.name}`)).toEqual(['1:lo', '2:eth0', '3:veth1', '4:veth6', '5:veth5']);
    expect(getNetns(s, 'net').ifaces.map((i) => `${i.ifindex}:${i.name}`)).toEqual(['1:lo', '2:veth2']);
    const lines = formatLinks(s, root, root.ifaces.slice(2));
    expect(lines[0]).toBe('3: veth1@if2: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000');
    expect(lines[1]).toMatch(/ link-netns net$/);
    expect(lines[2]).toBe('4: veth6@veth5: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000');
    expect(formatNetnsList(s, '')).toEqual(['net (id: 0)']);
    expect(formatNetnsList(s, 'net')).toEqual(['net']);
    expectNetError(() => linkAddVeth(s, '', 'veth1', 'x'), 'RTNETLINK answers: File exists', 2);
    expectNetError(() => linkAddVeth(s, '', 'a', 'b', 'nope'), 'Error: argument "nope" is wrong: Invalid "netns" value\n', 255);
    expectNetError(() => linkAddVeth(s, '', 'a_name_much_too_long', 'b'), 'Error: argument "a_name_much_too_long" is wrong: "name" not a valid ifname', 255);
  });

  it('deleting one end deletes both; deleting a namespace deletes its veths and their peers', () => {
    const s = createNetState({ seed: 1 });
    netnsAdd(s, 'net');
    linkAddVeth(s, '', 'veth1', 'veth2', 'net');
    linkDel(s, 'net', 'veth2');
    expect(getNetns(s, '').ifaces.map((i) => i.name)).toEqual(['lo', 'eth0']);
    linkAddVeth(s, '', 'veth1', 'veth2', 'net');
    netnsDel(s, 'net');
    expect(getNetns(s, '').ifaces.map((i) => i.name)).toEqual(['lo', 'eth0']);
    expectNetError(() => netnsDel(s, 'net'), 'Cannot remove namespace file "/run/netns/net": No such file or directory', 1);
    expectNetError(() => linkDel(s, '', 'lo'), 'RTNETLINK answers: Operation not supported', 2);
  });

  it('connected routes follow link state; secondary addresses; route add/del; longest prefix wins', () => {
    const s = createNetState({ seed: 1 });
    netnsAdd(s, 'net');
    linkAddVeth(s, '', 'veth1', 'veth2', 'net');
    addrAdd(s, '', '192.168.1.1/24', 'veth1');
    addrAdd(s, '', '192.168.1.3/24', 'veth1');
    const root = getNetns(s, '');
    expect(formatRoutes(s, root, 'veth1')).toEqual([]);
    linkSetUp(s, '', 'veth1', true);
    expect(formatRoutes(s, root, 'veth1')).toEqual(['192.168.1.0/24 proto kernel scope link src 192.168.1.1 linkdown ']);
    expect(formatAddrs(s, root, [root.ifaces[2]!])[4]).toBe('    inet 192.168.1.3/24 scope global secondary veth1');
    routeAdd(s, '', '192.168.0.0/16', { via: '10.0.2.2' });
    expect(routeLookup(s, root, parseIpv4('192.168.1.9')!)!.dev).toBe('veth1');
    expect(routeLookup(s, root, parseIpv4('192.168.7.9')!)!.gateway).toBe('10.0.2.2');
    expect(routeLookup(s, root, parseIpv4('8.8.8.8')!)!.dstLen).toBe(0);
    expectNetError(() => routeAdd(s, '', '192.168.0.0/16', { via: '10.0.2.2' }), 'RTNETLINK answers: File exists', 2);
    expectNetError(() => routeAdd(s, '', '172.16.0.0/12', { via: '9.9.9.9' }), 'Error: Nexthop has invalid gateway.', 2);
    routeDel(s, '', '192.168.0.0/16', {});
    expectNetError(() => routeDel(s, '', '192.168.0.0/16', {}), 'RTNETLINK answers: No such process', 2);
    linkSetUp(s, '', 'veth1', false);
    expect(formatRoutes(s, root, 'veth1')).toEqual([]);
    expectNetError(() => addrDel(s, '', '192.168.1.0/32', 'veth1'), 'Error: ipv4: Address not found.', 2);
    expectNetError(() => addrAdd(s, '', '192.168.1.1/24', 'nosuch0'), 'Cannot find device "nosuch0"', 1);
    addrAdd(s, '', '192.168.77', 'veth1');
    expect(root.ifaces[2]!.addrs.at(-1)).toEqual({ local: '192.168.77.0', prefixlen: 32 });
  });

  it('moving a device to another namespace keeps a free ifindex and re-links the peer', () => {
    const s = createNetState({ seed: 1 });
    netnsAdd(s, 'b');
    linkAddVeth(s, '', 'veth5', 'veth6');
    linkSetNetns(s, '', 'veth6', 'b');
    const b = getNetns(s, 'b');
    expect(b.ifaces.map((i) => `${i.ifindex}:${i.name}`)).toEqual(['1:lo', '3:veth6']);
    expect(formatLinks(s, b, [b.ifaces[1]!])[0]).toMatch(/^3: veth6@if4: /);
    expect(formatLinks(s, b, [b.ifaces[1]!])[1]).toMatch(/ link-netnsid 0$/);
  });

  it('ip neigh add/replace/del with iproute2 messages; permanent entries survive a flush', () => {
    const s = createNetState({ seed: 1 });
    neighAdd(s, '', '10.0.2.9', { dev: 'eth0', lladdr: '02:00:00:00:00:01' });
    expectNetError(() => neighAdd(s, '', '10.0.2.9', { dev: 'eth0', lladdr: '02:00:00:00:00:01' }), 'RTNETLINK answers: File exists', 2);
    neighAdd(s, '', '10.0.2.8', { dev: 'eth0', lladdr: '02:00:00:00:00:02', nud: 'stale', replace: true });
    const root = getNetns(s, '');
    expect(formatNeigh(s, root)).toEqual(['10.0.2.9 dev eth0 lladdr 02:00:00:00:00:01 PERMANENT ', '10.0.2.8 dev eth0 lladdr 02:00:00:00:00:02 STALE ']);
    neighFlush(s, '', 'eth0');
    expect(formatNeigh(s, root, 2)).toEqual(['10.0.2.9 lladdr 02:00:00:00:00:01 PERMANENT ']);
    neighDel(s, '', '10.0.2.9', 'eth0');
    expectNetError(() => neighDel(s, '', '10.0.2.9', 'eth0'), 'RTNETLINK answers: No such file or directory', 2);
  });

  it('ip -s link prints the RX/TX blocks in iproute2 columns', () => {
    const s = createNetState({ seed: 1 });
    const root = getNetns(s, '');
    root.ifaces[1]!.stats = { rxPackets: 3, rxBytes: 238, txPackets: 3, txBytes: 238 };
    expect(formatLinks(s, root, [root.ifaces[1]!], undefined, true).slice(2)).toEqual([
      '    RX:  bytes packets errors dropped  missed   mcast           ',
      '           238       3      0       0       0       0 ',
      '    TX:  bytes packets errors dropped carrier collsns           ',
      '           238       3      0       0       0       0 ',
    ]);
  });
});
