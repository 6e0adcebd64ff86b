/**
 * Extern resolution, as libbpf's bpf_object__collect_externs / bpf_object__resolve_externs
 * do it at open and load time:
 * - `__kconfig` variables (BTF VARs with extern linkage in the `.kconfig` DATASEC) live in one
 *   read-only ARRAY map, `<obj>.kconfig`, holding the emulated kernel's values; each `lddw` of
 *   such a variable becomes a BPF_PSEUDO_MAP_VALUE load at its offset;
 * - `__ksym` functions become BPF_PSEUDO_KFUNC_CALL calls whose `imm` is the function's id in
 *   the emulated kernel's vmlinux BTF (src/isa/kfuncs.ts).
 * Anything else stays an `extern` reference the kernel refuses with a clear message.
 */
import { btfAlignof, btfSizeof, skipModifiers, type Btf } from '../btf/index';
import { ObjectError } from '../util/index';
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, internalMapName, type MapLocation } from './maps';
import { BPF_MAP_TYPE, type MapSpec } from './types';

/** The emulated kernel: Linux 6.18.44 (libbpf caps the sublevel at 255). */
export const KERNEL_VERSION = { major: 6, minor: 18, patch: 44 } as const;

/**
 * The emulated kernel's configuration values libbpf reads (/proc/config.gz of the machine the
 * fixtures were recorded on, plus libbpf's own LINUX_* values). Booleans and tristates are
 * 1 ('y') and 2 ('m') as libbpf stores them in integer or bool externs.
 */
export const KCONFIG: Readonly<Record<string, bigint>> = {
  LINUX_KERNEL_VERSION: BigInt((KERNEL_VERSION.major << 16) + (KERNEL_VERSION.minor << 8) + Math.min(KERNEL_VERSION.patch, 255)),
  LINUX_HAS_BPF_COOKIE: 1n,
  LINUX_HAS_SYSCALL_WRAPPER: 1n,
  CONFIG_HZ: 250n,
  CONFIG_BPF: 1n,
  CONFIG_BPF_SYSCALL: 1n,
  CONFIG_BPF_JIT: 1n,
  CONFIG_BPF_JIT_ALWAYS_ON: 1n,
  CONFIG_BPF_EVENTS: 1n,
  CONFIG_DEBUG_INFO_BTF: 1n,
  CONFIG_XDP_SOCKETS: 1n,
  CONFIG_NET: 1n,
  CONFIG_INET: 1n,
  CONFIG_IPV6: 1n,
  CONFIG_NF_CONNTRACK: 1n,
  CONFIG_NET_SCH_INGRESS: 1n,
  CONFIG_64BIT: 1n,
  CONFIG_X86_64: 1n,
  CONFIG_SMP: 1n,
  CONFIG_NR_CPUS: 64n,
  CONFIG_PAGE_SIZE_4KB: 1n,
};

/** A `.kconfig` map and where each of its variables sits. */
export interface KconfigMap {
  readonly location: MapLocation;
  readonly offsets: ReadonlyMap<string, number>;
}

/** The `.kconfig` externs of the object's BTF, laid out and filled (undefined when none). */
export function kconfigMap(btf: Btf | undefined, objectName: string, weak: ReadonlySet<string>): KconfigMap | undefined {
  if (!btf) return undefined;
  const ds = btf.types.find((t) => t.kind === 'datasec' && t.name === '.kconfig');
  if (!ds || ds.kind !== 'datasec' || ds.vars.length === 0) return undefined;
  const vars = ds.vars.map((v) => {
    const t = btf.types[v.type];
    if (!t || t.kind !== 'var') throw new ObjectError(`.kconfig: entry [${v.type}] is not a VAR`);
    const type = skipModifiers(btf, t.type);
    return { name: t.name, size: btfSizeof(btf, type), align: Math.max(1, btfAlignof(btf, type)) };
  });
  // libbpf's order: by alignment (largest first), then name; offsets packed with alignment.
  vars.sort((a, b) => b.align - a.align || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const offsets = new Map<string, number>();
  let off = 0;
  for (const v of vars) {
    off = Math.ceil(off / v.align) * v.align;
    offsets.set(v.name, off);
    off += v.size;
  }
  const size = Math.max(1, off); // no rounding: a 12-byte .kconfig is a 12-byte value
  const value = new Uint8Array(size);
  const dv = new DataView(value.buffer);
  for (const v of vars) {
    const known = KCONFIG[v.name];
    if (known === undefined) {
      if (!weak.has(v.name) && !v.name.startsWith('CONFIG_')) {
        throw new ObjectError(`extern (kcfg) '${v.name}': value not found (xdpts knows LINUX_KERNEL_VERSION, LINUX_HAS_* and CONFIG_* values)`);
      }
      continue; // libbpf: an unknown CONFIG_ value is 0 ('n')
    }
    const at = offsets.get(v.name)!;
    for (let i = 0; i < v.size && i < 8; i++) dv.setUint8(at + i, Number((known >> BigInt(8 * i)) & 0xffn));
  }
  const map: MapSpec = {
    name: internalMapName(objectName, '.kconfig'),
    type: BPF_MAP_TYPE.ARRAY,
    keySize: 4,
    valueSize: size,
    maxEntries: 1,
    flags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE,
    pinning: 0,
    keyTypeId: 0,
    valueTypeId: 0,
    initialValue: value,
    isGlobalData: true,
    readOnly: true,
    section: '.kconfig',
  };
  return { location: { map, section: -1, offset: 0, data: true }, offsets };
}
