/**
 * iproute2's `-o` (oneline) and `-d` (details) views, as iproute2 6.1 prints them on Linux 6.18
 * (recorded in test/e2e/ip-oneline-details.test.ts).
 *
 * `-o` turns each record into one line: a continuation line is appended after a `\` (ip link,
 * ip neigh, ip route). `ip -o addr` is different: one line per address, headed `N: NAME` (no
 * `@peer`) and four spaces, the lifetime line appended after `\`; link lines are left out.
 *
 * `-d` adds the device's details to its link/ether line (`promiscuity 0  allmulti 0 minmtu 68
 * maxmtu 65535 `) and, for a device with a link kind (veth), a line naming the kind followed by
 * the generic attributes; `ip link` shows `addrgenmode eui64` among them, `ip addr` does not.
 */
import type { IfaceState } from './types';

/** Joins each record's continuation lines (those that start with a space) onto it with `\`. */
export function onelineRecords(lines: Iterable<string>): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (out.length > 0 && /^\s/.test(l)) out[out.length - 1] += `\\${l}`;
    else out.push(l);
  }
  return out;
}

/** `ip -o addr`: one line per address from the `ip addr` lines of each device. */
export function onelineAddrs(lines: Iterable<string>): string[] {
  const out: string[] = [];
  let head = '';
  let pending: string | undefined;
  const flush = (): void => {
    if (pending !== undefined) out.push(pending);
    pending = undefined;
  };
  for (const l of lines) {
    const h = /^(\d+): ([^:@]+)[@:]/.exec(l);
    if (h) {
      flush();
      head = `${h[1]}: ${h[2]}`;
    } else if (/^ {4}inet6? /.test(l)) {
      flush();
      pending = `${head}${l}`;
    } else if (/^ {7}/.test(l) && pending !== undefined) pending += `\\${l}`;
  }
  flush();
  return out;
}

/** The device's link kind as IFLA_INFO_KIND names it (physical devices and lo have none). */
function kindOf(i: IfaceState): string | undefined {
  return i.kind === 'veth' ? 'veth' : undefined;
}

/** Numbers the kernel reports for the emulated devices (veth: one queue per CPU of the recording machine, 2). */
function numbers(i: IfaceState): { minmtu: number; maxmtu: number; queues: number; tsoMax: number } {
  if (i.kind === 'loopback') return { minmtu: 0, maxmtu: 0, queues: 1, tsoMax: 524280 };
  if (i.kind === 'veth') return { minmtu: 68, maxmtu: 65535, queues: 2, tsoMax: 524280 };
  // eth0 stands for a plain NIC: ethernet MTU bounds, one queue.
  return { minmtu: 68, maxmtu: 65535, queues: 1, tsoMax: 65536 };
}

/**
 * The `-d` text of a device: `suffix` goes at the end of its link/ether line; `line`, when
 * present, is a line of its own after it. `linkView` is `ip link` (which shows addrgenmode).
 */
export function detailsText(i: IfaceState, linkView: boolean): { suffix: string; line?: string } {
  const n = numbers(i);
  const generic = `${linkView ? 'addrgenmode eui64 ' : ''}numtxqueues ${n.queues} numrxqueues ${n.queues} gso_max_size 65536 gso_max_segs 65535 tso_max_size ${n.tsoMax} tso_max_segs 65535 gro_max_size 65536 `;
  const head = ` promiscuity 0  allmulti 0 minmtu ${n.minmtu} maxmtu ${n.maxmtu} `;
  const kind = kindOf(i);
  return kind ? { suffix: head, line: `    ${kind} ${generic}` } : { suffix: `${head}${generic}` };
}

/** The `-d -j` fields of a device, in iproute2's order (after `link_netnsid`). */
export function detailsJson(i: IfaceState): Record<string, unknown> {
  const n = numbers(i);
  const kind = kindOf(i);
  return {
    promiscuity: 0,
    allmulti: 0,
    min_mtu: n.minmtu,
    max_mtu: n.maxmtu,
    ...(kind ? { linkinfo: { info_kind: kind } } : {}),
    inet6_addr_gen_mode: 'eui64',
    num_tx_queues: n.queues,
    num_rx_queues: n.queues,
    gso_max_size: 65536,
    gso_max_segs: 65535,
    tso_max_size: n.tsoMax,
    tso_max_segs: 65535,
    gro_max_size: 65536,
  };
}

/** One device's `ip link`/`ip addr` lines (its header first, its link line second) with the `-d` details added. */
export function withDetails(lines: readonly string[], i: IfaceState, linkView: boolean): string[] {
  if (lines.length < 2 || !/^ {4}link\//.test(lines[1]!)) return [...lines];
  const d = detailsText(i, linkView);
  return [lines[0]!, `${lines[1]}${d.suffix}`, ...(d.line ? [d.line] : []), ...lines.slice(2)];
}
