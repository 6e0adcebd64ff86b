/**
 * `xdp-loader status` and `features` views (xdp-tools xdp-loader/xdp-loader.c `print_iface_status`,
 * `iface_print_status`, `do_features`). Column geometry (reference §1.2): values left-aligned,
 * never truncated; interface/dispatcher rows `%-16s %-5s %-17s %-8s %-4d %-17s`, component rows
 * ` =>` then prio `%-5d` followed by two spaces, name `%-16s`, an empty mode, id, tag and the
 * chain-call actions.
 */
import { formatActions } from '../xdp/actions';
import type { XdpManager } from '../xdp/manager';
import type { XdpDevice } from '../xdp/topology';
import { deviceStatusJson } from './xdp-loader';

const pad = (s: string | number, n: number): string => String(s).padEnd(n);

/** The status table header (three lines before the rows). */
export const STATUS_HEADER = [
  'CURRENT XDP PROGRAM STATUS:',
  '',
  'Interface        Prio  Program name      Mode     ID   Tag               Chain actions',
  '-'.repeat(86),
];

/** The rows of one device. */
export function statusRows(mgr: XdpManager, dev: XdpDevice): string[] {
  const atts = mgr.attachmentsOf(dev.ns, dev.ifindex);
  if (atts.length === 0) return [`${pad(dev.name, 22)} <No XDP program loaded!>`];
  const k = mgr.kernel;
  const rows: string[] = [];
  const ordered = [...atts.filter((a) => a.mode === 'hw'), ...atts.filter((a) => a.mode !== 'hw')];
  for (const a of ordered) {
    const p = k.program(a.progId);
    const name = a.dispatcher ? 'xdp_dispatcher' : (p?.funcName ?? '');
    rows.push(`${pad(dev.name, 16)} ${pad('', 5)} ${pad(name, 17)} ${pad(a.mode, 8)} ${pad(a.progId, 4)} ${pad(p?.tag ?? '', 17)}`);
    for (const c of a.dispatcher?.components ?? []) {
      const cp = k.program(c.progId);
      rows.push(`${pad(' =>', 16)} ${pad(c.runPrio, 5)}  ${pad(c.name, 16)} ${pad('', 8)} ${pad(c.progId, 4)} ${pad(cp?.tag ?? c.tag, 17)} ${formatActions(c.chainCallActions)}`);
    }
  }
  return rows;
}

/** The whole status output for the given devices (every device of the namespace, or one). */
export function statusText(mgr: XdpManager, devs: readonly XdpDevice[]): string[] {
  return [...STATUS_HEADER, ...devs.flatMap((d) => statusRows(mgr, d)), ''];
}

/** `status --json`: one object per device. */
export function statusJson(mgr: XdpManager, devs: readonly XdpDevice[]): unknown[] {
  return devs.map((d) => deviceStatusJson(mgr, d));
}

/** The seven NETDEV_XDP_ACT_* feature flags in xdp-loader's order (uapi netdev.h). */
export const XDP_FEATURES = [
  'NETDEV_XDP_ACT_BASIC',
  'NETDEV_XDP_ACT_REDIRECT',
  'NETDEV_XDP_ACT_NDO_XMIT',
  'NETDEV_XDP_ACT_XSK_ZEROCOPY',
  'NETDEV_XDP_ACT_HW_OFFLOAD',
  'NETDEV_XDP_ACT_RX_SG',
  'NETDEV_XDP_ACT_NDO_XMIT_SG',
] as const;

/**
 * What a device advertises (observed on 6.18, reference §1.1): veth has BASIC, REDIRECT and
 * RX_SG, and NDO_XMIT(_SG) only while its peer runs a native program (veth_enable_xdp sets them
 * on the peer); `lo` advertises nothing; the emulated Ethernet NIC is a driver with native XDP
 * and ndo_xdp_xmit (like virtio_net).
 */
export function deviceFeatures(mgr: XdpManager, dev: XdpDevice): Record<(typeof XDP_FEATURES)[number], boolean> {
  const f = Object.fromEntries(XDP_FEATURES.map((n) => [n, false])) as Record<(typeof XDP_FEATURES)[number], boolean>;
  if (dev.kind === 'veth') {
    f.NETDEV_XDP_ACT_BASIC = f.NETDEV_XDP_ACT_REDIRECT = f.NETDEV_XDP_ACT_RX_SG = true;
    const peerNative = dev.peer !== undefined && mgr.hasNative(dev.peer.ns, dev.peer.ifindex);
    f.NETDEV_XDP_ACT_NDO_XMIT = f.NETDEV_XDP_ACT_NDO_XMIT_SG = peerNative;
  } else if (dev.kind === 'ether') {
    f.NETDEV_XDP_ACT_BASIC = f.NETDEV_XDP_ACT_REDIRECT = f.NETDEV_XDP_ACT_NDO_XMIT = true;
  }
  return f;
}

/** `features` text: `NAME:` then one tab for names of 23+ characters, two for shorter, then yes/no. */
export function featuresText(features: Record<string, boolean>): string[] {
  return XDP_FEATURES.map((n) => `${n}:${n.length >= 23 ? '\t' : '\t\t'}${features[n] ? 'yes' : 'no'}`);
}
