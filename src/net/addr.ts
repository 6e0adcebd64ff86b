/** IPv4 and MAC address helpers: parse, format, prefix arithmetic. Addresses are u32 numbers. */
import { formatIp6 } from '../packet/index';

/** Parses dotted-quad IPv4 (`a.b.c.d`, each 0..255) into a u32, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let v = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return undefined;
    v = v * 256 + o;
  }
  return v >>> 0;
}

/**
 * Parses an address as iproute2's `get_prefix` does: `a.b.c.d[/len]`, and also the short forms
 * inet_aton-like `a.b.c` (missing octets are zero: `192.168.77` → 192.168.77.0). Without a
 * length the prefix is /32 (iproute2: "an address without a prefix becomes /32").
 */
export function parsePrefix(text: string): { addr: number; len: number } | undefined {
  const [a, l, extra] = text.split('/');
  if (extra !== undefined || a === undefined) return undefined;
  const parts = a.split('.');
  if (parts.length < 1 || parts.length > 4 || parts.some((p) => !/^\d{1,3}$/.test(p))) return undefined;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const o = i < parts.length ? Number(parts[i]) : 0;
    if (o > 255) return undefined;
    v = v * 256 + o;
  }
  let len = 32;
  if (l !== undefined) {
    if (!/^\d{1,2}$/.test(l)) return undefined;
    len = Number(l);
    if (len > 32) return undefined;
  }
  return { addr: v >>> 0, len };
}

/** Formats a u32 as dotted quad. */
export function formatIpv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** The netmask of a prefix length as u32. */
export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** The network address of `addr/len`. */
export function networkOf(addr: number, len: number): number {
  return (addr & prefixMask(len)) >>> 0;
}

/** True when `addr` lies in `net/len`. */
export function inPrefix(addr: number, net: number, len: number): boolean {
  return networkOf(addr, len) === networkOf(net, len);
}

/** The directed broadcast address of `addr/len`. */
export function broadcastOf(addr: number, len: number): number {
  return (networkOf(addr, len) | (~prefixMask(len) >>> 0)) >>> 0;
}

/** Formats 6 bytes as `aa:bb:cc:dd:ee:ff`. */
export function formatMac(b: Uint8Array): string {
  return Array.from(b.subarray(0, 6), (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Parses `aa:bb:cc:dd:ee:ff` into 6 bytes, or undefined. */
export function parseMac(text: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2}):([0-9a-f]{1,2})$/i.exec(text);
  if (!m) return undefined;
  return Uint8Array.from(m.slice(1, 7), (x) => parseInt(x, 16));
}

/** The broadcast MAC. */
export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff';
/** The all-zero MAC (loopback, unknown ARP target). */
export const ZERO_MAC = '00:00:00:00:00:00';

/**
 * The IPv6 link-local address derived from a MAC by modified EUI-64 (RFC 4291 appendix A):
 * flip the universal/local bit of the first byte and insert ff:fe in the middle, printed in the
 * compressed form `ip` uses (`fe80::90e4:f2ff:fe7d:8c2d`).
 */
export function linkLocalFromMac(mac: string): string {
  const b = parseMac(mac) ?? new Uint8Array(6);
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set([b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!], 8);
  // inet_ntop's form: a zero group after fe80:: folds into the `::` (02:00:… gives fe80::ff:fe00:a).
  return formatIp6(a);
}
