/**
 * Protocol numbers that link one layer to the next: EtherTypes (IEEE 802 numbers as in
 * include/uapi/linux/if_ether.h), IP protocol / IPv6 next-header numbers (IANA, as in
 * include/uapi/linux/in.h and in6.h), and well-known UDP ports of tunnels. The reverse maps are
 * computed, never typed twice.
 */

/** EtherType of the layer that follows an Ethernet header or a VLAN tag. */
export const ETHERTYPE: Readonly<Record<string, number>> = {
  ipv4: 0x0800,
  arp: 0x0806,
  vlan: 0x8100,
  qinq: 0x88a8,
  ipv6: 0x86dd,
};

/** GRE protocol type (an EtherType; 0x6558 is Transparent Ethernet Bridging). */
export const GRE_PROTO: Readonly<Record<string, number>> = { ...ETHERTYPE, eth: 0x6558 };

/** IP protocol / IPv6 next header of the layer that follows an IP header or extension header. */
export const IPPROTO: Readonly<Record<string, number>> = {
  hbh: 0,
  icmp: 1,
  ipv4: 4,
  tcp: 6,
  udp: 17,
  ipv6: 41,
  routing: 43,
  frag6: 44,
  gre: 47,
  icmp6: 58,
  dstopts: 60,
};

/** IPv6 "No Next Header" (RFC 8200 §4.7). */
export const IPPROTO_NONE = 59;
/** EtherType used when nothing follows the Ethernet header: 0x88b5, IEEE 802 local experimental. */
export const ETHERTYPE_EXPERIMENTAL = 0x88b5;
/** IP protocol used when a payload follows an IPv4 header directly: 253, RFC 3692 experimental. */
export const IPPROTO_EXPERIMENTAL = 253;
/** IANA VXLAN port (RFC 7348 §5). */
export const VXLAN_PORT = 4789;

function reverse(t: Readonly<Record<string, number>>): ReadonlyMap<number, string> {
  return new Map(Object.entries(t).map(([k, v]) => [v, k]));
}

/** Layer name by EtherType. */
export const ETHERTYPE_LAYER = reverse(ETHERTYPE);
/** Layer name by GRE protocol. */
export const GRE_LAYER = reverse(GRE_PROTO);
/** Layer name by IP protocol. */
export const IPPROTO_LAYER = reverse(IPPROTO);
