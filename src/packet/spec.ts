/**
 * The layer syntax: `eth()/ipv4(src=10.0.0.7, ttl=5)/udp(dport=53)/payload(len=20)`. Layers are
 * separated by `/`; each has optional parentheses with `field=value` pairs separated by commas;
 * a value is bare text or a double-quoted string (`text="GET /"`). A mistake is a
 * {@link PacketSpecError} with the 0-based offset in the text, so a caller can point at it.
 */
import { XdptsError } from '../util/index';
import { parseField } from './fields';
import { layerDef, LAYERS } from './layers';
import { ValueError, type FieldValue } from './values';

/** A malformed layer spec; `offset` is the 0-based character offset of the problem. */
export class PacketSpecError extends XdptsError {
  readonly offset: number;
  readonly reason: string;
  constructor(reason: string, offset: number) {
    super(`${reason} (at column ${offset + 1} of the packet spec)`, 'packet');
    this.name = 'PacketSpecError';
    this.offset = offset;
    this.reason = reason;
  }
}

/** One layer as written: its canonical name and the fields given. */
export interface LayerSpec {
  readonly name: string;
  readonly fields: ReadonlyMap<string, FieldValue>;
}

/** Parses a layer spec. Throws PacketSpecError. */
export function parsePacketSpec(text: string): LayerSpec[] {
  const layers: LayerSpec[] = [];
  let i = 0;
  const ws = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  ws();
  if (i >= text.length) throw new PacketSpecError('empty packet spec: expected layers like eth()/ipv4()/udp()', i);
  for (;;) {
    ws();
    const start = i;
    while (i < text.length && /[A-Za-z0-9_.]/.test(text[i]!)) i++;
    const word = text.slice(start, i);
    if (word === '') throw new PacketSpecError(`expected a layer name, found '${text[i] ?? 'end of text'}'`, i);
    const def = layerDef(word);
    if (!def) throw new PacketSpecError(`unknown layer '${word}'; known layers: ${LAYERS.map((l) => l.name).join(', ')}`, start);
    const fields = new Map<string, FieldValue>();
    ws();
    if (text[i] === '(') {
      i++;
      ws();
      while (text[i] !== ')') {
        if (i >= text.length) throw new PacketSpecError(`unclosed '(' of layer ${def.name}`, i);
        const ks = i;
        while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
        const key = text.slice(ks, i).toLowerCase();
        if (key === '') throw new PacketSpecError(`expected a field name of ${def.name}, found '${text[i]}'`, i);
        const f = def.fields.find((x) => x.name === key);
        if (!f) throw new PacketSpecError(`unknown field '${key}' of ${def.name}; its fields: ${def.fields.map((x) => x.name).join(', ')}`, ks);
        ws();
        if (text[i] !== '=') throw new PacketSpecError(`expected '=' after ${def.name}.${key}`, i);
        i++;
        ws();
        const vs = i;
        let raw: string;
        if (text[i] === '"') {
          const end = text.indexOf('"', i + 1);
          if (end < 0) throw new PacketSpecError('unclosed string', i);
          raw = text.slice(i + 1, end);
          i = end + 1;
        } else {
          while (i < text.length && !/[,)]/.test(text[i]!)) i++;
          raw = text.slice(vs, i).trim();
        }
        if (fields.has(key)) throw new PacketSpecError(`${def.name}.${key} is given twice`, ks);
        fields.set(key, fieldValue(def.name, key, raw, vs));
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== ')') throw new PacketSpecError(`expected ',' or ')' in ${def.name}(...)`, i);
      }
      i++;
    }
    checkLayer(def.name, fields, start);
    layers.push({ name: def.name, fields });
    ws();
    if (i >= text.length) break;
    if (text[i] !== '/') throw new PacketSpecError(`expected '/' between layers, found '${text[i]}'`, i);
    i++;
  }
  return layers;
}

function fieldValue(layer: string, key: string, raw: string, at: number): FieldValue {
  if (layer === 'payload' && key === 'text') return new TextEncoder().encode(raw);
  const f = layerDef(layer)!.fields.find((x) => x.name === key)!;
  try {
    return parseField(f, raw);
  } catch (e) {
    if (e instanceof ValueError) throw new PacketSpecError(`${layer}.${key}: ${e.message}`, at);
    throw e;
  }
}

function checkLayer(name: string, fields: ReadonlyMap<string, FieldValue>, at: number): void {
  if (name === 'payload') {
    const kinds = ['len', 'hex', 'text'].filter((k) => fields.has(k));
    if (kinds.length > 1) throw new PacketSpecError(`payload takes one of len=, hex= or text=, not ${kinds.join(' and ')}`, at);
  }
}

/** Writes layers back as spec text (values in their usual notation). */
export function formatPacketSpec(layers: readonly LayerSpec[], format: (layer: string, field: string, v: FieldValue) => string): string {
  return layers
    .map((l) => {
      const args = [...l.fields].map(([k, v]) => `${k}=${format(l.name, k, v)}`);
      return `${l.name}(${args.join(', ')})`;
    })
    .join('/');
}
