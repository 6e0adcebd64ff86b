/**
 * What the XDP side of the kernel needs to know about network devices, as a tiny interface the
 * composing layer (src/cli, src/index.ts) implements over src/net — the kernel may not import
 * the network (ARCHITECTURE.md), so the network is described to it instead.
 */

/** One network device as the kernel's XDP code sees it. */
export interface XdpDevice {
  ns: string;
  ifindex: number;
  name: string;
  mac: string;
  /** veth, loopback (`lo`), or an emulated Ethernet NIC (eth0). */
  kind: 'veth' | 'loopback' | 'ether';
  up: boolean;
  /** The other end of a veth pair. */
  peer?: { ns: string; ifindex: number };
}

/** The device view the XDP code queries. */
export interface XdpTopology {
  /** The device with this ifindex in namespace `ns`. */
  device(ns: string, ifindex: number): XdpDevice | undefined;
  /** The device with this name in namespace `ns`. */
  byName(ns: string, name: string): XdpDevice | undefined;
  /** Every device of namespace `ns`, in ifindex order. */
  list(ns: string): XdpDevice[];
  /** The device with this MAC address in any namespace (a device moved to another netns). */
  byMac(mac: string): XdpDevice | undefined;
}

/** A topology with no devices (a kernel used without a network). */
export const EMPTY_TOPOLOGY: XdpTopology = {
  device: () => undefined,
  byName: () => undefined,
  list: () => [],
  byMac: () => undefined,
};

/**
 * Whether a device has native (driver) XDP support. veth has had it since 4.19; the emulated
 * Ethernet NIC has it; `lo` has none (xdp-loader: "native mode not supported").
 */
export function supportsNative(d: XdpDevice): boolean {
  return d.kind !== 'loopback';
}

/** No emulated device can offload XDP to hardware (a NIC with an offload-capable firmware would). */
export function supportsOffload(_d: XdpDevice): boolean {
  return false;
}
