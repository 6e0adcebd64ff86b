/**
 * iproute2's `ip [-force] link set DEV {xdp|xdpgeneric|xdpdrv|xdpoffload} {obj FILE [sec SECTION] | off}`
 * (iproute2 ip/iplink_xdp.c + lib/bpf_libbpf.c): the legacy single-program attach, no dispatcher.
 * `xdp` carries no mode flag (veth → native, lo → generic); the default section is `prog`;
 * without `-force` an attached program is not replaced (XDP_FLAGS_UPDATE_IF_NOEXIST). Messages
 * and exit statuses as observed on iproute2 6.1 / Linux 6.18 (reference §4.5): kernel refusals
 * `Error: <extack>` exit 2, libbpf failures exit 255 (the verifier log in full), a missing device
 * `Cannot find device "X"` exit 1.
 */
import { BPF_PROG_TYPE_XDP, type ObjectSpec } from '../../object/types';
import { loadObject } from '../../object/load';
import { VerifierError, XdptsError } from '../../util/errors';
import type { BpfMap } from '../maps/map';
import { XdpError } from '../xdp/errors';
import { dispatcherDir, XdpManager } from '../xdp/manager';
import type { XdpMode } from '../xdp/state';
import { failure, success, type ToolOutcome } from './outcome';

/** The `link set` XDP keywords and the mode each asks for. */
export const IP_XDP_KEYWORDS: Record<string, XdpMode | 'unspecified'> = { xdp: 'unspecified', xdpgeneric: 'skb', xdpdrv: 'native', xdpoffload: 'hw' };

/** One `ip link set DEV <keyword> ...` request. */
export interface IpXdpRequest {
  ns: string;
  dev: string;
  keyword: keyof typeof IP_XDP_KEYWORDS;
  /** The object file, or undefined for `off`. */
  obj?: string;
  /** `sec SECTION` (default `prog`). */
  sec?: string;
  /** `ip -force`: replace an attached program. */
  force?: boolean;
  readFile(path: string): Uint8Array | undefined;
}

/** Runs one `ip link set DEV xdp...` request on the emulated kernel. */
export function ipLinkSetXdp(mgr: XdpManager, r: IpXdpRequest): ToolOutcome {
  const dev = mgr.topology.byName(r.ns, r.dev);
  if (!dev) return failure(1, [`Cannot find device "${r.dev}"`]);
  const mode = XdpManager.resolveMode(dev, IP_XDP_KEYWORDS[r.keyword] ?? 'unspecified');
  if (r.obj === undefined) {
    const cur = mgr.attachment(dev.ns, dev.ifindex, mode);
    if (cur?.dispatcher) mgr.bpffs.removeTree(dispatcherDir(dev.ifindex, cur.progId));
    mgr.detach(dev, mode);
    return success();
  }
  const bytes = r.readFile(r.obj);
  if (!bytes) return failure(255, ['Cannot initialize ELF context!']);
  let spec: ObjectSpec;
  try {
    spec = loadObject(bytes, r.obj);
  } catch (e) {
    if (e instanceof XdptsError) return failure(255, ['Cannot initialize ELF context!']);
    throw e;
  }
  const sec = r.sec ?? 'prog';
  const prog = spec.programs.find((p) => p.section === sec);
  if (!prog) return failure(255, [`object file doesn't contain sec ${sec}`]);
  const k = mgr.kernel;
  const maps = new Map<string, BpfMap>();
  const made: BpfMap[] = [];
  const undo = (): void => {
    for (const m of made) if (k.map(m.id) && !k.mapsInUse().has(m.id)) k.deleteMap(m.id);
  };
  let progId: number;
  try {
    for (const ms of spec.maps) {
      const m = k.createMapFromSpec(ms);
      maps.set(ms.name, m);
      made.push(m);
    }
    k.initMapInMapSlots(spec.maps, maps);
    progId = k.loadProgramSpec({ ...prog, type: BPF_PROG_TYPE_XDP }, spec.maps, maps).id;
  } catch (e) {
    undo();
    if (e instanceof VerifierError)
      return failure(255, [
        `libbpf: prog '${prog.name}': BPF program load failed: Permission denied`,
        `libbpf: prog '${prog.name}': -- BEGIN PROG LOAD LOG --`,
        ...e.log.replace(/\n$/, '').split('\n'),
        '-- END PROG LOAD LOG --',
        `libbpf: prog '${prog.name}': failed to load: -13`,
        `libbpf: failed to load object '${r.obj}'`,
      ]);
    if (e instanceof XdptsError) return failure(255, [`libbpf: prog '${prog.name}': BPF program load failed: Invalid argument`, `libbpf: failed to load object '${r.obj}'`]);
    throw e;
  }
  // Maps no program uses die with the object's descriptors.
  for (const m of made) if (!k.mapsInUse().has(m.id)) k.deleteMap(m.id);
  if (mode === 'hw') {
    k.unloadProgram(progId, { freeMaps: true });
    return failure(255, [`libbpf: prog '${prog.name}': BPF program load failed: Invalid argument`, `libbpf: failed to load object '${r.obj}'`]);
  }
  try {
    const cur = mgr.attachment(dev.ns, dev.ifindex, mode);
    if (r.force && cur?.dispatcher) mgr.bpffs.removeTree(dispatcherDir(dev.ifindex, cur.progId));
    mgr.attach(dev, progId, mode, r.force ? {} : { noexist: true });
  } catch (e) {
    mgr.release(progId);
    if (e instanceof XdpError) return failure(2, [`Error: ${e.extack}`]);
    throw e;
  }
  return success();
}
