/**
 * The layers the packet builder knows, as data: each layer's fields (with bit positions in its
 * fixed header, as in the RFC diagrams), defaults, the fields computed unless given (next
 * protocol, lengths, checksums) and the variable tail (options, extension data). The builder
 * (build.ts) and the decoder (decode.ts) both read this one table.
 */
import { concatBytes } from '../util/index';
import { inetSum, type FieldDef } from './fields';
import { ETHERTYPE, ETHERTYPE_EXPERIMENTAL, GRE_PROTO, IPPROTO, IPPROTO_EXPERIMENTAL, IPPROTO_LAYER, IPPROTO_NONE, VXLAN_PORT } from './protocols';
import { parseIp4Bytes, parseIp6Bytes, parseMacBytes, type FieldValue } from './values';

/** Field values of one layer by name. */
export type Values = Map<string, FieldValue>;

/** What a layer's computed fields depend on. */
export interface LayerEnv {
  /** Canonical name of the next layer (undefined: nothing follows). */
  readonly next: string | undefined;
  /** The bytes after this header. */
  readonly inner: Uint8Array;
  /** The nearest enclosing IP header's version and addresses (for pseudo-header checksums). */
  readonly ip: { readonly v: 4 | 6; readonly src: Uint8Array; readonly dst: Uint8Array } | undefined;
}

/** One layer of the table. */
export interface LayerDef {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  readonly fields: readonly FieldDef[];
  /** Bytes of the fixed header. */
  readonly fixed: number;
  /** The variable part after the fixed header (options...), from the values. */
  tail?(v: Values): Uint8Array;
  /** Values of computed fields other than the checksum (the header is laid out, computed fields 0). */
  auto?(v: Values, env: LayerEnv, hdrLen: number): Record<string, number>;
  /** The checksum over the header (its checksum field zero) and what follows; undefined: none in this header. */
  checksum?(hdr: Uint8Array, env: LayerEnv, v: Values): number | undefined;
  /** Byte offset of the checksum in the header. */
  readonly checksumAt?: number;
  /** Decoding: the variable part's values and the whole header length (undefined: truncated/bad). */
  decodeTail?(b: Uint8Array, v: Values): number | undefined;
  /** Decoding: the next layer from this one's values. */
  nextOf?(v: Values): string | undefined;
  /** Decoding: the byte length this header says its layer spans (IPv4 total length...). */
  extent?(v: Values, hdrLen: number): number | undefined;
}

const int = (name: string, bit: number, bits: number, extra: Partial<FieldDef> = {}): FieldDef => ({ name, kind: 'int', bit, bits, ...extra });
const mac = (name: string, bit: number, dflt: string): FieldDef => ({ name, kind: 'mac', bit, dflt: parseMacBytes(dflt)! });
const ip4 = (name: string, bit: number, dflt: string): FieldDef => ({ name, kind: 'ip4', bit, dflt: parseIp4Bytes(dflt)! });
const ip6 = (name: string, bit: number, dflt: string): FieldDef => ({ name, kind: 'ip6', bit, dflt: parseIp6Bytes(dflt)! });
const auto = { auto: true } as const;
const num = (v: Values, k: string): number => (v.get(k) as number | undefined) ?? 0;
const bytes = (v: Values, k: string): Uint8Array => (v.get(k) as Uint8Array | undefined) ?? new Uint8Array(0);

const nextEthertype = (next: string | undefined): number => (next === undefined ? ETHERTYPE_EXPERIMENTAL : ETHERTYPE[next] ?? ETHERTYPE_EXPERIMENTAL);
const nextProto = (next: string | undefined, none: number): number => (next === undefined ? none : IPPROTO[next] ?? none);

function pseudoSum(env: LayerEnv, proto: number, len: number): number {
  const ip = env.ip;
  if (!ip) return 0;
  const p = new Uint8Array(ip.v === 4 ? 12 : 40);
  if (ip.v === 4) {
    p.set(ip.src, 0);
    p.set(ip.dst, 4);
    p[9] = proto;
    p[10] = len >> 8;
    p[11] = len & 255;
  } else {
    p.set(ip.src, 0);
    p.set(ip.dst, 16);
    p[34] = len >> 8;
    p[35] = len & 255;
    p[39] = proto;
  }
  return ~inetSum([p]) & 0xffff;
}

/** A checksum over an even-length prefix and the rest: the header then the inner bytes. */
function sumOf(parts: Uint8Array[], initial = 0): number {
  // inetSum pads odd-length parts at their end; only the last part may be odd here.
  const all = parts.length === 1 ? parts[0]! : concat(parts);
  return inetSum([all], initial);
}

/** Concatenates byte arrays. */
export const concat = concatBytes;

const ipL4Checksum = (proto: number, zeroIsFfff: boolean) => (hdr: Uint8Array, env: LayerEnv): number => {
  const len = hdr.length + env.inner.length;
  const c = sumOf([hdr, env.inner], pseudoSum(env, proto, len));
  return zeroIsFfff && c === 0 ? 0xffff : c;
};

const ICMP_TYPES = { 'echo-reply': 0, 'dest-unreach': 3, redirect: 5, 'echo-request': 8, 'time-exceeded': 11, 'param-problem': 12 };
const ICMP6_TYPES = {
  'dest-unreach': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'param-problem': 4, 'echo-request': 128, 'echo-reply': 129,
  'router-solicit': 133, 'router-advert': 134, 'neighbor-solicit': 135, 'neighbor-advert': 136,
};

/** TCP options the builder writes from fields (RFC 9293 §3.2, RFC 7323, RFC 2018), in Linux's SYN order. */
function tcpOptions(v: Values): Uint8Array {
  const o: number[] = [];
  if (v.has('mss')) o.push(2, 4, num(v, 'mss') >> 8, num(v, 'mss') & 255);
  if (v.has('sackok') && num(v, 'sackok')) o.push(4, 2);
  if (v.has('tsval') || v.has('tsecr')) {
    o.push(8, 10);
    for (const k of ['tsval', 'tsecr']) {
      const x = num(v, k);
      o.push((x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
    }
  }
  if (v.has('wscale')) o.push(1, 3, 3, num(v, 'wscale'));
  o.push(...bytes(v, 'options'));
  while (o.length % 4) o.push(v.has('options') ? 0 : 1);
  return Uint8Array.from(o);
}

/** IPv6 Hop-by-Hop / Destination options padded to a multiple of 8 with Pad1/PadN (RFC 8200 §4.2). */
function ext8(v: Values): Uint8Array {
  const opts = bytes(v, 'options');
  const pad = (8 - ((2 + opts.length) % 8)) % 8;
  const out = new Uint8Array(opts.length + pad);
  out.set(opts);
  if (pad === 1) out[opts.length] = 0;
  else if (pad >= 2) {
    out[opts.length] = 1;
    out[opts.length + 1] = pad - 2;
  }
  return out;
}

const extHeader = (name: string, summary: string): LayerDef => ({
  name,
  aliases: [],
  summary,
  fields: [int('nh', 0, 8, auto), int('hlen', 8, 8, auto), { name: 'options', kind: 'bytes' }],
  fixed: 2,
  tail: ext8,
  auto: (_v, env, hdrLen) => ({ nh: nextProto(env.next, IPPROTO_NONE), hlen: hdrLen / 8 - 1 }),
  decodeTail: (b, v) => {
    const len = (num(v, 'hlen') + 1) * 8;
    if (b.length < len) return undefined;
    v.set('options', b.slice(2, len));
    return len;
  },
  nextOf: (v) => ipNext(num(v, 'nh')),
});

const ipNext = (p: number): string | undefined => IPPROTO_LAYER.get(p);

/** Every layer, by canonical name. */
export const LAYERS: readonly LayerDef[] = [
  {
    name: 'eth', aliases: ['ether', 'ethernet'], summary: 'Ethernet II (IEEE 802.3): dst, src, type',
    fields: [mac('dst', 0, '02:00:00:00:00:02'), mac('src', 48, '02:00:00:00:00:01'), int('type', 96, 16, auto)],
    fixed: 14,
    auto: (_v, env) => ({ type: env.next === 'eth' ? ETHERTYPE_EXPERIMENTAL : nextEthertype(env.next) }),
  },
  ...(['vlan', 'qinq'] as const).map((name): LayerDef => ({
    name, aliases: name === 'vlan' ? ['dot1q', '802.1q'] : ['dot1ad', '802.1ad'],
    summary: `${name === 'vlan' ? '802.1Q' : '802.1ad (S-tag)'} VLAN tag: pcp, dei, vid, type (the TPID is the previous layer's type)`,
    fields: [int('pcp', 0, 3), int('dei', 3, 1), int('vid', 4, 12), int('type', 16, 16, auto)],
    fixed: 4,
    auto: (_v, env) => ({ type: nextEthertype(env.next) }),
  })),
  {
    name: 'arp', aliases: [], summary: 'ARP for Ethernet/IPv4 (RFC 826): op, sha, spa, tha, tpa',
    fields: [
      int('htype', 0, 16, { dflt: 1 }), int('ptype', 16, 16, { dflt: 0x0800 }), int('hlen', 32, 8, { dflt: 6 }), int('plen', 40, 8, { dflt: 4 }),
      int('op', 48, 16, { dflt: 1, names: { request: 1, reply: 2 } }),
      mac('sha', 64, '02:00:00:00:00:01'), ip4('spa', 112, '10.0.0.1'), mac('tha', 144, '00:00:00:00:00:00'), ip4('tpa', 192, '10.0.0.2'),
    ],
    fixed: 28,
  },
  {
    name: 'ipv4', aliases: ['ip', 'ip4'], summary: 'IPv4 (RFC 791): tos, id, flags (DF, MF), frag (8-byte units), ttl, proto, src, dst, options',
    fields: [
      int('version', 0, 4, { dflt: 4 }), int('ihl', 4, 4, auto), int('tos', 8, 8), int('len', 16, 16, auto), int('id', 32, 16, { dflt: 1 }),
      { name: 'flags', kind: 'flags', bit: 48, bits: 3, letters: '.DM', names: { df: 2, mf: 1, evil: 4 } },
      int('frag', 51, 13), int('ttl', 64, 8, { dflt: 64 }), int('proto', 72, 8, auto), int('checksum', 80, 16, auto),
      ip4('src', 96, '10.0.0.1'), ip4('dst', 128, '10.0.0.2'), { name: 'options', kind: 'bytes' },
    ],
    fixed: 20,
    tail: (v) => {
      const o = bytes(v, 'options');
      const out = new Uint8Array(Math.ceil(o.length / 4) * 4);
      out.set(o);
      return out;
    },
    auto: (_v, env, hdrLen) => ({ ihl: hdrLen / 4, len: hdrLen + env.inner.length, proto: nextProto(env.next, IPPROTO_EXPERIMENTAL) }),
    checksum: (hdr) => inetSum([hdr]),
    checksumAt: 10,
    decodeTail: (b, v) => {
      const len = num(v, 'ihl') * 4;
      if (len < 20 || b.length < len) return undefined;
      if (len > 20) v.set('options', b.slice(20, len));
      return len;
    },
    nextOf: (v) => (num(v, 'frag') !== 0 ? undefined : ipNext(num(v, 'proto'))),
    extent: (v) => num(v, 'len'),
  },
  {
    name: 'ipv6', aliases: ['ip6'], summary: 'IPv6 (RFC 8200): tc, flow, plen, nh, hlim, src, dst',
    fields: [
      int('version', 0, 4, { dflt: 6 }), int('tc', 4, 8), int('flow', 12, 20), int('plen', 32, 16, auto), int('nh', 48, 8, auto),
      int('hlim', 56, 8, { dflt: 64 }), ip6('src', 64, 'fd00::1'), ip6('dst', 192, 'fd00::2'),
    ],
    fixed: 40,
    auto: (_v, env) => ({ plen: env.inner.length, nh: nextProto(env.next, IPPROTO_NONE) }),
    nextOf: (v) => ipNext(num(v, 'nh')),
    extent: (v, hdrLen) => hdrLen + num(v, 'plen'),
  },
  extHeader('hbh', 'IPv6 Hop-by-Hop options header: nh, hlen, options (padded with Pad1/PadN)'),
  extHeader('dstopts', 'IPv6 Destination options header: nh, hlen, options (padded with Pad1/PadN)'),
  {
    name: 'routing', aliases: ['rh', 'srh'], summary: 'IPv6 Routing header: nh, hlen, type, segleft, reserved (32 bits), addrs (a+b+...)',
    fields: [int('nh', 0, 8, auto), int('hlen', 8, 8, auto), int('type', 16, 8), int('segleft', 24, 8), int('reserved', 32, 32), { name: 'addrs', kind: 'ip6list' }],
    fixed: 8,
    tail: (v) => bytes(v, 'addrs'),
    auto: (_v, env, hdrLen) => ({ nh: nextProto(env.next, IPPROTO_NONE), hlen: (hdrLen - 8) / 8 }),
    decodeTail: (b, v) => {
      const len = (num(v, 'hlen') + 1) * 8;
      if (b.length < len) return undefined;
      if (len > 8) v.set('addrs', b.slice(8, len));
      return len;
    },
    nextOf: (v) => ipNext(num(v, 'nh')),
  },
  {
    name: 'frag6', aliases: ['ipv6frag'], summary: 'IPv6 Fragment header: nh, offset (8-byte units), m (more fragments), id',
    fields: [int('nh', 0, 8, auto), int('res', 8, 8), int('offset', 16, 13), int('res2', 29, 2), int('m', 31, 1), int('id', 32, 32)],
    fixed: 8,
    auto: (_v, env) => ({ nh: nextProto(env.next, IPPROTO_NONE) }),
    nextOf: (v) => (num(v, 'offset') !== 0 ? undefined : ipNext(num(v, 'nh'))),
  },
  ...(['icmp', 'icmp6'] as const).map((name): LayerDef => ({
    name, aliases: name === 'icmp' ? ['icmp4'] : ['icmpv6'],
    summary: `${name === 'icmp' ? 'ICMP (RFC 792)' : 'ICMPv6 (RFC 4443)'}: type, code, checksum, id, seq (the rest of the header)`,
    fields: [
      int('type', 0, 8, { dflt: name === 'icmp' ? 8 : 128, names: name === 'icmp' ? ICMP_TYPES : ICMP6_TYPES }), int('code', 8, 8),
      int('checksum', 16, 16, auto), int('id', 32, 16), int('seq', 48, 16),
    ],
    fixed: 8,
    checksumAt: 2,
    checksum: name === 'icmp' ? (hdr, env) => sumOf([hdr, env.inner]) : ipL4Checksum(IPPROTO['icmp6']!, false),
  })),
  {
    name: 'udp', aliases: [], summary: 'UDP (RFC 768): sport, dport (4789 before vxlan), len, checksum (0 = none)',
    fields: [int('sport', 0, 16, { dflt: 1024 }), int('dport', 16, 16, auto), int('len', 32, 16, auto), int('checksum', 48, 16, auto)],
    fixed: 8,
    auto: (_v, env, hdrLen) => ({ dport: env.next === 'vxlan' ? VXLAN_PORT : 1024, len: hdrLen + env.inner.length }),
    checksum: ipL4Checksum(IPPROTO['udp']!, true),
    checksumAt: 6,
    nextOf: (v) => (num(v, 'dport') === VXLAN_PORT ? 'vxlan' : undefined),
    extent: (v) => num(v, 'len'),
  },
  {
    name: 'tcp', aliases: [], summary: 'TCP (RFC 9293): sport, dport, seq, ack, flags (FSRPAUEC letters), window, urgptr, mss, sackok, tsval, tsecr, wscale, options',
    fields: [
      int('sport', 0, 16, { dflt: 1024 }), int('dport', 16, 16, { dflt: 80 }), int('seq', 32, 32), int('ack', 64, 32),
      int('doff', 96, 4, auto), int('res', 100, 3),
      { name: 'flags', kind: 'flags', bit: 103, bits: 9, letters: 'NCEUAPRSF', dflt: 0x002 },
      int('window', 112, 16, { dflt: 65535 }), int('checksum', 128, 16, auto), int('urgptr', 144, 16),
      { name: 'mss', kind: 'int', bits: 16 }, { name: 'sackok', kind: 'int', bits: 1 }, { name: 'tsval', kind: 'int', bits: 32 },
      { name: 'tsecr', kind: 'int', bits: 32 }, { name: 'wscale', kind: 'int', bits: 8 }, { name: 'options', kind: 'bytes' },
    ],
    fixed: 20,
    tail: tcpOptions,
    auto: (_v, _env, hdrLen) => ({ doff: hdrLen / 4 }),
    checksum: ipL4Checksum(IPPROTO['tcp']!, false),
    checksumAt: 16,
    decodeTail: (b, v) => {
      const len = num(v, 'doff') * 4;
      if (len < 20 || b.length < len) return undefined;
      decodeTcpOptions(b.subarray(20, len), v);
      return len;
    },
  },
  {
    name: 'vxlan', aliases: [], summary: 'VXLAN (RFC 7348): flags (0x08: VNI valid), vni; an eth() follows',
    fields: [int('flags', 0, 8, { dflt: 0x08 }), int('res', 8, 24), int('vni', 32, 24), int('res2', 56, 8)],
    fixed: 8,
    nextOf: () => 'eth',
  },
  {
    name: 'gre', aliases: [], summary: 'GRE (RFC 2784/2890): c (checksum present), key, seq, proto (0x6558 before eth)',
    fields: [
      int('c', 0, 1), int('r', 1, 1), int('k', 2, 1, auto), int('s', 3, 1, auto), int('res0', 4, 9), int('ver', 13, 3), int('proto', 16, 16, auto),
      { name: 'checksum', kind: 'int', bits: 16, auto: true }, { name: 'key', kind: 'int', bits: 32 }, { name: 'seq', kind: 'int', bits: 32 },
    ],
    fixed: 4,
    tail: (v) => {
      const o: number[] = [];
      const w32 = (x: number): void => void o.push((x >>> 24) & 255, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
      if (num(v, 'c')) w32(0); // checksum and reserved1, filled by `checksum`
      if (v.has('key') || num(v, 'k')) w32(num(v, 'key'));
      if (v.has('seq') || num(v, 's')) w32(num(v, 'seq'));
      return Uint8Array.from(o);
    },
    auto: (v, env) => ({ k: v.has('key') ? 1 : 0, s: v.has('seq') ? 1 : 0, proto: env.next === undefined ? ETHERTYPE_EXPERIMENTAL : GRE_PROTO[env.next] ?? ETHERTYPE_EXPERIMENTAL }),
    checksum: (hdr, env, v) => (num(v, 'c') ? sumOf([hdr, env.inner]) : undefined),
    checksumAt: 4,
    decodeTail: (b, v) => {
      let len = 4;
      const r32 = (): number => ((b[len]! << 24) | (b[len + 1]! << 16) | (b[len + 2]! << 8) | b[len + 3]!) >>> 0;
      const need = 4 + 4 * (num(v, 'c') + num(v, 'k') + num(v, 's'));
      if (b.length < need) return undefined;
      if (num(v, 'c')) {
        v.set('checksum', (b[4]! << 8) | b[5]!);
        len += 4;
      }
      if (num(v, 'k')) { v.set('key', r32()); len += 4; }
      if (num(v, 's')) { v.set('seq', r32()); len += 4; }
      return len;
    },
  },
  {
    name: 'payload', aliases: ['raw', 'data'], summary: 'bytes: len=N (with fill=BYTE, default 0), hex=..., or text="..."',
    fields: [{ name: 'len', kind: 'int', bits: 16 }, { name: 'fill', kind: 'int', bits: 8 }, { name: 'hex', kind: 'bytes' }, { name: 'text', kind: 'bytes' }],
    fixed: 0,
  },
];

function decodeTcpOptions(o: Uint8Array, v: Values): void {
  const known = new Map<string, number>();
  for (let i = 0; i < o.length; ) {
    const kind = o[i]!;
    if (kind === 0) break;
    if (kind === 1) { i++; continue; }
    const len = o[i + 1];
    if (len === undefined || len < 2 || i + len > o.length) break;
    const rd = (off: number, n: number): number => { let x = 0; for (let k = 0; k < n; k++) x = x * 256 + o[i + off + k]!; return x; };
    if (kind === 2 && len === 4) known.set('mss', rd(2, 2));
    else if (kind === 4 && len === 2) known.set('sackok', 1);
    else if (kind === 8 && len === 10) { known.set('tsval', rd(2, 4)); known.set('tsecr', rd(6, 4)); }
    else if (kind === 3 && len === 3) known.set('wscale', rd(2, 1));
    else { known.clear(); break; }
    i += len;
  }
  // Known options only when writing them back gives the same bytes; otherwise the raw bytes.
  const again = tcpOptions(new Map(known));
  if (again.length === o.length && again.every((x, i) => x === o[i])) for (const [k, x] of known) v.set(k, x);
  else if (o.length) v.set('options', o.slice());
}

const BY_NAME = new Map<string, LayerDef>();
for (const l of LAYERS) for (const n of [l.name, ...l.aliases]) BY_NAME.set(n, l);

/** The layer of a name or alias (case-insensitive). */
export function layerDef(name: string): LayerDef | undefined {
  return BY_NAME.get(name.toLowerCase());
}
