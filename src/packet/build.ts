/**
 * Building a frame from layers: from the innermost layer out, each header is laid out from the
 * fields given (or their defaults), then its computed fields are filled unless given: the next
 * protocol from the layer that follows, lengths from the bytes that follow, and last the
 * checksum (over the pseudo header of the nearest enclosing IP header for UDP, TCP, ICMPv6).
 */
import { putField } from './fields';
import { concat, layerDef, type LayerDef, type LayerEnv, type Values } from './layers';
import type { LayerSpec } from './spec';
import type { FieldValue } from './values';

/** Builds the frame of a layer list. */
export function buildPacket(layers: readonly LayerSpec[]): Uint8Array {
  const defs = layers.map((l) => layerDef(l.name)!);
  const values = layers.map((l, i) => withDefaults(defs[i]!, l.fields));
  let inner: Uint8Array = new Uint8Array(0);
  for (let i = layers.length - 1; i >= 0; i--) {
    const def = defs[i]!;
    const given = layers[i]!.fields;
    if (def.name === 'payload') {
      inner = concat([payloadBytes(given), inner]);
      continue;
    }
    const next = nextHeaderName(layers, i);
    const env: LayerEnv = { next, inner, ip: enclosingIp(defs, values, i) };
    const v = values[i]!;
    const tail = def.tail ? def.tail(v) : new Uint8Array(0);
    const hdr = new Uint8Array(def.fixed + tail.length);
    hdr.set(tail, def.fixed);
    const computed = def.auto ? def.auto(v, env, hdr.length) : {};
    for (const f of def.fields) {
      if (f.bit === undefined) continue;
      const x = given.get(f.name) ?? (f.auto && f.name !== 'checksum' ? computed[f.name] : undefined) ?? v.get(f.name);
      if (x !== undefined) putField(hdr, f, x);
    }
    if (def.checksum && def.checksumAt !== undefined) {
      // A given checksum is written as given (to test how a program treats a bad one).
      const computed = def.checksum(hdr, env, v);
      const c = computed === undefined ? undefined : ((given.get('checksum') as number | undefined) ?? computed);
      if (c !== undefined && hdr.length >= def.checksumAt + 2) {
        hdr[def.checksumAt] = c >> 8;
        hdr[def.checksumAt + 1] = c & 255;
      }
    }
    inner = concat([hdr, inner]);
  }
  return inner;
}

/** The given values over the defaults. */
function withDefaults(def: LayerDef, given: ReadonlyMap<string, FieldValue>): Values {
  const v: Values = new Map();
  for (const f of def.fields) if (f.dflt !== undefined) v.set(f.name, f.dflt);
  for (const [k, x] of given) v.set(k, x);
  return v;
}

/** The next layer that is a header (payloads are no protocol). */
function nextHeaderName(layers: readonly LayerSpec[], i: number): string | undefined {
  const n = layers[i + 1];
  return n === undefined || n.name === 'payload' ? undefined : n.name;
}

function enclosingIp(defs: readonly LayerDef[], values: readonly Values[], i: number): LayerEnv['ip'] {
  let finalDst: Uint8Array | undefined;
  for (let j = i - 1; j >= 0; j--) {
    const n = defs[j]!.name;
    if (n === 'routing') finalDst = routingFinalDst(values[j]!) ?? finalDst;
    if (n === 'ipv4' || n === 'ipv6') {
      return { v: n === 'ipv4' ? 4 : 6, src: values[j]!.get('src') as Uint8Array, dst: finalDst ?? (values[j]!.get('dst') as Uint8Array) };
    }
  }
  return undefined;
}

/**
 * The final destination a routing header names (RFC 8200 §8.1: upper-layer checksums use it, the
 * last address of the header, while segments are left): undefined when none are left.
 */
export function routingFinalDst(v: Values): Uint8Array | undefined {
  const addrs = v.get('addrs');
  if (!(addrs instanceof Uint8Array) || addrs.length < 16 || !v.get('segleft')) return undefined;
  return addrs.slice(addrs.length - 16);
}

function payloadBytes(given: ReadonlyMap<string, FieldValue>): Uint8Array {
  const hex = given.get('hex') ?? given.get('text');
  if (hex instanceof Uint8Array) return hex;
  const len = (given.get('len') as number | undefined) ?? 0;
  return new Uint8Array(len).fill((given.get('fill') as number | undefined) ?? 0);
}
