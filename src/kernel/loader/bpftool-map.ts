/**
 * `bpftool map show|dump|lookup|update|delete|pin` over the emulated kernel
 * (tools/bpf/bpftool/map.c), text and `-j` JSON as bpftool 7.1 prints them (reference §7.2).
 * Maps with BTF (clang objects, xdpts assembly with `.map`) dump in bpftool's BTF-formatted
 * layout; maps without BTF as `key: .. value: ..` lines and `Found N element(s)`.
 */
import { mapTypeName } from '../../object/types';
import { MapError } from '../../util/errors';
import { ENOTSUPP, errnoMessage, errnoName } from '../errno';
import type { BpfMap } from '../maps/map';
import type { XdpManager } from '../xdp/manager';
import { bpftoolError, hexBytes, jsonBytes, parseBytes, parseSelector, type Selector } from './bpftool-args';
import { formatValue, jsonText, type BtfJson, type ValueLayout } from './btf-value';
import { mapMemlock } from './memlock';
import { CODE_USAGE, type ToolOutcome } from './outcome';
import { BpffsError } from '../bpffs';
import { BPF_MAP_TYPE } from '../../object/types';

const ERRNO_BY_NAME = new Map<string, number>();
for (let i = 1; i < 600; i++) if (errnoName(i) !== `E${i}`) ERRNO_BY_NAME.set(errnoName(i), i);

function errnoOf(e: MapError): number {
  return ERRNO_BY_NAME.get(e.errno) ?? 22;
}

/** The maps a selector designates (`name` may match several). */
function selectMaps(mgr: XdpManager, sel: Selector): BpfMap[] | string {
  const k = mgr.kernel;
  switch (sel.by) {
    case 'id': {
      const m = k.map(sel.id);
      return m ? [m] : `get map by id (${sel.id}): No such file or directory`;
    }
    case 'pinned': {
      const pin = mgr.bpffs.get(sel.path);
      const m = pin?.kind === 'map' ? k.map(pin.id) : undefined;
      return m ? [m] : `bpf obj get (${sel.path}): No such file or directory`;
    }
    case 'name':
      return k.mapList().filter((m) => m.name === sel.name);
    default:
      return 'invalid map selector';
  }
}

export function oneMap(mgr: XdpManager, argv: readonly string[], json: boolean): { map: BpfMap; used: number } | ToolOutcome {
  const s = parseSelector(argv, ['id', 'name', 'pinned']);
  if ('error' in s) return bpftoolError(s.error, json);
  const r = selectMaps(mgr, s.sel);
  if (typeof r === 'string') return bpftoolError(r, json);
  if (r.length === 0) return noSuchMap(s.sel, json);
  if (r.length > 1) return bpftoolError(`several maps match this handle`, json);
  return { map: r[0]!, used: s.used };
}

function layoutOf(mgr: XdpManager, m: BpfMap): { key: ValueLayout; value: ValueLayout } | undefined {
  return mgr.state.mapLayouts[String(m.id)] as { key: ValueLayout; value: ValueLayout } | undefined;
}

function mapText(mgr: XdpManager, m: BpfMap): string[] {
  const btf = mgr.state.mapBtf[String(m.id)];
  const lines = [
    `${m.id}: ${mapTypeName(m.type)}  name ${m.name}  flags 0x${m.flags.toString(16)}`,
    `\tkey ${m.keySize}B  value ${m.valueSize}B  max_entries ${m.maxEntries}  memlock ${mapMemlock(m, m.ncpus)}B${m.frozen ? '  frozen' : ''}`,
  ];
  if (btf !== undefined) lines.push(`\tbtf_id ${btf}`);
  return lines;
}

function mapJson(mgr: XdpManager, m: BpfMap): Record<string, unknown> {
  const btf = mgr.state.mapBtf[String(m.id)];
  return {
    id: m.id,
    type: mapTypeName(m.type),
    name: m.name,
    flags: m.flags,
    bytes_key: m.keySize,
    bytes_value: m.valueSize,
    max_entries: m.maxEntries,
    bytes_memlock: mapMemlock(m, m.ncpus),
    frozen: m.frozen ? 1 : 0,
    ...(btf !== undefined ? { btf_id: btf } : {}),
  };
}

/** `bpftool map show [SELECTOR]`. */
export function mapShow(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  let maps: BpfMap[];
  if (argv.length === 0) maps = mgr.kernel.mapList();
  else {
    const s = parseSelector(argv, ['id', 'name', 'pinned']);
    if ('error' in s) return bpftoolError(s.error, json);
    const r = selectMaps(mgr, s.sel);
    if (typeof r === 'string') return bpftoolError(r, json);
    if (r.length === 0) return noSuchMap(s.sel, json);
    maps = r;
  }
  const single = argv[0] === 'id' || argv[0] === 'pinned';
  if (json) {
    const docs = maps.map((m) => mapJson(mgr, m));
    return { exit: 0, stdout: [JSON.stringify(single ? docs[0] : docs)], stderr: [], json: single ? docs[0] : docs };
  }
  return { exit: 0, stdout: maps.flatMap((m) => mapText(mgr, m)), stderr: [] };
}

/** bpftool's plain entry (print_entry_plain): one line when key + value fit in 24 bytes. */
function entryPlain(m: BpfMap, key: Uint8Array, value: Uint8Array): string[] {
  if (m.percpu) {
    const step = (m.valueSize + 7) & ~7;
    const out = ['key:', hexBytes(key)];
    for (let c = 0; c < m.ncpus; c++) out.push(`value (CPU ${String(c).padStart(2, '0')}): ${hexBytes(value.subarray(c * step, c * step + m.valueSize))}`);
    return out;
  }
  const breakNames = m.keySize > 16 || m.valueSize > 16;
  if (!breakNames && m.keySize + m.valueSize <= 24) return [`key: ${hexBytes(key)}  value: ${hexBytes(value)}`];
  if (!breakNames) return [`key: ${hexBytes(key)}`, `value: ${hexBytes(value)}`];
  return ['key:', hexBytes(key), 'value:', hexBytes(value)];
}

function formatted(l: { key: ValueLayout; value: ValueLayout }, key: Uint8Array, value: Uint8Array): { key: BtfJson; value: BtfJson } {
  return { key: formatValue(l.key, key), value: formatValue(l.value, value) };
}

/**
 * `bpftool map dump` of a perf event array: every slot's lookup fails with the kernel-internal
 * ENOTSUPP (524), printed as `Unknown error 524`, and no element is found.
 */
function perfArrayDump(m: BpfMap, json: boolean): ToolOutcome | undefined {
  if (m.type !== BPF_MAP_TYPE.PERF_EVENT_ARRAY) return undefined;
  const msg = errnoMessage(ENOTSUPP);
  const keys = [...m.keys()];
  if (json) return { exit: 0, stdout: [`[${keys.map((k) => JSON.stringify({ key: jsonBytes(k), value: { error: msg } })).join(',')}]`], stderr: [] };
  return { exit: 0, stdout: [...keys.flatMap((k) => ['key:', hexBytes(k), 'value:', msg]), 'Found 0 elements'], stderr: [] };
}

/** `bpftool map dump MAP`. */
export function mapDump(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  const s = parseSelector(argv, ['id', 'name', 'pinned']);
  if ('error' in s) return bpftoolError(s.error, json);
  const r = selectMaps(mgr, s.sel);
  if (typeof r === 'string') return bpftoolError(r, json);
  if (r.length === 0) return noSuchMap(s.sel, json);
  if (r.length === 1) return dumpOne(mgr, r[0]!, json);
  return dumpMany(mgr, r, json);
}

/**
 * No map of that name: bpftool prints nothing and exits 255 (observed); xdpts says why (and
 * keeps its one error shape under --json), since a failure with an empty stderr helps nobody.
 */
function noSuchMap(sel: Selector, json: boolean): ToolOutcome {
  const what = sel.by === 'name' ? `no map named '${sel.name}'` : 'no such map';
  return bpftoolError(what, json);
}

/** One map's elements: bpftool's `map dump` of a single map. */
function dumpOne(mgr: XdpManager, m: BpfMap, json: boolean): ToolOutcome {
  const fdArray = perfArrayDump(m, json);
  if (fdArray) return fdArray;
  const entries = [...m.entries()];
  const l = m.percpu ? undefined : layoutOf(mgr, m);
  if (json) return { exit: 0, stdout: [`[${elementDocs(mgr, m).join(',')}]`], stderr: [] };
  if (l) {
    // btf_dumper in bpftool's pretty json writer: `[{` ... `    },{` ... `    }` `]`.
    if (entries.length === 0) return { exit: 0, stdout: ['[', ']'], stderr: [] };
    return { exit: 0, stdout: [`[${prettyElements(l, entries, 1).join(',')}`, ']'], stderr: [] };
  }
  const lines = entries.flatMap(([k, v]) => entryPlain(m, k, v));
  lines.push(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
  return { exit: 0, stdout: lines, stderr: [] };
}

/** A map's elements as `map dump -j` writes them (raw bytes, and BTF-formatted where known). */
function elementDocs(mgr: XdpManager, m: BpfMap): string[] {
  const l = m.percpu ? undefined : layoutOf(mgr, m);
  return [...m.entries()].map(([k, v]) => {
    const base: Record<string, unknown> = { key: jsonBytes(k), value: jsonBytes(v) };
    return l ? `{"key":${JSON.stringify(base['key'])},"value":${JSON.stringify(base['value'])},"formatted":${jsonText(formatted(l, k, v) as BtfJson)}}` : JSON.stringify(base);
  });
}

/** BTF-formatted elements in bpftool's pretty writer, `depth` objects deep. */
function prettyElements(l: { key: ValueLayout; value: ValueLayout }, entries: [Uint8Array, Uint8Array][], depth: number): string[] {
  const pad = ' '.repeat(4 * depth);
  return entries.map(([k, v]) => {
    const f = formatted(l, k, v);
    return `{\n${pad}    "key": ${jsonText(f.key, 4, depth + 1)},\n${pad}    "value": ${jsonText(f.value, 4, depth + 1)}\n${pad}}`;
  });
}

/** An element of a map with no BTF types inside the pretty writer: its bytes as `map dump -j` lists them. */
function rawPretty(k: Uint8Array, v: Uint8Array, depth: number): string {
  const pad = ' '.repeat(4 * depth);
  return `{\n${pad}    "key": ${jsonText(jsonBytes(k), 4, depth + 1)},\n${pad}    "value": ${jsonText(jsonBytes(v), 4, depth + 1)}\n${pad}}`;
}

/**
 * Several maps behind one handle (`name` is not unique): bpftool dumps each under a header —
 * with -j, or in its pretty writer when the maps have BTF, a root array of
 * `{"id","type","name","flags","elements":[...]}`; otherwise each map's `map show` line
 * before its elements (observed on 6.18 with two maps of one name).
 */
function dumpMany(mgr: XdpManager, maps: BpfMap[], json: boolean): ToolOutcome {
  const head = (m: BpfMap): string => `"id":${m.id},"type":${JSON.stringify(mapTypeName(m.type))},"name":${JSON.stringify(m.name)},"flags":${m.flags}`;
  if (json) return { exit: 0, stdout: [`[${maps.map((m) => `{${head(m)},"elements":[${elementDocs(mgr, m).join(',')}]}`).join(',')}]`], stderr: [] };
  if (maps.some((m) => !m.percpu && layoutOf(mgr, m))) {
    const objs = maps.map((m) => {
      const l = m.percpu ? undefined : layoutOf(mgr, m);
      const els = l ? prettyElements(l, [...m.entries()], 3) : [...m.entries()].map(([k, v]) => rawPretty(k, v, 3));
      const fields = [`"id": ${m.id}`, `"type": ${JSON.stringify(mapTypeName(m.type))}`, `"name": ${JSON.stringify(m.name)}`, `"flags": ${m.flags}`];
      const elements = els.length ? `[${els.join(',')}\n        ]` : '[]';
      return `{\n${fields.map((f) => `        ${f},`).join('\n')}\n        "elements": ${elements}\n    }`;
    });
    return { exit: 0, stdout: [`[${objs.join(',')}`, ']'], stderr: [] };
  }
  const lines: string[] = [];
  for (const m of maps) {
    lines.push(mapText(mgr, m)[0]!);
    const entries = [...m.entries()];
    lines.push(...entries.flatMap(([k, v]) => entryPlain(m, k, v)));
    lines.push(`Found ${entries.length} element${entries.length === 1 ? '' : 's'}`);
  }
  return { exit: 0, stdout: lines, stderr: [] };
}

function parseKey(m: BpfMap, argv: readonly string[], at: number, json: boolean): { key: Uint8Array; next: number } | ToolOutcome {
  if (argv[at] !== 'key') return bpftoolError(`did not find key`, json);
  const b = parseBytes(argv.slice(at + 1), 'key', m.keySize);
  if ('error' in b) return bpftoolError(b.error, json);
  return { key: b.bytes, next: at + 1 + b.used };
}

/** `bpftool map lookup MAP key BYTES`. */
export function mapLookup(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  const r = oneMap(mgr, argv, json);
  if ('exit' in r) return r;
  const m = r.map;
  const k = parseKey(m, argv, r.used, json);
  if ('exit' in k) return k;
  let v: Uint8Array;
  try {
    v = m.lookup(k.key);
  } catch (e) {
    if (e instanceof MapError && e.errno === 'ENOENT') {
      // bpftool 7.1: `null` in JSON mode, the key and `Not found` in plain mode (observed).
      if (json) return { exit: 254, stdout: ['null'], stderr: [] };
      return { exit: 254, stdout: ['key:', hexBytes(k.key), '', 'Not found'], stderr: [] };
    }
    if (e instanceof MapError) return bpftoolError(`lookup failed: ${errnoMessage(errnoOf(e))}`, json, (256 - errnoOf(e)) & 0xff);
    throw e;
  }
  const l = m.percpu ? undefined : layoutOf(mgr, m);
  if (json) {
    const base = `{"key":${JSON.stringify(jsonBytes(k.key))},"value":${JSON.stringify(jsonBytes(v))}`;
    return { exit: 0, stdout: [l ? `${base},"formatted":${jsonText(formatted(l, k.key, v) as BtfJson)}}` : `${base}}`], stderr: [] };
  }
  if (l) {
    const f = formatted(l, k.key, v);
    return { exit: 0, stdout: ['{', `    "key": ${jsonText(f.key, 4, 1)},`, `    "value": ${jsonText(f.value, 4, 1)}`, '}'], stderr: [] };
  }
  return { exit: 0, stdout: entryPlain(m, k.key, v), stderr: [] };
}

/**
 * bpftool's value of a map-in-map update: a map (`id N`, `name X` or `pinned P`) whose fd the
 * kernel takes; in the emulation the map's id.
 */
function innerMapValue(mgr: XdpManager, argv: readonly string[], json: boolean): { bytes: Uint8Array; used: number } | ToolOutcome {
  const r = oneMap(mgr, argv, json);
  if ('exit' in r) return r;
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, r.map.id, true);
  return { bytes, used: r.used };
}

const UPDATE_FLAGS: Record<string, number> = { any: 0, noexist: 1, exist: 2 };

/** `bpftool map update MAP key BYTES value BYTES [any|exist|noexist]`. */
export function mapUpdate(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  const r = oneMap(mgr, argv, json);
  if ('exit' in r) return r;
  const m = r.map;
  const k = parseKey(m, argv, r.used, json);
  if ('exit' in k) return k;
  if (argv[k.next] !== 'value') return bpftoolError(`did not find value`, json);
  const b = m.innerMeta ? innerMapValue(mgr, argv.slice(k.next + 1), json) : parseBytes(argv.slice(k.next + 1), 'value', m.sysValueSize);
  if ('exit' in b) return b;
  if ('error' in b) return bpftoolError(b.error, json);
  const rest = argv.slice(k.next + 1 + b.used);
  let flags = 0;
  if (rest.length) {
    const f = UPDATE_FLAGS[rest[0]!];
    if (f === undefined || rest.length > 1) return bpftoolError(`expected 'any', 'exist' or 'noexist', got: '${rest[0]}'?`, json);
    flags = f;
  }
  try {
    m.update(k.key, b.bytes, flags);
  } catch (e) {
    if (e instanceof MapError) return bpftoolError(`update failed: ${errnoMessage(errnoOf(e))}`, json, (256 - errnoOf(e)) & 0xff);
    throw e;
  }
  return { exit: 0, stdout: json ? ['null'] : [], stderr: [] };
}

/** `bpftool map delete MAP key BYTES`. */
export function mapDelete(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  const r = oneMap(mgr, argv, json);
  if ('exit' in r) return r;
  const k = parseKey(r.map, argv, r.used, json);
  if ('exit' in k) return k;
  try {
    r.map.delete(k.key);
  } catch (e) {
    if (e instanceof MapError) return bpftoolError(`delete failed: ${errnoMessage(errnoOf(e))}`, json, (256 - errnoOf(e)) & 0xff);
    throw e;
  }
  return { exit: 0, stdout: json ? ['null'] : [], stderr: [] };
}

/** `bpftool map pin MAP FILE`. */
export function mapPin(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  const r = oneMap(mgr, argv, json);
  if ('exit' in r) return r;
  const file = argv[r.used];
  if (file === undefined) return bpftoolError('expected more arguments', json);
  try {
    mgr.bpffs.pin(file, { kind: 'map', id: r.map.id });
  } catch (e) {
    // bpftool returns -errno for a failed BPF_OBJ_PIN (EEXIST: 239), -1 otherwise (observed).
    return bpftoolError((e as Error).message, json, e instanceof BpffsError && e.errno === 17 ? 239 : 255);
  }
  return { exit: 0, stdout: json ? ['null'] : [], stderr: [] };
}
