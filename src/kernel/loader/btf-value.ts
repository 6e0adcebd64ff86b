/**
 * bpftool's BTF-formatted map values (tools/bpf/bpftool/btf_dumper.c): with BTF, `map dump`
 * prints keys and values as JSON — integers as numbers, structs as objects, arrays as lists,
 * enums by name, chars arrays as lists of numbers. At load time the BTF of a map's key and value
 * is reduced to a small JSON-safe {@link ValueLayout}, kept in the kernel state per map id, so a
 * later command can format without the object file.
 */
import type { Btf, BtfType } from '../../btf/types';

/** A C type as the formatter needs it. */
export type ValueLayout =
  | { k: 'int'; size: number; signed: boolean; bool?: boolean; char?: boolean; name?: string }
  | { k: 'struct'; size: number; members: { name: string; off: number; bits?: number; layout: ValueLayout }[] }
  | { k: 'array'; n: number; elemSize: number; elem: ValueLayout }
  | { k: 'enum'; size: number; signed: boolean; values: [string, string][] }
  | { k: 'ptr' }
  | { k: 'bytes'; size: number };

function sizeOf(btf: Btf, id: number, depth = 0): number {
  const t = btf.types[id];
  if (!t || depth > 32) return 0;
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'enum64':
    case 'float':
    case 'struct':
    case 'union':
      return t.size;
    case 'ptr':
      return 8;
    case 'array':
      return t.nelems * sizeOf(btf, t.type, depth + 1);
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
      return sizeOf(btf, t.type, depth + 1);
    default:
      return 0;
  }
}

/** The layout of BTF type `id` (undefined for void / unknown ids). */
export function layoutOf(btf: Btf, id: number, depth = 0): ValueLayout | undefined {
  const t: BtfType | undefined = btf.types[id];
  if (!t || id === 0 || depth > 32) return undefined;
  switch (t.kind) {
    case 'int':
      return {
        k: 'int',
        size: t.size,
        signed: (t.encoding & 1) !== 0,
        name: t.name,
        ...(t.encoding & 4 ? { bool: true } : {}),
        ...(t.encoding & 2 ? { char: true } : {}),
      };
    case 'enum':
    case 'enum64':
      return { k: 'enum', size: t.size, signed: t.signed, values: t.values.map((v) => [v.name, String(v.value)]) };
    case 'ptr':
      return { k: 'ptr' };
    case 'array': {
      const elem = layoutOf(btf, t.type, depth + 1);
      const elemSize = sizeOf(btf, t.type);
      return elem ? { k: 'array', n: t.nelems, elemSize, elem } : { k: 'bytes', size: t.nelems * elemSize };
    }
    case 'struct':
    case 'union':
      return {
        k: 'struct',
        size: t.size,
        members: t.members.flatMap((m) => {
          const l = layoutOf(btf, m.type, depth + 1);
          if (!l) return [];
          return [{ name: m.name, off: m.bitOffset, ...(m.bitSize ? { bits: m.bitSize } : {}), layout: l }];
        }),
      };
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
      return layoutOf(btf, t.type, depth + 1);
    case 'float':
      return { k: 'bytes', size: t.size };
    default:
      return undefined;
  }
}

function readUint(b: Uint8Array, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
  return v;
}

function signed(v: bigint, size: number): bigint {
  const bits = BigInt(size * 8);
  return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
}

/** A value bpftool prints bare in plain mode and as a string in JSON (bitfields: `0x5`). */
export class BtfRaw {
  constructor(readonly text: string) {}
}

/** A JSON value whose integers may be BigInt (printed exactly by {@link jsonText}). */
export type BtfJson = bigint | string | boolean | BtfRaw | BtfJson[] | { [k: string]: BtfJson };

/**
 * btf_dumper's `is_str_array`: a char array whose bytes up to the first NUL are printable and
 * whose remaining bytes are all NUL prints as a string.
 */
function charString(layout: Extract<ValueLayout, { k: 'array' }>, b: Uint8Array, off: number): string | undefined {
  const e = layout.elem;
  if (e.k !== 'int' || e.size !== 1 || !(e.char || /char/.test(e.name ?? ''))) return undefined;
  const bytes = b.subarray(off, off + layout.n);
  const nul = bytes.indexOf(0);
  if (nul < 0) return undefined;
  for (let i = 0; i < nul; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return undefined;
  for (let i = nul; i < bytes.length; i++) if (bytes[i] !== 0) return undefined;
  return String.fromCharCode(...bytes.subarray(0, nul));
}

/** Formats bytes at `off` (bit offset `bitOff` for bitfields) with a layout, as btf_dumper does. */
export function formatValue(layout: ValueLayout, b: Uint8Array, off = 0): BtfJson {
  switch (layout.k) {
    case 'int': {
      const u = readUint(b, off, layout.size);
      if (layout.bool) return u !== 0n;
      return layout.signed ? signed(u, layout.size) : u;
    }
    case 'enum': {
      const u = readUint(b, off, layout.size);
      const v = layout.signed ? signed(u, layout.size) : u;
      const hit = layout.values.find(([, x]) => BigInt(x) === v);
      return hit ? hit[0] : v;
    }
    case 'ptr':
      return `0x${readUint(b, off, 8).toString(16)}`;
    case 'array': {
      const str = charString(layout, b, off);
      if (str !== undefined) return str;
      const out: BtfJson[] = [];
      for (let i = 0; i < layout.n; i++) out.push(formatValue(layout.elem, b, off + i * layout.elemSize));
      return out;
    }
    case 'struct': {
      const o: { [k: string]: BtfJson } = {};
      for (const m of layout.members) {
        if (m.bits) {
          const byte = off + Math.floor(m.off / 8);
          const raw = readUint(b, byte, 8) >> BigInt(m.off % 8);
          // btf_dumper prints bitfields in hex (observed: `"flags": 0x5`).
          o[m.name] = new BtfRaw(`0x${(raw & ((1n << BigInt(m.bits)) - 1n)).toString(16)}`);
        } else o[m.name] = formatValue(m.layout, b, off + m.off / 8);
      }
      return o;
    }
    case 'bytes': {
      const out: BtfJson[] = [];
      for (let i = 0; i < layout.size; i++) out.push(`0x${(b[off + i] ?? 0).toString(16).padStart(2, '0')}`);
      return out;
    }
  }
}

/**
 * JSON text with exact 64-bit integers. `indent` > 0 pretty-prints the way bpftool's json
 * writer does in plain mode (4 spaces per level, `"key": value`).
 */
export function jsonText(v: BtfJson, indent = 0, level = 0): string {
  const pad = (n: number): string => ' '.repeat(indent * n);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof BtfRaw) return indent ? v.text : JSON.stringify(v.text);
  if (Array.isArray(v)) {
    if (!indent) return `[${v.map((x) => jsonText(x)).join(',')}]`;
    // bpftool's pretty writer: elements on the bracket's line, the closing bracket on its own.
    return `[${v.map((x) => jsonText(x, indent, level + 1)).join(',')}\n${pad(level)}]`;
  }
  const entries = Object.entries(v);
  if (!indent) return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${jsonText(x)}`).join(',')}}`;
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${pad(level + 1)}${JSON.stringify(k)}: ${jsonText(x, indent, level + 1)}`).join(',\n')}\n${pad(level)}}`;
}
