/**
 * Small checks shared by the test-file readers: node kinds, known keys, integers, map names,
 * and keys/values encoded for a map with errors at the node.
 */
import { readFileSync } from 'node:fs';
import { readCapture } from '../pcap/index';
import { encodeNode, ValueMismatch } from './btf-values';
import type { MapInfo } from './model';
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

/** Encodes a key or value node for a map; a mismatch is an error at the node. */
export function encodeFor(y: YamlFile, m: MapInfo, node: YNode, part: 'key' | 'value'): ReturnType<typeof encodeNode> {
  try {
    return part === 'key' ? encodeNode(node, m.keyLayout, m.spec.keySize) : encodeNode(node, m.valueLayout, m.spec.valueSize);
  } catch (e) {
    if (e instanceof ValueMismatch) throw y.error(e.node, `${part} of map '${m.spec.name}': ${e.message}`);
    throw e;
  }
}

/**
 * Entries of a `maps:` block: `{ name: { KEY: VALUE, ... } }` for scalar keys, or
 * `{ name: [ { key: K, value: V }, ... ] }` for any key. Calls `each` with the nodes.
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
        knownKeys(y, im, ['key', 'value'], `an entry of map '${m.spec.name}'`);
        const k = field(im, 'key');
        const v = field(im, 'value');
        if (!k || !v) throw y.error(im, 'an entry needs a key and a value');
        each(m, k, v, e.key);
      }
    } else throw y.error(e.value, `map '${m.spec.name}' must be a mapping of keys to values, or a list of {key, value}`);
  }
}

/** Reads a capture for a `packet: { pcap: FILE }` input. */
export function captureFrames(path: string): Uint8Array[] {
  return readCapture(new Uint8Array(readFileSync(path))).records.map((r) => r.data);
}
