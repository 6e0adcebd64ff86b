/**
 * Packet builders and parsers: Ethernet II, ARP (RFC 826), IPv4 (RFC 791), ICMP (RFC 792) and
 * UDP (RFC 768), with real checksums, laid out byte for byte like the frames Linux puts on a
 * veth (see the reference, section 6), so XDP programs parse what they would parse on Linux.
 */
import { inetSum } from '../packet/index';
import { formatIpv4, formatMac, parseMac } from './addr';

/** EtherType of IPv4. */
export const ETH_P_IP = 0x0800;
/** EtherType of ARP. */
export const ETH_P_ARP = 0x0806;
/** IP protocol numbers used here. */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** ICMP types and codes used here. */
export const ICMP_ECHOREPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_ECHO = 8;
export const ICMP_HOST_UNREACH = 1;
export const ICMP_PROT_UNREACH = 2;
export const ICMP_PORT_UNREACH = 3;
/** ARP opcodes. */
export const ARPOP_REQUEST = 1;
export const ARPOP_REPLY = 2;

/** The Internet checksum (RFC 1071) over `b[start, end)`, with an initial sum (src/packet's one implementation). */
export function inetChecksum(b: Uint8Array, start = 0, end = b.length, initial = 0): number {
  return inetSum([b.subarray(start, end)], initial);
}

function macBytes(mac: string): Uint8Array {
  return parseMac(mac) ?? new Uint8Array(6);
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 255;
  b[off + 1] = v & 255;
}
function put32(b: Uint8Array, off: number, v: number): void {
  put16(b, off, (v >>> 16) & 0xffff);
  put16(b, off + 2, v & 0xffff);
}
function get16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}
function get32(b: Uint8Array, off: number): number {
  return ((get16(b, off) << 16) | get16(b, off + 2)) >>> 0;
}

/** Prepends an Ethernet II header (14 bytes: dst, src, EtherType). */
export function buildEthernet(dst: string, src: string, ethertype: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(macBytes(dst), 0);
  f.set(macBytes(src), 6);
  put16(f, 12, ethertype);
  f.set(payload, 14);
  return f;
}

/** An ARP packet for Ethernet/IPv4 (28 bytes) in an Ethernet frame (42 bytes, no padding as on veth). */
export function buildArp(op: number, ethDst: string, sha: string, spa: number, tha: string, tpa: number, ethSrc = sha): Uint8Array {
  const a = new Uint8Array(28);
  put16(a, 0, 1); // htype Ethernet
  put16(a, 2, ETH_P_IP);
  a[4] = 6;
  a[5] = 4;
  put16(a, 6, op);
  a.set(macBytes(sha), 8);
  put32(a, 14, spa);
  a.set(macBytes(tha), 18);
  put32(a, 24, tpa);
  return buildEthernet(ethDst, ethSrc, ETH_P_ARP, a);
}

/** Fields of an IPv4 header to build. */
export interface Ipv4Fields {
  src: number;
  dst: number;
  proto: number;
  id: number;
  ttl?: number;
  /** Don't Fragment: Linux sets it on locally generated echo requests, not on its replies. */
  df?: boolean;
  tos?: number;
}

/** An IPv4 packet (20-byte header, no options) with its header checksum. */
export function buildIpv4(f: Ipv4Fields, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  p[1] = f.tos ?? 0;
  put16(p, 2, p.length);
  put16(p, 4, f.id & 0xffff);
  put16(p, 6, f.df ? 0x4000 : 0);
  p[8] = f.ttl ?? 64;
  p[9] = f.proto;
  put32(p, 12, f.src);
  put32(p, 16, f.dst);
  put16(p, 10, inetChecksum(p, 0, 20));
  p.set(payload, 20);
  return p;
}

/** An ICMP message (type, code, 4 bytes of rest-of-header, data) with its checksum. */
export function buildIcmp(type: number, code: number, rest: number, data: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + data.length);
  m[0] = type;
  m[1] = code;
  put32(m, 4, rest);
  m.set(data, 8);
  put16(m, 2, inetChecksum(m));
  return m;
}

/**
 * The payload iputils ping sends: a `struct timeval` (tv_sec, tv_usec as little-endian 64-bit
 * values on x86_64) then bytes 0x10, 0x11, ... (payload[i] = i). Sizes under 16 carry no time.
 */
export function pingPayload(size: number, epochUs: number): Uint8Array {
  const d = new Uint8Array(size);
  for (let i = 0; i < size; i++) d[i] = i & 0xff;
  if (size >= 16) {
    const v = new DataView(d.buffer);
    v.setBigUint64(0, BigInt(Math.floor(epochUs / 1e6)), true);
    v.setBigUint64(8, BigInt(Math.floor(epochUs % 1e6)), true);
  }
  return d;
}

/** A UDP datagram with its checksum over the IPv4 pseudo-header. */
export function buildUdp(src: number, dst: number, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, u.length);
  u.set(data, 8);
  const pseudo = new Uint8Array(12);
  put32(pseudo, 0, src);
  put32(pseudo, 4, dst);
  pseudo[9] = IPPROTO_UDP;
  put16(pseudo, 10, u.length);
  const partial = ~inetChecksum(pseudo) & 0xffff;
  let c = inetChecksum(u, 0, u.length, partial);
  if (c === 0) c = 0xffff;
  put16(u, 6, c);
  return u;
}

/** A parsed Ethernet frame. */
export interface EthFrame {
  dst: string;
  src: string;
  ethertype: number;
  payload: Uint8Array;
}

/** Parses an Ethernet II header; undefined for frames shorter than 14 bytes. */
export function parseEthernet(f: Uint8Array): EthFrame | undefined {
  if (f.length < 14) return undefined;
  return { dst: formatMac(f.subarray(0, 6)), src: formatMac(f.subarray(6, 12)), ethertype: get16(f, 12), payload: f.subarray(14) };
}

/** A parsed ARP packet (Ethernet/IPv4 only). */
export interface ArpPacket {
  op: number;
  sha: string;
  spa: number;
  tha: string;
  tpa: number;
}

/** Parses an ARP body; undefined unless it is Ethernet/IPv4 ARP of at least 28 bytes. */
export function parseArp(p: Uint8Array): ArpPacket | undefined {
  if (p.length < 28 || get16(p, 0) !== 1 || get16(p, 2) !== ETH_P_IP || p[4] !== 6 || p[5] !== 4) return undefined;
  return { op: get16(p, 6), sha: formatMac(p.subarray(8, 14)), spa: get32(p, 14), tha: formatMac(p.subarray(18, 24)), tpa: get32(p, 24) };
}

/** A parsed IPv4 packet. */
export interface Ipv4Packet {
  ihl: number;
  totalLength: number;
  id: number;
  flags: number;
  ttl: number;
  proto: number;
  src: number;
  dst: number;
  header: Uint8Array;
  payload: Uint8Array;
}

/** Parses and validates an IPv4 header (version, IHL, length, checksum); undefined if bad, as Linux's ip_rcv drops it. */
export function parseIpv4Packet(p: Uint8Array): Ipv4Packet | undefined {
  if (p.length < 20 || p[0]! >> 4 !== 4) return undefined;
  const ihl = (p[0]! & 15) * 4;
  const total = get16(p, 2);
  if (ihl < 20 || total < ihl || total > p.length) return undefined;
  if (inetChecksum(p, 0, ihl) !== 0) return undefined;
  return {
    ihl,
    totalLength: total,
    id: get16(p, 4),
    flags: get16(p, 6) >>> 13,
    ttl: p[8]!,
    proto: p[9]!,
    src: get32(p, 12),
    dst: get32(p, 16),
    header: p.subarray(0, ihl),
    payload: p.subarray(ihl, total),
  };
}

/** A parsed ICMP message. */
export interface IcmpMessage {
  type: number;
  code: number;
  /** Identifier and sequence for echo messages. */
  id: number;
  seq: number;
  data: Uint8Array;
}

/** Parses an ICMP message, validating its checksum. */
export function parseIcmp(p: Uint8Array): IcmpMessage | undefined {
  if (p.length < 8 || inetChecksum(p) !== 0) return undefined;
  return { type: p[0]!, code: p[1]!, id: get16(p, 4), seq: get16(p, 6), data: p.subarray(8) };
}

/** A parsed UDP header. */
export interface UdpDatagram {
  sport: number;
  dport: number;
  data: Uint8Array;
}

/** Parses a UDP header. */
export function parseUdp(p: Uint8Array): UdpDatagram | undefined {
  if (p.length < 8) return undefined;
  const len = get16(p, 4);
  if (len < 8 || len > p.length) return undefined;
  return { sport: get16(p, 0), dport: get16(p, 2), data: p.subarray(8, len) };
}

/** A one-line human summary of a frame (like tcpdump's), for logs and tests. */
export function describeFrame(f: Uint8Array): string {
  const eth = parseEthernet(f);
  if (!eth) return `truncated frame (${f.length} bytes)`;
  if (eth.ethertype === ETH_P_ARP) {
    const a = parseArp(eth.payload);
    if (!a) return 'ARP, malformed';
    return a.op === ARPOP_REQUEST
      ? `ARP, Request who-has ${formatIpv4(a.tpa)} tell ${formatIpv4(a.spa)}, length 28`
      : `ARP, Reply ${formatIpv4(a.spa)} is-at ${a.sha}, length 28`;
  }
  if (eth.ethertype === ETH_P_IP) {
    const ip = parseIpv4Packet(eth.payload);
    if (!ip) return 'IP, malformed';
    const head = `IP ${formatIpv4(ip.src)} > ${formatIpv4(ip.dst)}:`;
    if (ip.proto === IPPROTO_ICMP) {
      const m = parseIcmp(ip.payload);
      if (!m) return `${head} ICMP, malformed`;
      if (m.type === ICMP_ECHO) return `${head} ICMP echo request, id ${m.id}, seq ${m.seq}, length ${ip.payload.length}`;
      if (m.type === ICMP_ECHOREPLY) return `${head} ICMP echo reply, id ${m.id}, seq ${m.seq}, length ${ip.payload.length}`;
      return `${head} ICMP type ${m.type} code ${m.code}, length ${ip.payload.length}`;
    }
    if (ip.proto === IPPROTO_UDP) {
      const u = parseUdp(ip.payload);
      return u ? `${head} UDP ${u.sport} > ${u.dport}, length ${u.data.length}` : `${head} UDP, malformed`;
    }
    return `${head} proto ${ip.proto}, length ${ip.payload.length}`;
  }
  return `ethertype 0x${eth.ethertype.toString(16).padStart(4, '0')}, length ${f.length}`;
}
