/**
 * Comparing what a case did with what it expected. Every difference is a {@link Failure} that
 * names what was compared and shows both sides; a packet difference is shown field by field on
 * the decoded layers (`ipv4.ttl: expected 63, got 64`), not as hex.
 */
import { formatValue, jsonText, type BpfMap, type TestRunResult } from '../kernel/index';
import { decodePacket, decodedFields, formatField, hexOf, layerDef, layerPaths, sameValue, summarizePacket, type DecodedLayer } from '../packet/index';
import { matchesEncoded, type Encoded } from './btf-values';
import { XDP_ACTIONS } from './load-expect';
import { isPerCpu } from './load-util';
import type { CompiledCase, EventExpect, Failure, FieldExpect, MapExpect, MapInfo, PacketExpect } from './model';
import { cpuValue, type EventRecord, type RunOutcome } from './target';

const ACTION_NAMES = Object.fromEntries(Object.entries(XDP_ACTIONS).map(([k, v]) => [v, k]));
/** The name of an XDP action value. */
export const actionName = (v: number): string => ACTION_NAMES[v] ?? `${v}`;

/** The failures of a case's run (empty: it passed). */
export function check(c: CompiledCase, out: RunOutcome, maps: ReadonlyMap<string, BpfMap>, infos: ReadonlyMap<string, MapInfo>): Failure[] {
  const f: Failure[] = [];
  const e = c.expect;
  const r = out.result;
  if ('errno' in r) {
    if (e.error === undefined) f.push({ what: 'test run', expected: 'to run', actual: `refused: ${r.message}` });
    else if (e.error !== r.errno) f.push({ what: 'error', expected: e.error, actual: r.errno });
    return f;
  }
  if (e.error !== undefined) f.push({ what: 'error', expected: e.error, actual: `the run was accepted (${actionName(r.retval)})` });
  if (r.fault && e.action !== XDP_ACTIONS['XDP_ABORTED']) f.push({ what: 'fault', expected: 'no fault', actual: r.fault.message });
  if (e.action !== undefined && r.retval !== e.action) f.push({ what: 'action', expected: actionName(e.action), actual: actionName(r.retval) });
  if (e.retval !== undefined && r.retval !== e.retval) f.push({ what: 'retval', expected: String(e.retval), actual: String(r.retval) });
  if (e.packet) f.push(...checkPacket(e.packet, c.packet, r));
  for (const m of e.maps) f.push(...checkMap(m, maps.get(m.map)!, infos.get(m.map)!));
  if (e.trace) {
    const want = e.trace;
    const ok = want.length === out.trace.length && want.every((w, i) => (typeof w === 'string' ? w === out.trace[i] : w.test(out.trace[i]!)));
    if (!ok) f.push({ what: 'trace', expected: want.map(String).join('\n') || '(no lines)', actual: out.trace.join('\n') || '(no lines)' });
  }
  if (e.events) for (const [name, want] of e.events) f.push(...checkEvents(name, want, out.events.get(name) ?? []));
  if (e.redirect) {
    const got = out.redirect;
    const w = e.redirect;
    const mapId = w.map !== undefined ? maps.get(w.map)?.id : undefined;
    const ok = got !== null && (w.ifindex === undefined || got.ifindex === w.ifindex) && (mapId === undefined || got.mapId === mapId) && (w.key === undefined || got.key === w.key);
    const show = (x: { ifindex?: number; map?: string; key?: number; mapId?: number } | null): string =>
      x === null ? 'no redirect' : x.ifindex !== undefined ? `ifindex ${x.ifindex}` : `map ${x.map ?? [...maps].find(([, m]) => m.id === x.mapId)?.[0] ?? x.mapId} key ${x.key}`;
    if (!ok) f.push({ what: 'redirect', expected: show(w), actual: show(got) });
  }
  return f;
}

/**
 * The kernel pads a perf sample so that its u32 size and the data end on 8 bytes
 * (perf_event_output's `raw->size`), and a reader gets the padding: an expected sample matches
 * a padded one when the rest is zeros.
 */
function sameRecord(want: EventExpect, got: EventRecord): boolean {
  if (want.cpu !== undefined && want.cpu !== got.cpu) return false;
  const padded = got.cpu === undefined ? want.bytes.length : ((want.bytes.length + 4 + 7) & ~7) - 4;
  if (got.data.length !== padded) return false;
  return got.data.every((b, i) => b === (want.bytes[i] ?? 0));
}

function checkEvents(name: string, want: readonly EventExpect[], got: readonly EventRecord[]): Failure[] {
  if (got.length === want.length && want.every((w, i) => sameRecord(w, got[i]!))) return [];
  const show = (x: { cpu?: number }, bytes: Uint8Array): string => (x.cpu !== undefined ? `cpu ${x.cpu}: ${hexOf(bytes)}` : hexOf(bytes));
  return [{ what: `events ${name}`, expected: want.map((w) => show(w, w.bytes)).join(', ') || '(none)', actual: got.map((g) => show(g, g.data)).join(', ') || '(none)' }];
}

/** Field-by-field differences of two frames, as lines. */
export function packetDiff(expected: Uint8Array, actual: Uint8Array): string[] {
  const a = new Map(decodedFields(decodePacket(expected)).map((x) => [x.path, x.text]));
  const b = new Map(decodedFields(decodePacket(actual)).map((x) => [x.path, x.text]));
  const lines: string[] = [];
  for (const [p, t] of a) if (b.get(p) !== t) lines.push(`${p}: expected ${t}, got ${b.get(p) ?? '(absent)'}`);
  for (const [p, t] of b) if (!a.has(p)) lines.push(`${p}: expected (absent), got ${t}`);
  return lines;
}

function checkPacket(want: PacketExpect, input: Uint8Array | undefined, r: TestRunResult): Failure[] {
  const got = r.dataOut;
  if (want.kind === 'exact') {
    if (hexOf(got) === hexOf(want.bytes)) return [];
    return [{ what: 'packet', expected: summarizePacket(want.bytes), actual: summarizePacket(got), detail: packetDiff(want.bytes, got) }];
  }
  const layers = decodePacket(got);
  const paths = layerPaths(layers);
  const out: Failure[] = [];
  for (const fe of want.fields) {
    const l = findLayer(layers, fe);
    if (!l) {
      out.push({ what: `packet ${fe.path}`, expected: fe.text, actual: `no ${fe.layer} layer (${paths.join('/')})` });
      continue;
    }
    const f = layerDef(fe.layer)!.fields.find((x) => x.name === fe.field)!;
    if (fe.value === 'valid' || fe.value === 'invalid') {
      const v = l.checksumValid;
      if (v === undefined || v !== (fe.value === 'valid')) out.push({ what: `packet ${fe.path}`, expected: fe.value, actual: v === undefined ? 'no checksum' : v ? 'valid' : `invalid (${formatField(f, l.fields.get('checksum')!)})` });
      continue;
    }
    const x = l.fields.get(fe.field);
    if (x === undefined || !sameValue(x, fe.value)) out.push({ what: `packet ${fe.path}`, expected: formatField(f, fe.value), actual: x === undefined ? '(absent)' : formatField(f, x) });
  }
  if (want.diff && input) {
    // Every other field stays as it was in the input; a checksum must still be right.
    const given = new Set(want.fields.map((x) => x.path));
    const before = decodePacket(input);
    const bPaths = layerPaths(before);
    before.forEach((bl, i) => {
      const al = layers[paths.indexOf(bPaths[i]!)];
      const def = layerDef(bl.name)!;
      for (const f of def.fields) {
        const path = `${bPaths[i]}.${f.name}`;
        if (given.has(path)) continue;
        const x = bl.fields.get(f.name);
        const y = al?.fields.get(f.name);
        if (f.name === 'checksum') {
          if (al?.checksumValid === false) out.push({ what: `packet ${path}`, expected: 'valid', actual: 'invalid' });
          continue;
        }
        if (x !== undefined && (y === undefined || !sameValue(x, y))) out.push({ what: `packet ${path}`, expected: `${formatField(f, x)} (unchanged)`, actual: y === undefined ? '(absent)' : formatField(f, y) });
      }
    });
  }
  return out;
}

function findLayer(layers: readonly DecodedLayer[], fe: FieldExpect): DecodedLayer | undefined {
  return layers.filter((l) => l.name === fe.layer)[fe.index];
}

function lookup(m: BpfMap, key: Uint8Array): Uint8Array | null {
  try {
    return m.lookup(key);
  } catch {
    return null;
  }
}

/** A key or value as BTF prints it (`{"prefixlen":24,...}`, `7`), then its bytes. */
function showValue(info: MapInfo, part: 'key' | 'value', b: Uint8Array | null): string {
  if (b === null) return 'absent';
  const layout = part === 'key' ? info.keyLayout : info.valueLayout;
  return layout ? `${jsonText(formatValue(layout, b))} (${hexSpaced(b)})` : hexSpaced(b);
}

const hexSpaced = (b: Uint8Array): string => (hexOf(b).match(/../g) ?? []).join(' ');

function checkMap(want: MapExpect, m: BpfMap, info: MapInfo): Failure[] {
  const out: Failure[] = [];
  const isArray = m.typeName.includes('array');
  for (const e of want.entries) {
    const got = lookup(m, e.key);
    const what = `map ${want.map}[${e.keyText}]`;
    if (e.value === null) {
      if (got !== null && !isArray) out.push({ what, expected: 'absent', actual: showSys(info, m, got) });
      continue;
    }
    if (got === null) {
      out.push({ what, expected: e.valueText, actual: 'absent' });
      continue;
    }
    // Per-CPU maps: a plain value is every CPU's; a per-CPU list names the CPUs it compares.
    const value = e.value;
    const perCpu: ReadonlyMap<number, Encoded> = isPerCpu(value) ? value.perCpu : new Map(Array.from({ length: m.percpu ? m.ncpus : 1 }, (_, cpu) => [cpu, value]));
    for (const [cpu, enc] of perCpu) {
      const v = cpuValue(m, got, cpu);
      if (matchesEncoded(enc, v)) continue;
      const text = isPerCpu(value) ? jsonOf(info, enc) : e.valueText;
      out.push({ what: m.percpu ? `${what} cpu ${cpu}` : what, expected: `${text} (${hexSpaced(enc.bytes)})`, actual: showValue(info, 'value', v) });
    }
  }
  if (want.exact) {
    const listed = new Set(want.entries.map((e) => hexOf(e.key)));
    for (const [k, v] of m.entries()) {
      if (listed.has(hexOf(k))) continue;
      if (isArray && v.every((x) => x === 0)) continue;
      out.push({ what: `map ${want.map}[${showValue(info, 'key', k)}]`, expected: isArray ? 'zero (maps_exact)' : 'absent (maps_exact)', actual: showSys(info, m, v) });
    }
  }
  return out;
}

/** A whole bpf(2) value as text: per-CPU maps CPU by CPU, as bpftool lists them. */
function showSys(info: MapInfo, m: BpfMap, v: Uint8Array): string {
  if (!m.percpu) return showValue(info, 'value', v);
  return Array.from({ length: m.ncpus }, (_, cpu) => `cpu ${cpu}: ${showValue(info, 'value', cpuValue(m, v, cpu))}`).join(', ');
}

/** An expected per-CPU value as its BTF text (the value alone). */
function jsonOf(info: MapInfo, e: { bytes: Uint8Array }): string {
  return info.valueLayout ? jsonText(formatValue(info.valueLayout, e.bytes)) : hexSpaced(e.bytes);
}
