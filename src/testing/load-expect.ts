/**
 * The `expect:` block of a case, checked and compiled: the action or return value, the output
 * packet (exactly, `unchanged`, by field, or as a `diff` from the input), map contents (subset in
 * `maps`, whole in `maps_exact`; per-CPU maps CPU by CPU), trace_printk lines, ring-buffer
 * records and perf event samples, the redirect target,
 * a verifier rejection, or the errno of a refused test run.
 */
import { decodePacket, layerDef, parseField, ValueError } from '../packet/index';
import { BPF_MAP_TYPE } from '../object/index';
import { encodeFor, encodeValue, eachMapEntry, asMap, asText, asUint, knownKeys } from './load-util';
import { hexAt, specAt } from './load-packet';
import type { EventExpect, Expectations, FieldExpect, MapEntryExpect, MapExpect, MapInfo, PacketExpect, TraceExpect } from './model';
import { field, scalarText, toPlain, type YamlFile, type YNode } from './yaml';

const EXPECT = ['action', 'retval', 'packet', 'maps', 'maps_exact', 'trace', 'events', 'redirect', 'rejected', 'error'];
/** XDP actions by name (include/uapi/linux/bpf.h enum xdp_action). */
export const XDP_ACTIONS: Readonly<Record<string, number>> = { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 };

/** Compiles an `expect:` node. `input` is the case's packet (for `unchanged` and `diff`). */
export function compileExpect(y: YamlFile, node: YNode, maps: ReadonlyMap<string, MapInfo>, input: Uint8Array | undefined, cpus = 1): Expectations {
  const m = asMap(y, node, 'expect');
  knownKeys(y, m, EXPECT, 'expect');
  const out: { -readonly [K in keyof Expectations]: Expectations[K] } = { maps: [] };
  const get = (k: string): YNode | undefined => field(m, k);
  const action = get('action');
  if (action) {
    const t = asText(y, action, 'action');
    const n = XDP_ACTIONS[t.toUpperCase()] ?? XDP_ACTIONS[`XDP_${t.toUpperCase()}`] ?? (/^\d+$/.test(t) ? Number(t) : undefined);
    if (n === undefined) throw y.error(action, `unknown action '${t}'; expected one of ${Object.keys(XDP_ACTIONS).join(', ')}`);
    out.action = n;
  }
  const retval = get('retval');
  if (retval) out.retval = asUint(y, retval, 'retval');
  const pkt = get('packet');
  if (pkt) out.packet = packetExpect(y, pkt, input);
  const maps1 = get('maps');
  const maps2 = get('maps_exact');
  out.maps = [...(maps1 ? mapExpects(y, maps1, maps, false, cpus) : []), ...(maps2 ? mapExpects(y, maps2, maps, true, cpus) : [])];
  const trace = get('trace');
  if (trace) {
    const items = trace.kind === 'seq' ? trace.items : [trace];
    out.trace = items.map((i): TraceExpect => {
      const t = asText(y, i, 'a trace line');
      const re = /^\/(.*)\/([a-z]*)$/.exec(t);
      if (!re) return t;
      try {
        return new RegExp(re[1]!, re[2]);
      } catch (e) {
        throw y.error(i, `bad regular expression: ${(e as Error).message}`);
      }
    });
  }
  const events = get('events');
  if (events) out.events = eventExpects(y, events, maps, cpus);
  const redirect = get('redirect');
  if (redirect) {
    const r = asMap(y, redirect, 'redirect');
    knownKeys(y, r, ['ifindex', 'map', 'key'], 'redirect');
    const ifindex = field(r, 'ifindex');
    const map = field(r, 'map');
    const key = field(r, 'key');
    if (map && !maps.has(asText(y, map, 'map'))) throw y.error(map, `the object has no map '${asText(y, map, 'map')}'`);
    out.redirect = {
      ...(ifindex ? { ifindex: asUint(y, ifindex, 'ifindex') } : {}),
      ...(map ? { map: asText(y, map, 'map') } : {}),
      ...(key ? { key: asUint(y, key, 'key') } : {}),
    };
  }
  const rejected = get('rejected');
  if (rejected) {
    const v = toPlain(rejected);
    if (v === true) out.rejected = true;
    else {
      const t = asText(y, rejected, 'rejected');
      const re = /^\/(.*)\/([a-z]*)$/.exec(t);
      out.rejected = re ? new RegExp(re[1]!, re[2]) : t;
    }
  }
  const error = get('error');
  if (error) {
    const t = asText(y, error, 'error');
    if (!/^E[A-Z0-9]+$/.test(t)) throw y.error(error, `error must be an errno name such as EINVAL, not '${t}'`);
    out.error = t;
  }
  if (Object.keys(out).length === 1 && out.maps.length === 0) throw y.error(m, 'expect names nothing to check');
  return out;
}

function packetExpect(y: YamlFile, node: YNode, input: Uint8Array | undefined): PacketExpect {
  if (node.kind === 'scalar') {
    if (scalarText(node) === 'unchanged') {
      if (!input) throw y.error(node, "'unchanged' needs the case to have a packet");
      return { kind: 'exact', bytes: input, text: 'the input packet' };
    }
    const b = specAt(y, node, 'expect.packet');
    return { kind: 'exact', bytes: b.build(), text: scalarText(node) };
  }
  const m = asMap(y, node, 'expect.packet');
  const hex = field(m, 'hex');
  if (hex) {
    knownKeys(y, m, ['hex'], 'expect.packet');
    return { kind: 'exact', bytes: hexAt(y, hex, 'expect.packet.hex'), text: 'hex' };
  }
  const spec = field(m, 'spec');
  if (spec) {
    knownKeys(y, m, ['spec'], 'expect.packet');
    return { kind: 'exact', bytes: specAt(y, spec, 'expect.packet.spec').build(), text: scalarText(spec as never) };
  }
  const diff = field(m, 'diff');
  if (diff) {
    knownKeys(y, m, ['diff'], 'expect.packet');
    if (!input) throw y.error(diff, "'diff' needs the case to have a packet");
    return { kind: 'fields', fields: fieldExpects(y, asMap(y, diff, 'diff'), input), diff: true };
  }
  return { kind: 'fields', fields: fieldExpects(y, m, input), diff: false };
}

function fieldExpects(y: YamlFile, m: ReturnType<typeof asMap>, input: Uint8Array | undefined): FieldExpect[] {
  return m.entries.map((e) => {
    const path = scalarText(e.key);
    const pm = /^([a-z0-9]+)(?:\[(\d+)\])?\.([a-z0-9_]+)$/i.exec(path);
    if (!pm) throw y.error(e.key, `'${path}' is not a field path like ipv4.ttl or ipv4[1].src`);
    const def = layerDef(pm[1]!);
    if (!def) throw y.error(e.key, `unknown layer '${pm[1]}'`);
    const f = def.fields.find((x) => x.name === pm[3]!.toLowerCase());
    if (!f) throw y.error(e.key, `unknown field '${pm[3]}' of ${def.name}; its fields: ${def.fields.map((x) => x.name).join(', ')}`);
    const text = asText(y, e.value, path);
    let value: FieldExpect['value'];
    if (text === 'valid' || text === 'invalid') {
      if (f.name !== 'checksum') throw y.error(e.value, `'${text}' is for checksum fields only`);
      value = text;
    } else {
      try {
        value = parseField(f, text);
      } catch (err) {
        if (err instanceof ValueError) throw y.error(e.value, `${path}: ${err.message}`);
        throw err;
      }
    }
    void input;
    return { path, layer: def.name, index: Number(pm[2] ?? 0), field: f.name, value, text };
  });
}

/**
 * `events: { MAP: [...] }`: the records a case leaves in a ring buffer, or the samples it sends
 * through a perf event array, in order: hex, or `{ cpu: N, hex: ... }` for a perf sample that
 * must come from CPU N.
 */
function eventExpects(y: YamlFile, node: YNode, maps: ReadonlyMap<string, MapInfo>, cpus: number): Map<string, EventExpect[]> {
  const ev = new Map<string, EventExpect[]>();
  for (const e of asMap(y, node, 'events').entries) {
    const name = scalarText(e.key);
    const info = maps.get(name);
    if (!info) throw y.error(e.key, `the object has no map '${name}'; it has: ${[...maps.keys()].join(', ')}`);
    const perf = info.spec.type === BPF_MAP_TYPE.PERF_EVENT_ARRAY;
    if (!perf && info.spec.type !== BPF_MAP_TYPE.RINGBUF) throw y.error(e.key, `map '${name}' is neither a ring buffer (BPF_MAP_TYPE_RINGBUF) nor a perf event array (BPF_MAP_TYPE_PERF_EVENT_ARRAY)`);
    if (e.value.kind !== 'seq') throw y.error(e.value, `events must be a list of records (hex${perf ? ', or { cpu, hex }' : ''})`);
    ev.set(name, e.value.items.map((i): EventExpect => {
      if (i.kind !== 'map') return { bytes: hexAt(y, i, 'an event') };
      if (!perf) throw y.error(i, 'a ring-buffer record is hex (ring buffers do not say which CPU wrote a record)');
      knownKeys(y, i, ['cpu', 'hex'], 'a perf sample');
      const cpuNode = field(i, 'cpu');
      const hexNode = field(i, 'hex');
      if (!hexNode) throw y.error(i, "a perf sample needs 'hex'");
      const cpu = cpuNode ? asUint(y, cpuNode, 'cpu') : undefined;
      if (cpuNode && cpu! >= cpus) throw y.error(cpuNode, `cpu ${cpu}: the emulated kernel has ${cpus} CPU${cpus === 1 ? '' : 's'} (set 'setup.cpus' for more)`);
      return { bytes: hexAt(y, hexNode, 'a perf sample'), ...(cpu !== undefined ? { cpu } : {}) };
    }));
  }
  return ev;
}

function mapExpects(y: YamlFile, node: YNode, maps: ReadonlyMap<string, MapInfo>, exact: boolean, cpus: number): MapExpect[] {
  const by = new Map<string, MapEntryExpect[]>();
  const names = asMap(y, node, exact ? 'maps_exact' : 'maps').entries.map((e) => scalarText(e.key));
  for (const n of names) by.set(n, []);
  eachMapEntry(y, node, maps, (m, k, v) => {
    const key = encodeFor(y, m, k, 'key').bytes;
    const absent = v.kind === 'scalar' && v.value === null;
    by.get(m.spec.name)!.push({
      key,
      keyText: JSON.stringify(toPlain(k)),
      value: absent ? null : encodeValue(y, m, v, cpus),
      valueText: absent ? 'absent' : JSON.stringify(toPlain(v)),
    });
  });
  return [...by].map(([map, entries]) => ({ map, exact, entries }));
}

/** The decoded layers of a frame (re-exported for the checks). */
export { decodePacket };
