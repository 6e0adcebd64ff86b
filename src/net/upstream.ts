/**
 * The emulated upstream peer behind the root namespace's eth0: a router holding the gateway
 * address that answers ARP requests for it and ICMP echo requests to it, so that a fresh state
 * can attach a program to eth0 and see real traffic. It forwards nothing (no emulated Internet:
 * other destinations are silently lost, as behind a firewall).
 */
import { parseIpv4 } from './addr';
import {
  ARPOP_REPLY,
  ARPOP_REQUEST,
  buildArp,
  buildEthernet,
  buildIcmp,
  buildIpv4,
  ETH_P_ARP,
  ETH_P_IP,
  ICMP_ECHO,
  ICMP_ECHOREPLY,
  IPPROTO_ICMP,
  parseArp,
  parseEthernet,
  parseIcmp,
  parseIpv4Packet,
} from './packet';
import type { UpstreamState } from './types';

/** The router's answer to a frame eth0 transmitted, if it answers at all. */
export function upstreamReply(up: UpstreamState, frame: Uint8Array, ipId: number): Uint8Array | undefined {
  const eth = parseEthernet(frame);
  if (!eth) return undefined;
  const upIp = parseIpv4(up.ip)!;
  if (eth.ethertype === ETH_P_ARP) {
    const a = parseArp(eth.payload);
    if (a && a.op === ARPOP_REQUEST && a.tpa === upIp) return buildArp(ARPOP_REPLY, a.sha, up.mac, upIp, a.sha, a.spa);
    return undefined;
  }
  if (eth.ethertype !== ETH_P_IP || eth.dst !== up.mac) return undefined;
  const ip = parseIpv4Packet(eth.payload);
  if (!ip || ip.dst !== upIp || ip.proto !== IPPROTO_ICMP) return undefined;
  const m = parseIcmp(ip.payload);
  if (!m || m.type !== ICMP_ECHO) return undefined;
  const reply = buildIcmp(ICMP_ECHOREPLY, 0, (m.id << 16) | m.seq, m.data);
  return buildEthernet(eth.src, up.mac, ETH_P_IP, buildIpv4({ src: upIp, dst: ip.src, proto: IPPROTO_ICMP, id: ipId }, reply));
}
