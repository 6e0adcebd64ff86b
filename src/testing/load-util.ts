/**
 * Small checks shared by the test-file readers: node kinds, known keys, integers, map names,
 * and keys/values encoded for a map with errors at the node.
 */
import { readFileSync } from 'node:fs';
import { BPF_MAP_TYPE } from '../object/index';
import { readCapture } from '../pcap/index';
import { encodeNode, ValueMismatch, type Encoded } from './btf-values';
import type { MapInfo, PerCpu } from './model';
import { field, scalarText, type YamlFile, type YMap, type YNode } from './yaml';

/** Checks that a mapping has only known keys. */
export function knownKeys(y: YamlFile, m: YMap, known: readonly string[], what: string): void {
  for (const e of m.entries) {
    const k = scalarText(e.key);
    if (!known.includes(k)) throw y.error(e.key, `unknown field '${k}' in ${what}; expected one of ${known.join(', ')}`);
  }
}

/** The node as a mapping, or an error. */
export function asMap(y: YamlFile, n: YNode | undefined, what: string): YMap {
  if (!n || n.kind !== 'map') throw y.error(n ?? y.root, `${what} must be a mapping`);
  return n;
}

/** A scalar's text, or an error. */
export function asText(y: YamlFile, n: YNode, what: string): string {
  if (n.kind !== 'scalar' || n.value === null) throw y.error(n, `${what} must be a value`);
  return scalarText(n);
}

/** A boolean scalar (`true` / `false`), or an error. */
export function asBool(y: YamlFile, n: YNode, what: string): boolean {
  if (n.kind !== 'scalar' || typeof n.value !== 'boolean') throw y.error(n, `${what} must be true or false`);
  return n.value;
}

/** An unsigned integer scalar, or an error. */
export function asUint(y: YamlFile, n: YNode, what: string, max = 0xffffffff): number {
  const v = n.kind === 'scalar' ? (typeof n.value === 'number' ? n.value : Number(scalarText(n))) : NaN;
  if (!Number.isInteger(v) || v < 0 || v > max) throw y.error(n, `${what} must be an integer from 0 to ${max}`);
  return v;
}

/** The map a node names, or an error listing the object's maps. */
export function mapInfo(y: YamlFile, maps: ReadonlyMap<string, MapInfo>, node: YNode): MapInfo {
  const name = asText(y, node, 'a map name');
  const m = maps.get(name);
  if (!m) throw y.error(node, `the object has no map '${name}'; it has: ${[...maps.keys()].join(', ') || 'none'}`);
  return m;
}

/** Maps whose key is an index below max_entries (kernel/bpf/arraymap.c and the fd/redirect arrays). */
const INDEXED = new Set<number>([
  BPF_MAP_TYPE.ARRAY, BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.PROG_ARRAY, BPF_MAP_TYPE.PERF_EVENT_ARRAY, BPF_MAP_TYPE.CGROUP_ARRAY,
  BPF_MAP_TYPE.ARRAY_OF_MAPS, BPF_MAP_TYPE.DEVMAP, BPF_MAP_TYPE.CPUMAP, BPF_MAP_TYPE.XSKMAP,
]);
/** Maps whose values user space sees CPU by CPU (`map_is_per_cpu` in bpftool and libbpf). */
const PER_CPU = new Set<number>([BPF_MAP_TYPE.PERCPU_HASH, BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.LRU_PERCPU_HASH, BPF_MAP_TYPE.PERCPU_CGROUP_STORAGE]);

/** Whether a map's values are per CPU. */
export const isPerCpuMap = (m: MapInfo): boolean => PER_CPU.has(m.spec.type);

/** Whether a value is given CPU by CPU. */
export function isPerCpu<T extends object>(v: T | PerCpu<T>): v is PerCpu<T> {
  return 'perCpu' in v;
}

/** Encodes a key or value node for a map; a mismatch (or an index past an array's end) is an error at the node. */
export function encodeFor(y: YamlFile, m: MapInfo, node: YNode, part: 'key' | 'value'): Encoded {
  let e: Encoded;
  try {
    e = part === 'key' ? encodeNode(node, m.keyLayout, m.spec.keySize) : encodeNode(node, m.valueLayout, m.spec.valueSize);
  } catch (err) {
    if (err instanceof ValueMismatch) throw y.error(err.node, `${part} of map '${m.spec.name}': ${err.message}`);
    throw err;
  }
  if (part === 'key' && INDEXED.has(m.spec.type) && e.bytes.length === 4) {
    const i = new DataView(e.bytes.buffer, e.bytes.byteOffset).getUint32(0, true);
    if (i >= m.spec.maxEntries) throw y.error(node, `key of map '${m.spec.name}': index ${i} is past its ${m.spec.maxEntries} entries (0..${m.spec.maxEntries - 1})`);
  }
  return e;
}

/**
 * A value for a map: for per-CPU maps either one value for every CPU (as `bpftool map update`
 * writes one value to all CPUs) or bpftool's per-CPU list `[{cpu: 0, value: V}, ...]`, each CPU
 * below `cpus`.
 */
export function encodeValue(y: YamlFile, m: MapInfo, node: YNode, cpus: number): Encoded | PerCpu<Encoded> {
  const listed = node.kind === 'seq' && node.items.length > 0 && node.items.every((i) => i.kind === 'map' && field(i, 'cpu') !== undefined);
  if (!listed || !isPerCpuMap(m)) return encodeFor(y, m, node, 'value');
  const perCpu = new Map<number, Encoded>();
  for (const item of node.items) {
    const im = asMap(y, item, 'a per-CPU value');
    knownKeys(y, im, ['cpu', 'value'], `a per-CPU value of map '${m.spec.name}'`);
    const cpuNode = field(im, 'cpu')!;
    const cpu = asUint(y, cpuNode, 'cpu');
    if (cpu >= cpus) throw y.error(cpuNode, `cpu ${cpu}: the emulated kernel has ${cpus} CPU${cpus === 1 ? '' : 's'} (set 'setup.cpus' for more)`);
    if (perCpu.has(cpu)) throw y.error(cpuNode, `cpu ${cpu} is given twice`);
    const v = field(im, 'value');
    if (!v) throw y.error(im, 'a per-CPU value needs a cpu and a value');
    perCpu.set(cpu, encodeFor(y, m, v, 'value'));
  }
  return { perCpu };
}

/**
 * Entries of a `maps:` block: `{ name: { KEY: VALUE, ... } }` for scalar keys, or
 * `{ name: [ { key: K, value: V }, ... ] }` for any key (per-CPU maps also take bpftool's
 * `{ key: K, values: [{cpu, value}, ...] }`). Calls `each` with the nodes.
 */
export function eachMapEntry(
  y: YamlFile, node: YNode, maps: ReadonlyMap<string, MapInfo>,
  each: (m: MapInfo, key: YNode, value: YNode, mapNode: YNode) => void,
): void {
  for (const e of asMap(y, node, 'maps').entries) {
    const m = mapInfo(y, maps, e.key);
    if (e.value.kind === 'map') for (const kv of e.value.entries) each(m, kv.key, kv.value, e.key);
    else if (e.value.kind === 'seq') {
      for (const item of e.value.items) {
        const im = asMap(y, item, `an entry of map '${m.spec.name}'`);
        knownKeys(y, im, isPerCpuMap(m) ? ['key', 'value', 'values'] : ['key', 'value'], `an entry of map '${m.spec.name}'`);
        const k = field(im, 'key');
        const v = field(im, 'value') ?? field(im, 'values');
        if (!k || !v) throw y.error(im, `an entry needs a key and a value${isPerCpuMap(m) ? ' (or per-CPU values)' : ''}`);
        if (field(im, 'value') && field(im, 'values')) throw y.error(im, "give 'value' (every CPU) or 'values' (CPU by CPU), not both");
        each(m, k, v, e.key);
      }
    } else throw y.error(e.value, `map '${m.spec.name}' must be a mapping of keys to values, or a list of {key, value}`);
  }
}

/** Reads a capture for a `packet: { pcap: FILE }` input. */
export function captureFrames(path: string): Uint8Array[] {
  return readCapture(new Uint8Array(readFileSync(path))).records.map((r) => r.data);
}
