/**
 * Legacy `SEC("maps")` objects (`struct bpf_map_def`): libbpf >= 1.0 refuses them, so the
 * commands that mirror libbpf-based tools (xdp-loader, bpftool) refuse them with the tool's own
 * message, then this line naming the cause and the fix. The library and `xdpts gen` (the
 * cilium/ebpf and bpf2go roles) read them as cilium/ebpf does.
 */
import type { ObjectSpec } from '../../object/types';

export const LEGACY_MAPS_HINT =
  'xdpts: the object defines maps in the legacy SEC("maps") section (struct bpf_map_def), which libbpf >= 1.0 no longer reads: ' +
  'declare them as BTF maps in SEC(".maps") (__uint(type, ...), __type(key, ...)), or load it with the xdpts library or `xdpts gen` bindings, which read legacy maps as cilium/ebpf does';

/** bpftool's refusal of such an object (libbpf's warning, then bpftool's error). */
export const BPFTOOL_LEGACY_MAPS = [
  "libbpf: elf: legacy map definitions in 'maps' section are not supported by libbpf v1.0+",
  'Error: failed to open object file',
];

/** True when the object has a map from the legacy `maps` section. */
export function hasLegacyMaps(spec: ObjectSpec): boolean {
  return spec.maps.some((m) => m.section === 'maps');
}
