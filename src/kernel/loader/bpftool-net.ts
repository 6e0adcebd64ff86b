/**
 * `bpftool net show|list [dev NAME]` (bpftool 7.1.0, recorded on Linux 6.18 in
 * test/kernel/bpftool-net.test.ts): the XDP programs attached in the current namespace, one
 * `NAME(IFINDEX) MODE id N` line per attachment in ifindex order (mode `generic`, `driver` or
 * `offload`; behind libxdp's dispatcher the id is the dispatcher's), then the empty `tc:` and
 * `flow_dissector:` sections (the emulated kernel has neither). `-j` gives one object per
 * section; an unknown device is "invalid devname NAME" (255).
 */
import type { XdpManager } from '../xdp/manager';
import { bpftoolError } from './bpftool-args';
import { success, type ToolOutcome } from './outcome';

const MODE = { skb: 'generic', native: 'driver', hw: 'offload' } as const;

/** `bpftool net show [dev NAME]` in namespace `ns`. */
export function netShow(mgr: XdpManager, ns: string, args: readonly string[], json: boolean): ToolOutcome {
  let devs = mgr.topology.list(ns);
  if (args.length > 0) {
    if (args[0] !== 'dev' || args.length !== 2) return bpftoolError(args[0] === 'dev' ? 'expected exactly one argument after dev' : `expected 'dev', got: '${args[0]}'?`, json);
    const d = mgr.topology.byName(ns, args[1]!);
    if (!d) return bpftoolError(`invalid devname ${args[1]}`, json);
    devs = [d];
  }
  const xdp = [...devs]
    .sort((a, b) => a.ifindex - b.ifindex)
    .flatMap((d) => mgr.attachmentsOf(ns, d.ifindex).map((a) => ({ devname: d.name, ifindex: d.ifindex, mode: MODE[a.mode], id: a.progId })));
  const text = ['xdp:', ...xdp.map((x) => `${x.devname}(${x.ifindex}) ${x.mode} id ${x.id}`), '', 'tc:', '', 'flow_dissector:', ''];
  return success(text, [{ xdp, tc: [], flow_dissector: [] }]);
}
