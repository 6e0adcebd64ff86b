/**
 * Decoding a frame into the builder's layers and field names, so expectations can name fields
 * (`ipv4.ttl`), failures can be shown field by field, and a decoded packet builds back to the
 * same bytes (lengths and checksums are kept as read). Whatever is not a known header (a
 * truncated header, a later fragment, an unknown protocol) is a `payload(hex=...)`.
 */
import { routingFinalDst } from './build';
import { formatField, getField } from './fields';
import { ETHERTYPE_LAYER, GRE_LAYER } from './protocols';
import { layerDef, LAYERS, type LayerDef, type LayerEnv, type Values } from './layers';
import type { LayerSpec } from './spec';
import type { FieldValue } from './values';

/** One decoded layer: where it is and its values. */
export interface DecodedLayer extends LayerSpec {
  /** Byte offset of the header in the frame. */
  readonly offset: number;
  /** Header length in bytes (for payload: the payload's length). */
  readonly length: number;
  /** For layers with a checksum: whether it is right (UDP's 0 counts as right). */
  readonly checksumValid?: boolean;
}

/** Decodes an Ethernet frame. */
export function decodePacket(frame: Uint8Array): DecodedLayer[] {
  const out: DecodedLayer[] = [];
  let name: string | undefined = 'eth';
  let off = 0;
  let end = frame.length;
  const ips: { idx: number; v: 4 | 6 }[] = [];
  while (name !== undefined && off < end) {
    const def: LayerDef = layerDef(name)!;
    if (end - off < def.fixed) break;
    const b = frame.subarray(off, end);
    const v: Values = new Map();
    for (const f of def.fields) if (f.bit !== undefined) v.set(f.name, getField(b, f));
    const len = def.decodeTail ? def.decodeTail(b, v) : def.fixed;
    if (len === undefined) break;
    const extent = def.extent?.(v, len);
    if (extent !== undefined && extent >= len && off + extent <= end) end = off + extent;
    let checksumValid: boolean | undefined;
    if (def.checksum && def.checksumAt !== undefined && len >= def.checksumAt + 2) {
      const ipLayer = ips.at(-1);
      let dst = ipLayer ? (out[ipLayer.idx]!.fields.get('dst') as Uint8Array) : undefined;
      for (const l of ipLayer ? out.slice(ipLayer.idx + 1) : []) if (l.name === 'routing') dst = routingFinalDst(l.fields as Values) ?? dst;
      const ip = ipLayer ? { v: ipLayer.v, src: out[ipLayer.idx]!.fields.get('src') as Uint8Array, dst: dst! } : undefined;
      const hdr = b.slice(0, len);
      const got = (hdr[def.checksumAt]! << 8) | hdr[def.checksumAt + 1]!;
      hdr[def.checksumAt] = 0;
      hdr[def.checksumAt + 1] = 0;
      const env: LayerEnv = { next: undefined, inner: frame.subarray(off + len, end), ip };
      const want = def.checksum(hdr, env, v);
      if (want !== undefined) checksumValid = got === want || (def.name === 'udp' && got === 0);
    }
    if (name === 'ipv4' || name === 'ipv6') ips.push({ idx: out.length, v: name === 'ipv4' ? 4 : 6 });
    out.push({ name, fields: v, offset: off, length: len, ...(checksumValid !== undefined ? { checksumValid } : {}) });
    off += len;
    name = nextLayer(def, v);
  }
  if (off < frame.length) {
    const rest = frame.slice(off);
    out.push({ name: 'payload', fields: new Map([['hex', rest]]), offset: off, length: rest.length });
  }
  return out;
}

function nextLayer(def: LayerDef, v: Values): string | undefined {
  if (def.name === 'eth' || def.name === 'vlan' || def.name === 'qinq') return ETHERTYPE_LAYER.get(v.get('type') as number);
  if (def.name === 'gre') return GRE_LAYER.get(v.get('proto') as number);
  return def.nextOf?.(v);
}

/** A decoded field: `layer.field` path (a repeated layer is `ipv4[1]`) and its text. */
export interface DecodedField {
  readonly path: string;
  readonly value: FieldValue;
  readonly text: string;
}

/** Paths of the layers: `eth`, `ipv4`, and for the second of a kind `ipv4[1]`, `eth[1]`. */
export function layerPaths(layers: readonly LayerSpec[]): string[] {
  const seen = new Map<string, number>();
  return layers.map((l) => {
    const n = seen.get(l.name) ?? 0;
    seen.set(l.name, n + 1);
    return n === 0 ? l.name : `${l.name}[${n}]`;
  });
}

/** Every field of decoded layers with its path and text, in order. */
export function decodedFields(layers: readonly LayerSpec[]): DecodedField[] {
  const paths = layerPaths(layers);
  const out: DecodedField[] = [];
  layers.forEach((l, i) => {
    const def = layerDef(l.name)!;
    for (const f of def.fields) {
      const x = l.fields.get(f.name);
      if (x !== undefined) out.push({ path: `${paths[i]}.${f.name}`, value: x, text: formatField(f, x) });
    }
  });
  return out;
}

/** A one-line summary of a frame's layers: `eth > ipv4 10.0.0.1 > 10.0.0.2 > udp 1024 > 53 > payload 20`. */
export function summarizePacket(frame: Uint8Array): string {
  return decodePacket(frame)
    .map((l) => {
      const def = layerDef(l.name)!;
      const t = (k: string): string => {
        const f = def.fields.find((x) => x.name === k)!;
        const x = l.fields.get(k);
        return x === undefined ? '?' : formatField(f, x).replace(/ \(0x[0-9a-f]+\)$/, '');
      };
      if (l.name === 'ipv4' || l.name === 'ipv6') return `${l.name} ${t('src')} > ${t('dst')}`;
      if (l.name === 'udp' || l.name === 'tcp') return `${l.name} ${t('sport')} > ${t('dport')}${l.name === 'tcp' ? ` [${t('flags')}]` : ''}`;
      if (l.name === 'payload') return `payload ${l.length}`;
      return l.name;
    })
    .join(' > ');
}

/** The names of every layer (for help texts). */
export const LAYER_NAMES: readonly string[] = LAYERS.map((l) => l.name);
