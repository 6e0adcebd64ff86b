/**
 * Helpers of the XDP hook/loader tests: assemble an XDP program from LLVM-syntax text into an
 * object file, and build an emulated network + kernel + XDP manager in process.
 */
import { assemble } from '../../src/asm/index';
import { writeElf } from '../../src/object/index';
import { Kernel, XdpHookRunner, XdpManager } from '../../src/kernel/index';
import { createNetState, linkAddVeth, linkSetUp, netnsAdd, Network, ROOT_NS, type FrameEvent, type NetState, type VerdictEvent } from '../../src/net/index';
import { topologyOf } from '../../src/cli/commands/net-wiring';

/** Assembles `body` as the program `name` in section `section` (with optional `.map` lines) into ELF bytes. */
export function xdpObject(name: string, body: string, opts: { section?: string; maps?: string[]; btf?: false } = {}): Uint8Array {
  const src = [
    ...(opts.maps ?? []),
    `.section ${opts.section ?? 'xdp'},"ax",@progbits`,
    `.globl ${name}`,
    `${name}:`,
    ...body.split('\n').map((l) => `\t${l.trim()}`),
    '.license "GPL"',
    '',
  ].join('\n');
  const r = assemble(src, { file: `${name}.s`, ...(opts.btf === false ? { btf: false } : {}) });
  if (r.kind !== 'elf') throw new Error('expected an ELF object');
  return writeElf(r.elf);
}

/** A world: two veth pairs — v1 (root) ↔ v2 (ns a), v3 (root) ↔ v4 (ns b) — all up, with a kernel and its hook. */
export interface World {
  net: NetState;
  network: Network;
  kernel: Kernel;
  mgr: XdpManager;
  frames: FrameEvent[];
  verdicts: VerdictEvent[];
  /** ifindex of a device. */
  ifindex(ns: string, name: string): number;
}

/** Builds a {@link World}. */
export function makeWorld(): World {
  const net = createNetState({ seed: 11, epochUs: 0 });
  netnsAdd(net, 'a');
  netnsAdd(net, 'b');
  linkAddVeth(net, ROOT_NS, 'v1', 'v2', 'a');
  linkAddVeth(net, ROOT_NS, 'v3', 'v4', 'b');
  for (const [ns, d] of [[ROOT_NS, 'v1'], ['a', 'v2'], [ROOT_NS, 'v3'], ['b', 'v4']] as const) linkSetUp(net, ns, d, true);
  const kernel = new Kernel({ seed: 1, clock: 'virtual' });
  const mgr = new XdpManager(kernel, undefined, topologyOf(net));
  const frames: FrameEvent[] = [];
  const verdicts: VerdictEvent[] = [];
  const network = new Network(net, { hook: new XdpHookRunner(mgr, { comm: 'test', pid: 1 }), onFrame: (e) => frames.push(e), onVerdict: (v) => verdicts.push(v) });
  const ifindex = (ns: string, name: string): number => {
    const d = mgr.topology.byName(ns, name);
    if (!d) throw new Error(`no ${name} in '${ns}'`);
    return d.ifindex;
  };
  return { net, network, kernel, mgr, frames, verdicts, ifindex };
}

/** A 60-byte Ethernet frame (IPv4 ethertype, zero payload) from `src` to `dst` MAC. */
export function frame(marker = 0x42): Uint8Array {
  const f = new Uint8Array(60);
  f.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xb5]); // local experimental ethertype: the stack ignores it
  f[14] = marker;
  return f;
}
