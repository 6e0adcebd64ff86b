/**
 * Frame builders for the example-program tests: Ethernet (with an optional 802.1Q tag), IPv4
 * with a correct header checksum (RFC 791), IPv6, ICMP echo (RFC 792) and UDP (RFC 768) with
 * their checksums computed from scratch, so a program's incremental update can be compared
 * with a full recomputation.
 */

/** MACs and addresses used by the tests. */
export const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
/** The second MAC. */
export const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

/** The one's-complement sum of 16-bit big-endian words, folded, complemented (RFC 1071). */
export function inetChecksum(bytes: readonly number[], initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const be16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];

/** An Ethernet frame: dst, src, [802.1Q tag with `vlan` id], EtherType, payload. */
export function eth(etherType: number, payload: readonly number[], opts: { dst?: number[]; src?: number[]; vlan?: number } = {}): number[] {
  const tag = opts.vlan !== undefined ? [0x81, 0x00, ...be16(opts.vlan)] : [];
  return [...(opts.dst ?? MAC_B), ...(opts.src ?? MAC_A), ...tag, ...be16(etherType), ...payload];
}

/** An IPv4 header (IHL 5, or more with `options`) and payload, header checksum filled in. */
export function ipv4(proto: number, src: number[], dst: number[], payload: readonly number[], options: number[] = []): number[] {
  const ihl = 5 + options.length / 4;
  const h = [0x40 | ihl, 0, ...be16(ihl * 4 + payload.length), 0x12, 0x34, 0x40, 0, 64, proto, 0, 0, ...src, ...dst, ...options];
  const c = inetChecksum(h);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return [...h, ...payload];
}

/** An IPv6 header (hop limit 64) and payload. */
export function ipv6(nextHeader: number, payload: readonly number[]): number[] {
  const addr = (last: number): number[] => [0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), last];
  return [0x60, 0, 0, 0, ...be16(payload.length), nextHeader, 64, ...addr(1), ...addr(2), ...payload];
}

/** An ICMP echo message (type 8 request, 0 reply) with its checksum. */
export function icmpEcho(type: number, id: number, seq: number, data: readonly number[]): number[] {
  const m = [type, 0, 0, 0, ...be16(id), ...be16(seq), ...data];
  const c = inetChecksum(m);
  m[2] = c >>> 8;
  m[3] = c & 0xff;
  return m;
}

/** A UDP datagram with its checksum over the IPv4 pseudo-header. */
export function udp(src: number[], dst: number[], sport: number, dport: number, data: readonly number[]): number[] {
  const len = 8 + data.length;
  const d = [...be16(sport), ...be16(dport), ...be16(len), 0, 0, ...data];
  const pseudo = [...src, ...dst, 0, 17, ...be16(len)];
  const c = inetChecksum([...pseudo, ...d]) || 0xffff;
  d[6] = c >>> 8;
  d[7] = c & 0xff;
  return d;
}

/** A TCP header (SYN, no options; checksum left 0: the programs never look at it). */
export function tcpSyn(sport: number, dport: number): number[] {
  return [...be16(sport), ...be16(dport), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0];
}

/** An ARP request frame (who-has 192.168.1.1 tell 192.168.1.2). */
export function arpRequest(): number[] {
  return eth(0x0806, [0, 1, 0x08, 0, 6, 4, 0, 1, ...MAC_A, 192, 168, 1, 2, 0, 0, 0, 0, 0, 0, 192, 168, 1, 1], { dst: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] });
}
