/**
 * Test packets for the run oracle: Ethernet frames carrying IPv4/IPv6, TCP/UDP/ICMP, ARP, VLAN
 * and QinQ tags, runts, and full-size and over-size frames. Checksums are real (RFC 791/1071)
 * so tcpdump would accept them; the payloads are deterministic.
 */
const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

function csum(b: number[]): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const fill = (n: number, seed = 0): number[] => Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

function eth(type: number, payload: number[], tags: number[] = []): number[] {
  const vlan = tags.flatMap((tpid, i) => [...be16(tpid), ...be16(100 + i)]);
  // With tags, each tag's TPID comes first and the real ethertype follows the last tag.
  return [...MAC_B, ...MAC_A, ...vlan, ...be16(type), ...payload];
}

function ipv4(proto: number, l4: number[], ttl = 64): number[] {
  const h = [0x45, 0, ...be16(20 + l4.length), 0x12, 0x34, 0x40, 0, ttl, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const c = csum(h);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return [...h, ...l4];
}

function ipv6(next: number, l4: number[]): number[] {
  const addr = (n: number): number[] => [0xfd, 0, ...Array(13).fill(0), n];
  return [0x60, 0, 0, 0, ...be16(l4.length), next, 64, ...addr(1), ...addr(2), ...l4];
}

const udp = (dport: number, data: number[]): number[] => [...be16(40000), ...be16(dport), ...be16(8 + data.length), 0, 0, ...data];
const tcp = (dport: number): number[] => [...be16(40001), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];

function icmpEcho(type: number, data: number[]): number[] {
  const m = [type, 0, 0, 0, 0x12, 0x34, 0, 1, ...data];
  const c = csum(m);
  m[2] = c >>> 8;
  m[3] = c & 0xff;
  return m;
}

const arp = (): number[] => [0, 1, 8, 0, 6, 4, 0, 1, ...MAC_A, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2];

/** A named packet. */
export interface TestPacket {
  readonly name: string;
  readonly bytes: Uint8Array;
}

const P = (name: string, b: number[]): TestPacket => ({ name, bytes: Uint8Array.from(b) });

/** Frames a well-behaved program must handle (all at least ETH_HLEN long). */
export const PACKETS: readonly TestPacket[] = [
  P('ipv4-udp-53', eth(0x0800, ipv4(17, udp(53, fill(20))))),
  P('ipv4-udp-9-blocked', eth(0x0800, ipv4(17, udp(9, fill(4))))),
  P('ipv4-tcp-80', eth(0x0800, ipv4(6, tcp(80)))),
  P('ipv4-tcp-9', eth(0x0800, ipv4(6, tcp(9)))),
  P('ipv4-icmp-echo', eth(0x0800, ipv4(1, icmpEcho(8, fill(56, 3))))),
  P('ipv4-icmp-reply', eth(0x0800, ipv4(1, icmpEcho(0, fill(56, 3))))),
  P('ipv6-udp', eth(0x86dd, ipv6(17, udp(5353, fill(30))))),
  P('ipv6-tcp', eth(0x86dd, ipv6(6, tcp(443)))),
  P('ipv6-icmpv6', eth(0x86dd, ipv6(58, [128, 0, 0, 0, 0, 1, 0, 1, ...fill(8)]))),
  P('arp-request', eth(0x0806, arp())),
  P('vlan-ipv4-udp', eth(0x0800, ipv4(17, udp(9, fill(8))), [0x8100])),
  P('qinq-ipv6-tcp', eth(0x86dd, ipv6(6, tcp(22)), [0x88a8, 0x8100])),
  P('eth-only-14', eth(0x0800, [])),
  P('ipv4-truncated', eth(0x0800, [0x45, 0, 0, 20, 0, 0])),
  P('full-1514', eth(0x0800, ipv4(17, udp(53, fill(1514 - 14 - 20 - 8))))),
  P('linear-max-3520', eth(0x86dd, ipv6(17, udp(53, fill(3520 - 14 - 40 - 8))))),
  P('frags-4000', eth(0x0800, ipv4(6, [...tcp(80), ...fill(4000 - 14 - 20 - 20)]))),
  P('jumbo-9000', eth(0x0800, ipv4(17, udp(53, fill(9000 - 14 - 20 - 8))))),
];

/** Inputs test_run refuses (shorter than ETH_HLEN). */
export const RUNTS: readonly TestPacket[] = [P('empty', []), P('runt-1', [0xff]), P('runt-13', fill(13))];
