/**
 * Maps around `xdpts run`: their contents after a run (text, and JSON with each key and value
 * as hex beside the value decoded from BTF the way `bpftool map dump -j` decodes it, under
 * `formatted`), and `--map-init FILE`: a JSON object `{ "map": [{ "key": K, "value": V }] }`
 * written into the maps before the first packet. K and V may be hex (`"0a000001"`), bpftool's
 * byte lists (`["0x0a", "0x00", ...]`), or values shaped by the map's BTF
 * (`{"prefixlen": 24, "addr": "10.0.0.0"}`, see src/api/btf-codec.ts) — so the `maps` of one
 * `run --json` can start the next run.
 */
import { readFileSync } from 'node:fs';
import { btfCodec, type BtfData } from '../../api/btf-codec';
import { perCpuCodec } from '../../api/codec';
import { BtfRaw, formatValue, type BpfMap, type BtfJson, type ValueLayout } from '../../kernel/index';
import { UsageError, XdptsError } from '../../util/errors';
import { fromHex, toHex } from '../../util/hex';

/** A map's key and value layouts from BTF, when the object had them. */
export interface MapLayouts {
  readonly key: ValueLayout | undefined;
  readonly value: ValueLayout | undefined;
}

/** One entry as `run --json` prints it. */
export interface MapEntryJson {
  key: string;
  value: string;
  formatted?: { key?: unknown; value?: unknown };
}

/** bpftool's JSON of a formatted value as plain JSON (64-bit integers past 2^53 as strings). */
function plain(v: BtfJson): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof BtfRaw) return v.text;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** A per-CPU value split into its CPUs' slots (`round_up(value_size, 8)` bytes each). */
function perCpuSlots(m: BpfMap, v: Uint8Array): Uint8Array[] {
  const slot = (m.valueSize + 7) & ~7;
  const out: Uint8Array[] = [];
  for (let off = 0; off + m.valueSize <= v.length; off += slot) out.push(v.subarray(off, off + m.valueSize));
  return out;
}

/** Every entry of a map: hex key and value, and the BTF-decoded ones where the layouts exist. */
export function mapEntriesJson(m: BpfMap, layouts: MapLayouts | undefined): MapEntryJson[] {
  const rows: MapEntryJson[] = [];
  for (const [k, v] of m.entries()) {
    const row: MapEntryJson = { key: toHex(k), value: toHex(v) };
    if (layouts?.key || layouts?.value) {
      const f: { key?: unknown; value?: unknown } = {};
      if (layouts.key && k.length) f.key = plain(formatValue(layouts.key, k));
      if (layouts.value) f.value = m.percpu ? perCpuSlots(m, v).map((s, cpu) => ({ cpu, value: plain(formatValue(layouts.value!, s)) })) : plain(formatValue(layouts.value, v));
      row.formatted = f;
    }
    rows.push(row);
  }
  return rows;
}

/** Bytes written as hex or as bpftool's list of `0x..` strings, when `x` is one of those. */
function literalBytes(x: unknown, size: number): Uint8Array | undefined {
  if (typeof x === 'string' && /^(0x)?([0-9a-f]{2}\s*)+$/i.test(x.trim()) && x.replace(/^0x|\s/gi, '').length === size * 2) return fromHex(x.replace(/^0x/i, ''));
  if (Array.isArray(x) && x.length === size && x.every((b) => typeof b === 'string' && /^0x[0-9a-f]{1,2}$/i.test(b))) return Uint8Array.from(x as string[], (b) => parseInt(b, 16));
  return undefined;
}

/**
 * Reads `--map-init FILE` and writes its entries into `maps` (by the names `maps` is keyed by),
 * with BPF_ANY. A bad file, an unknown map or an entry that does not fit is a UsageError
 * naming the file, the map and the entry.
 */
export function applyMapInit(file: string, maps: ReadonlyMap<string, BpfMap>, layoutsOf: (name: string) => MapLayouts | undefined, byteOrder: 'le' | 'be'): number {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--map-init ${file}: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`--map-init ${file}: expected an object of map name → list of {"key", "value"} entries`);
  let n = 0;
  for (const [name, entries] of Object.entries(doc)) {
    const m = maps.get(name);
    if (!m) throw new UsageError(`--map-init ${file}: no map '${name}' (maps: ${[...maps.keys()].join(', ') || 'none'})`);
    if (!Array.isArray(entries)) throw new UsageError(`--map-init ${file}: map '${name}': expected a list of {"key", "value"} entries`);
    const l = layoutsOf(name);
    const keyCodec = btfCodec(l?.key, m.keySize, byteOrder, `map ${name}: key`);
    const one = btfCodec(l?.value, m.valueSize, byteOrder, `map ${name}: value`);
    const valueCodec = m.percpu ? perCpuCodec(one, m.ncpus, m.valueSize) : one;
    entries.forEach((e: unknown, i) => {
      const where = `--map-init ${file}: map '${name}' entry ${i}`;
      if (typeof e !== 'object' || e === null || !('value' in e)) throw new UsageError(`${where}: expected {"key": ..., "value": ...}`);
      const { key, value } = e as { key?: unknown; value: unknown };
      try {
        const k = m.keySize === 0 ? new Uint8Array(0) : (literalBytes(key, m.keySize) ?? keyCodec.encode(key as BtfData));
        const raw = literalBytes(value, m.sysValueSize);
        const v = raw ?? (m.percpu && !Array.isArray(value) ? valueCodec.encode([value as BtfData]) : (valueCodec as { encode(x: unknown): Uint8Array }).encode(value));
        m.update(k, v, 0);
      } catch (err) {
        if (err instanceof XdptsError) throw new UsageError(`${where}: ${err.message}`);
        throw err;
      }
      n++;
    });
  }
  return n;
}
