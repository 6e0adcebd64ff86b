/**
 * Packets of a case: the layer syntax (`eth()/ipv4(..)/udp(..)`), `{ hex: ... }`, `{ pcap: FILE }`
 * (a pcap or pcapng capture: each packet becomes a case of its own), optionally with field
 * overrides `set: { ipv4.ttl: 1 }` on top (lengths and checksums follow unless set).
 */
import { resolve } from 'node:path';
import { packet, PacketBuilder, PacketSpecError, parseHexBytes } from '../packet/index';
import { XdptsError } from '../util/index';
import { asMap, asText, captureFrames, knownKeys } from './load-util';
import { field, scalarText, type YamlFile, type YNode, type YScalar } from './yaml';

/** A layer spec at a node, with errors pointing into the spec text. */
export function specAt(y: YamlFile, node: YNode, what: string): PacketBuilder {
  const text = asText(y, node, what);
  try {
    return packet.parse(text);
  } catch (e) {
    if (e instanceof PacketSpecError) throw y.error(node.pos + ((node as YScalar).quoted ? 1 : 0) + e.offset, `${what}: ${e.reason}`);
    throw e;
  }
}

/** Hex bytes at a node. */
export function hexAt(y: YamlFile, node: YNode, what: string): Uint8Array {
  const b = parseHexBytes(asText(y, node, what).replace(/\s+/g, ''));
  if (!b) throw y.error(node, `${what}: expected hex bytes`);
  return b;
}

/** The frames a `packet:` node gives. */
export function packetInput(y: YamlFile, node: YNode, base: string): Uint8Array[] {
  if (node.kind === 'scalar') return [specAt(y, node, 'packet').build()];
  const m = asMap(y, node, 'packet');
  knownKeys(y, m, ['spec', 'hex', 'pcap', 'set'], 'packet');
  const given = ['spec', 'hex', 'pcap'].filter((k) => field(m, k) !== undefined);
  if (given.length !== 1) throw y.error(m, "packet needs exactly one of 'spec', 'hex' or 'pcap'");
  let frames: Uint8Array[];
  const spec = field(m, 'spec');
  const hex = field(m, 'hex');
  const pcap = field(m, 'pcap');
  let builders: PacketBuilder[] | undefined;
  if (spec) builders = [specAt(y, spec, 'packet.spec')];
  if (hex) frames = [hexAt(y, hex, 'packet.hex')];
  else if (pcap) {
    const path = resolve(base, asText(y, pcap, 'packet.pcap'));
    try {
      frames = captureFrames(path);
    } catch (e) {
      throw y.error(pcap, `cannot read capture ${path}: ${(e as Error).message}`);
    }
    if (frames.length === 0) throw y.error(pcap, `capture ${path} has no packets`);
  } else frames = [];
  const set = field(m, 'set');
  if (set) {
    builders ??= frames.map((f) => packet.decode(f, { recompute: true }));
    const overrides = asMap(y, set, 'packet.set');
    builders = builders.map((b) => {
      let out = b;
      for (const e of overrides.entries) {
        try {
          out = out.with({ [scalarText(e.key)]: asText(y, e.value, scalarText(e.key)) });
        } catch (err) {
          if (err instanceof XdptsError) throw y.error(e.key, `packet.set: ${err.message}`);
          throw err;
        }
      }
      return out;
    });
  }
  return builders ? builders.map((b) => b.build()) : frames;
}
