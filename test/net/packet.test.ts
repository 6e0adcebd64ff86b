import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/util/index';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  buildArp,
  buildEthernet,
  buildIcmp,
  buildIpv4,
  ETH_P_IP,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  inetChecksum,
  IPPROTO_ICMP,
  linkLocalFromMac,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIpv4,
  parseIpv4Packet,
  parsePrefix,
  pingPayload,
} from '../../src/net/index';

// Frames captured on a real veth with tcpdump -xx (shared/reference/loader-and-network.md §6).
const HOST = '92:e4:f2:7d:8c:2d';
const PEER = '3e:c4:53:43:43:5c';
const ARP_REQUEST = 'ffffffffffff92e4f27d8c2d08060001080006040001 92e4f27d8c2dc0a84d01000000000000c0a84d02';
const ARP_REPLY = '92e4f27d8c2d3ec45343435c08060001080006040002 3ec45343435cc0a84d0292e4f27d8c2dc0a84d01';
const ECHO_REQUEST =
  '3ec45343435c92e4f27d8c2d08004500 0054c63040004001 5924c0a84d01c0a8 4d020800726d44b2 0001c8c6076b00000000b1da000000000000' +
  '101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637';
const ECHO_REPLY_HEAD = '92e4f27d8c2d3ec45343435c080045000054b5b1000040 01a9a3c0a84d02c0a84d0100007a6d44b20001';

const hex = (s: string): string => s.replace(/\s+/g, '');

describe('packet bytes are what Linux puts on a veth', () => {
  it('ARP request and reply', () => {
    expect(toHex(buildArp(ARPOP_REQUEST, 'ff:ff:ff:ff:ff:ff', HOST, parseIpv4('192.168.77.1')!, '00:00:00:00:00:00', parseIpv4('192.168.77.2')!))).toBe(hex(ARP_REQUEST));
    expect(toHex(buildArp(ARPOP_REPLY, HOST, PEER, parseIpv4('192.168.77.2')!, HOST, parseIpv4('192.168.77.1')!))).toBe(hex(ARP_REPLY));
    const a = parseArp(parseEthernet(fromHex(hex(ARP_REPLY)))!.payload)!;
    expect(a).toEqual({ op: 2, sha: PEER, spa: 0xc0a84d02, tha: HOST, tpa: 0xc0a84d01 });
  });

  it('ICMP echo request (iputils payload, DF, checksums) and the kernel reply', () => {
    const tv = 0x6b07c6c8 * 1e6 + 0xdab1;
    const payload = pingPayload(56, tv);
    const icmp = buildIcmp(ICMP_ECHO, 0, (0x44b2 << 16) | 1, payload);
    const ip = buildIpv4({ src: parseIpv4('192.168.77.1')!, dst: parseIpv4('192.168.77.2')!, proto: IPPROTO_ICMP, id: 0xc630, df: true }, icmp);
    expect(toHex(buildEthernet(PEER, HOST, ETH_P_IP, ip))).toBe(hex(ECHO_REQUEST));
    const reply = buildIcmp(ICMP_ECHOREPLY, 0, (0x44b2 << 16) | 1, payload);
    const rip = buildIpv4({ src: parseIpv4('192.168.77.2')!, dst: parseIpv4('192.168.77.1')!, proto: IPPROTO_ICMP, id: 0xb5b1 }, reply);
    expect(toHex(buildEthernet(HOST, PEER, ETH_P_IP, rip)).startsWith(hex(ECHO_REPLY_HEAD))).toBe(true);
  });

  it('parsers validate checksums and lengths', () => {
    const f = fromHex(hex(ECHO_REQUEST));
    const ip = parseIpv4Packet(f.subarray(14))!;
    expect(ip).toMatchObject({ ihl: 20, totalLength: 84, ttl: 64, proto: 1, src: 0xc0a84d01, dst: 0xc0a84d02, flags: 2 });
    expect(parseIcmp(ip.payload)).toMatchObject({ type: 8, code: 0, id: 0x44b2, seq: 1 });
    const bad = f.slice();
    bad[14 + 10] ^= 1;
    expect(parseIpv4Packet(bad.subarray(14))).toBeUndefined();
    expect(parseIpv4Packet(f.subarray(14, 30))).toBeUndefined();
    expect(parseEthernet(new Uint8Array(13))).toBeUndefined();
    expect(inetChecksum(ip.header)).toBe(0);
  });

  it('addresses parse as iproute2 parses them', () => {
    expect(parsePrefix('192.168.77')).toEqual({ addr: 0xc0a84d00, len: 32 });
    expect(parsePrefix('192.168.77.300/24')).toBeUndefined();
    expect(parsePrefix('10.0.0.1/33')).toBeUndefined();
    expect(linkLocalFromMac('92:e4:f2:7d:8c:2d')).toBe('fe80::90e4:f2ff:fe7d:8c2d');
    expect(linkLocalFromMac('52:24:95:ba:69:f8')).toBe('fe80::5024:95ff:feba:69f8');
  });
});
