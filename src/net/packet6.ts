/**
 * IPv6 frames as Linux puts them on a veth: the fixed 40-byte header (RFC 8200), ICMPv6 with its
 * checksum over the pseudo-header (RFC 4443 §2.3), echo request/reply, and the neighbour
 * discovery messages (RFC 4861 §4.3/§4.4) with their link-layer address options.
 */
import { formatIp6, inetSum, parseIp6Bytes } from '../packet/index';
import { formatMac, parseMac } from './addr';

export const ETH_P_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_DEST_UNREACH = 1;
export const ICMPV6_ADDR_UNREACH = 3;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
export const NDISC_NEIGHBOUR_SOLICITATION = 135;
export const NDISC_NEIGHBOUR_ADVERTISEMENT = 136;
const ND_OPT_SOURCE_LL_ADDR = 1;
const ND_OPT_TARGET_LL_ADDR = 2;

/** Parses IPv6 text into 16 bytes (re-exported so net has one spelling). */
export function parseIpv6(text: string): Uint8Array | undefined {
  return parseIp6Bytes(text);
}

/** Formats 16 bytes as inet_ntop does (RFC 5952). */
export function formatIpv6(b: Uint8Array): string {
  return formatIp6(b);
}

/** True for fe80::/10. */
export function isLinkLocal6(b: Uint8Array): boolean {
  return b[0] === 0xfe && (b[1]! & 0xc0) === 0x80;
}

/** True for ff00::/8. */
export function isMulticast6(b: Uint8Array): boolean {
  return b[0] === 0xff;
}

/** The solicited-node multicast address ff02::1:ffXX:XXXX of an address (RFC 4291 §2.7.1). */
export function solicitedNode(b: Uint8Array): Uint8Array {
  const out = parseIp6Bytes('ff02::1:ff00:0')!;
  out.set(b.subarray(13, 16), 13);
  return out;
}

/** The Ethernet address of an IPv6 multicast group: 33:33 and its low 32 bits (RFC 2464 §7). */
export function multicastMac(b: Uint8Array): string {
  return formatMac(Uint8Array.of(0x33, 0x33, b[12]!, b[13]!, b[14]!, b[15]!));
}

/** True when `a` lies in `net/len`. */
export function inPrefix6(a: Uint8Array, net: Uint8Array, len: number): boolean {
  for (let bit = 0; bit < len; bit += 8) {
    const n = Math.min(8, len - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((a[bit / 8]! & mask) !== (net[bit / 8]! & mask)) return false;
  }
  return true;
}

/** The network address of `a/len`. */
export function network6(a: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const n = Math.max(0, Math.min(8, len - i * 8));
    out[i] = a[i]! & ((0xff << (8 - n)) & 0xff);
  }
  return out;
}

/** The ICMPv6 checksum over the pseudo-header (src, dst, upper-layer length, next header 58). */
export function icmp6Checksum(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  const len = msg.length;
  const pseudo = Uint8Array.of((len >>> 24) & 255, (len >>> 16) & 255, (len >>> 8) & 255, len & 255, 0, 0, 0, IPPROTO_ICMPV6);
  return inetSum([src, dst, pseudo, msg], 0);
}

/** An ICMPv6 message (type, code, 4 bytes of rest, body) with its checksum filled in. */
export function buildIcmp6(src: Uint8Array, dst: Uint8Array, type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  m[0] = type;
  m[1] = code;
  m[4] = (rest >>> 24) & 255;
  m[5] = (rest >>> 16) & 255;
  m[6] = (rest >>> 8) & 255;
  m[7] = rest & 255;
  m.set(body, 8);
  const sum = icmp6Checksum(src, dst, m);
  m[2] = sum >>> 8;
  m[3] = sum & 255;
  return m;
}

/** The fields of an IPv6 header this stack writes. */
export interface Ipv6Fields {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  hopLimit: number;
  /** 20-bit flow label (Linux sets a hash per flow on echo; 0 on ND). */
  flowLabel?: number;
  tclass?: number;
}

/** An IPv6 packet: the 40-byte header and the payload. */
export function buildIpv6(f: Ipv6Fields, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  const tc = f.tclass ?? 0;
  const fl = f.flowLabel ?? 0;
  p[0] = 0x60 | (tc >>> 4);
  p[1] = ((tc & 15) << 4) | ((fl >>> 16) & 15);
  p[2] = (fl >>> 8) & 255;
  p[3] = fl & 255;
  p[4] = payload.length >>> 8;
  p[5] = payload.length & 255;
  p[6] = f.nextHeader;
  p[7] = f.hopLimit;
  p.set(f.src, 8);
  p.set(f.dst, 24);
  p.set(payload, 40);
  return p;
}

/** A parsed IPv6 packet (no extension headers are walked: nextHeader is the first one). */
export interface Ipv6Packet {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  hopLimit: number;
  payload: Uint8Array;
}

/** Parses an IPv6 header; undefined when it is not one or is truncated (ipv6_rcv drops it). */
export function parseIpv6Packet(p: Uint8Array): Ipv6Packet | undefined {
  if (p.length < 40 || p[0]! >> 4 !== 6) return undefined;
  const plen = (p[4]! << 8) | p[5]!;
  if (40 + plen > p.length) return undefined;
  return { src: p.slice(8, 24), dst: p.slice(24, 40), nextHeader: p[6]!, hopLimit: p[7]!, payload: p.subarray(40, 40 + plen) };
}

/** A parsed ICMPv6 message (checksum verified against the packet's addresses). */
export interface Icmp6Message {
  type: number;
  code: number;
  /** The 4 bytes after the checksum, as a number (echo: id << 16 | seq). */
  rest: number;
  body: Uint8Array;
}

/** Parses an ICMPv6 message, or undefined when the checksum is wrong (icmpv6_rcv drops it). */
export function parseIcmp6(ip: Ipv6Packet): Icmp6Message | undefined {
  const m = ip.payload;
  if (ip.nextHeader !== IPPROTO_ICMPV6 || m.length < 8) return undefined;
  if (icmp6Checksum(ip.src, ip.dst, m) !== 0) return undefined;
  return { type: m[0]!, code: m[1]!, rest: ((m[4]! << 24) | (m[5]! << 16) | (m[6]! << 8) | m[7]!) >>> 0, body: m.subarray(8) };
}

function llOption(kind: number, mac: string): Uint8Array {
  const o = new Uint8Array(8);
  o[0] = kind;
  o[1] = 1; // length in units of 8 bytes
  o.set(parseMac(mac) ?? new Uint8Array(6), 2);
  return o;
}

/**
 * A neighbour solicitation for `target` from `src` (hop limit 255, the source link-layer option
 * unless the source is unspecified). `dst` is the solicited-node group, or the neighbour itself
 * when probing a known entry (unicast).
 */
export function buildNeighSolicit(src: Uint8Array, dst: Uint8Array, target: Uint8Array, mac: string): Uint8Array {
  const body = new Uint8Array(24);
  body.set(target, 0);
  body.set(llOption(ND_OPT_SOURCE_LL_ADDR, mac), 16);
  const msg = buildIcmp6(src, dst, NDISC_NEIGHBOUR_SOLICITATION, 0, 0, body);
  return buildIpv6({ src, dst, nextHeader: IPPROTO_ICMPV6, hopLimit: 255 }, msg);
}

/** A neighbour advertisement for `target` with the target link-layer option; flags R/S/O. */
export function buildNeighAdvert(src: Uint8Array, dst: Uint8Array, target: Uint8Array, mac: string, f: { router?: boolean; solicited: boolean; override: boolean }): Uint8Array {
  const body = new Uint8Array(24);
  body.set(target, 0);
  body.set(llOption(ND_OPT_TARGET_LL_ADDR, mac), 16);
  const flags = ((f.router ? 0x80 : 0) | (f.solicited ? 0x40 : 0) | (f.override ? 0x20 : 0)) << 24;
  const msg = buildIcmp6(src, dst, NDISC_NEIGHBOUR_ADVERTISEMENT, 0, flags >>> 0, body);
  return buildIpv6({ src, dst, nextHeader: IPPROTO_ICMPV6, hopLimit: 255 }, msg);
}

/** A parsed NS or NA: the target, the flags (NA) and the link-layer address option, if any. */
export interface NdMessage {
  target: Uint8Array;
  solicited: boolean;
  override: boolean;
  lladdr?: string;
}

/** Parses the body of an NS/NA (RFC 4861 §7.1.1/§7.1.2 validity: hop limit 255, code 0, options well formed). */
export function parseNd(ip: Ipv6Packet, m: Icmp6Message): NdMessage | undefined {
  if (ip.hopLimit !== 255 || m.code !== 0 || m.body.length < 16) return undefined;
  const target = m.body.slice(0, 16);
  if (isMulticast6(target)) return undefined;
  const want = m.type === NDISC_NEIGHBOUR_SOLICITATION ? ND_OPT_SOURCE_LL_ADDR : ND_OPT_TARGET_LL_ADDR;
  let lladdr: string | undefined;
  for (let off = 16; off + 2 <= m.body.length; ) {
    const len = m.body[off + 1]! * 8;
    if (len === 0 || off + len > m.body.length) return undefined;
    if (m.body[off] === want && len >= 8) lladdr = formatMac(m.body.subarray(off + 2, off + 8));
    off += len;
  }
  const nd: NdMessage = { target, solicited: (m.rest & 0x40000000) !== 0, override: (m.rest & 0x20000000) !== 0 };
  if (lladdr !== undefined) nd.lladdr = lladdr;
  return nd;
}
