/**
 * The library face of the packet builder: `packet.eth().ipv4({ src: '10.0.0.7' }).udp({ dport: 53 })
 * .payload({ len: 20 }).build()`. Immutable: each call returns a new builder. Values are numbers,
 * strings in the layer syntax's notation (`'10.0.0.7'`, `'SA'`, `'fd00::2'`) or bytes.
 */
import { XdptsError } from '../util/index';
import { buildPacket } from './build';
import { decodePacket, layerPaths } from './decode';
import { formatField, parseField } from './fields';
import { layerDef } from './layers';
import { formatPacketSpec, parsePacketSpec, type LayerSpec } from './spec';
import { hexOf, ValueError, type FieldValue } from './values';

/** Field values as a library user writes them. */
export type FieldInput = Readonly<Record<string, number | string | Uint8Array>>;

/** Parses one field of a layer given as a JS value; XdptsError names the field. */
export function fieldFromInput(layer: string, key: string, x: number | string | Uint8Array): FieldValue {
  const def = layerDef(layer);
  if (!def) throw new XdptsError(`unknown layer '${layer}'`, 'packet');
  const f = def.fields.find((y) => y.name === key);
  if (!f) throw new XdptsError(`unknown field '${key}' of ${def.name}; its fields: ${def.fields.map((y) => y.name).join(', ')}`, 'packet');
  if (x instanceof Uint8Array) return x;
  if (layer === 'payload' && key === 'text') return new TextEncoder().encode(String(x));
  try {
    return parseField(f, String(x));
  } catch (e) {
    if (e instanceof ValueError) throw new XdptsError(`${def.name}.${key}: ${e.message}`, 'packet');
    throw e;
  }
}

/** An immutable list of layers that builds into a frame. */
export class PacketBuilder {
  readonly layers: readonly LayerSpec[];
  constructor(layers: readonly LayerSpec[] = []) {
    this.layers = layers;
  }
  /** Appends a layer by name. */
  layer(name: string, fields: FieldInput = {}): PacketBuilder {
    const def = layerDef(name);
    if (!def) throw new XdptsError(`unknown layer '${name}'`, 'packet');
    const m = new Map<string, FieldValue>();
    for (const [k, x] of Object.entries(fields)) m.set(k, fieldFromInput(def.name, k, x));
    return new PacketBuilder([...this.layers, { name: def.name, fields: m }]);
  }
  eth(f?: FieldInput): PacketBuilder { return this.layer('eth', f); }
  vlan(f?: FieldInput): PacketBuilder { return this.layer('vlan', f); }
  qinq(f?: FieldInput): PacketBuilder { return this.layer('qinq', f); }
  arp(f?: FieldInput): PacketBuilder { return this.layer('arp', f); }
  ipv4(f?: FieldInput): PacketBuilder { return this.layer('ipv4', f); }
  ipv6(f?: FieldInput): PacketBuilder { return this.layer('ipv6', f); }
  hbh(f?: FieldInput): PacketBuilder { return this.layer('hbh', f); }
  dstopts(f?: FieldInput): PacketBuilder { return this.layer('dstopts', f); }
  routing(f?: FieldInput): PacketBuilder { return this.layer('routing', f); }
  frag6(f?: FieldInput): PacketBuilder { return this.layer('frag6', f); }
  icmp(f?: FieldInput): PacketBuilder { return this.layer('icmp', f); }
  icmp6(f?: FieldInput): PacketBuilder { return this.layer('icmp6', f); }
  udp(f?: FieldInput): PacketBuilder { return this.layer('udp', f); }
  tcp(f?: FieldInput): PacketBuilder { return this.layer('tcp', f); }
  vxlan(f?: FieldInput): PacketBuilder { return this.layer('vxlan', f); }
  gre(f?: FieldInput): PacketBuilder { return this.layer('gre', f); }
  payload(f?: FieldInput): PacketBuilder { return this.layer('payload', f); }

  /**
   * The same layers with fields set by path (`{ 'ipv4.ttl': 1, 'udp[1].dport': 4789 }`); the
   * lengths and checksums still follow unless a path names them.
   */
  with(overrides: Readonly<Record<string, number | string | Uint8Array>>): PacketBuilder {
    const paths = layerPaths(this.layers);
    const layers = this.layers.map((l) => ({ name: l.name, fields: new Map(l.fields) }));
    for (const [path, x] of Object.entries(overrides)) {
      const dot = path.lastIndexOf('.');
      const i = paths.indexOf(path.slice(0, dot));
      if (dot < 0 || i < 0) throw new XdptsError(`no layer '${path.slice(0, Math.max(dot, 0)) || path}' in ${paths.join('/')}`, 'packet');
      layers[i]!.fields.set(path.slice(dot + 1), fieldFromInput(layers[i]!.name, path.slice(dot + 1), x));
    }
    return new PacketBuilder(layers);
  }

  /** The frame. */
  build(): Uint8Array {
    if (this.layers.length === 0) throw new XdptsError('a packet needs at least one layer', 'packet');
    return buildPacket(this.layers);
  }
  /** The frame as hex. */
  hex(): string {
    return hexOf(this.build());
  }
  /** The layer syntax of this builder. */
  toString(): string {
    return formatPacketSpec(this.layers, (layer, field, v) => {
      const f = layerDef(layer)!.fields.find((x) => x.name === field)!;
      if (typeof v !== 'number' && f.kind === 'bytes') return hexOf(v);
      return formatField(f, v).replace(/ \(0x[0-9a-f]+\)$/, '');
    }).replace(/text=([0-9a-f]*)/g, 'hex=$1');
  }
}

/** Entry points: `packet.eth()...`, `packet.parse('eth()/ipv4()')`, `packet.decode(bytes)`. */
export const packet = {
  eth: (f?: FieldInput): PacketBuilder => new PacketBuilder().eth(f),
  layer: (name: string, f?: FieldInput): PacketBuilder => new PacketBuilder().layer(name, f),
  /** A builder from the layer syntax (throws PacketSpecError with the offset). */
  parse: (spec: string): PacketBuilder => new PacketBuilder(parsePacketSpec(spec)),
  /**
   * A builder holding a frame's decoded layers: lengths, checksums and next-protocol numbers as
   * read, or with `recompute` left out so they follow the other fields again (for overrides).
   */
  decode: (frame: Uint8Array, opts: { recompute?: boolean } = {}): PacketBuilder =>
    new PacketBuilder(
      decodePacket(frame).map((l) => {
        if (!opts.recompute) return { name: l.name, fields: l.fields };
        const auto = new Set(layerDef(l.name)!.fields.filter((f) => f.auto).map((f) => f.name));
        return { name: l.name, fields: new Map([...l.fields].filter(([k]) => !auto.has(k))) };
      }),
    ),
};
