/**
 * Setting global variables before load: cilium/ebpf's CollectionSpec.RewriteConstants (bpf2go
 * users' `const volatile` configuration) and libbpf skeletons' `skel->rodata->x = v` between
 * open and load. The variable is found by name in the BTF DATASEC of `.rodata` (or `.data`,
 * `.bss`), and its bytes in the section's map initial value are replaced, in the object's byte
 * order; the spec is otherwise unchanged.
 */
import { btfSizeof, type Btf } from '../btf/index';
import { ObjectError } from '../util/index';
import type { MapSpec, ObjectSpec } from './types';

/** A value to store: a number or bigint (integers, enums, pointers), or a boolean. */
export type ConstantValue = number | bigint | boolean;

/** Where a global variable lives: the data map and the byte range. */
interface VarPlace {
  map: MapSpec;
  offset: number;
  size: number;
}

function findVar(spec: ObjectSpec, btf: Btf, name: string): VarPlace | undefined {
  for (const map of spec.maps) {
    if (!map.isGlobalData || map.section === '.kconfig') continue;
    const ds = btf.types.find((t) => t.kind === 'datasec' && t.name === map.section);
    if (!ds || ds.kind !== 'datasec') continue;
    for (const v of ds.vars) {
      const vt = btf.types[v.type];
      if (vt?.kind !== 'var' || vt.name !== name) continue;
      return { map, offset: v.offset, size: btfSizeof(btf, vt.type) };
    }
  }
  return undefined;
}

/** Parses `VALUE` of `--set NAME=VALUE`: decimal or 0x hex (optionally negative), true/false. */
export function parseConstant(text: string): ConstantValue {
  const t = text.trim();
  if (t === 'true' || t === 'false') return t === 'true';
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(t)) throw new ObjectError(`'${text}' is not an integer (decimal or 0x hex) or true/false`);
  return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t);
}

/** `NAME=VALUE` assignments (`--set`), parsed; ObjectError names the bad one. */
export function parseAssignments(list: readonly string[]): Record<string, ConstantValue> {
  const out: Record<string, ConstantValue> = {};
  for (const s of list) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(s);
    if (!m) throw new ObjectError(`${s}: expected NAME=VALUE`);
    try {
      out[m[1]!] = parseConstant(m[2]!);
    } catch (e) {
      if (e instanceof ObjectError) throw new ObjectError(`${s}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

/**
 * A copy of `spec` with each named global set. Throws ObjectError naming the variable when it
 * does not exist, is not in a data section, or the value does not fit (as RewriteConstants).
 */
export function rewriteConstants(spec: ObjectSpec, values: Readonly<Record<string, ConstantValue>>): ObjectSpec {
  const names = Object.keys(values);
  if (names.length === 0) return spec;
  if (!spec.btf) throw new ObjectError('the object has no BTF: global variables cannot be found by name');
  const patched = new Map<MapSpec, Uint8Array>();
  for (const name of names) {
    const place = findVar(spec, spec.btf, name);
    if (!place) throw new ObjectError(`constant '${name}' does not exist in .rodata, .data or .bss`);
    const raw = values[name]!;
    const v = typeof raw === 'boolean' ? (raw ? 1n : 0n) : BigInt(raw);
    const bits = BigInt(place.size * 8);
    const min = -(1n << (bits - 1n)); // a negative value is stored in two's complement, as C assigns it
    const max = (1n << bits) - 1n;
    if (place.size > 8 || v < min || v > max) throw new ObjectError(`value ${raw} of '${name}' does not fit its ${place.size} bytes`);
    const bytes = patched.get(place.map) ?? (place.map.initialValue ?? new Uint8Array(place.map.valueSize)).slice();
    let u = BigInt.asUintN(Number(bits), v);
    for (let i = 0; i < place.size; i++) {
      const at = place.offset + (spec.endian === 'le' ? i : place.size - 1 - i);
      bytes[at] = Number(u & 0xffn);
      u >>= 8n;
    }
    patched.set(place.map, bytes);
  }
  return { ...spec, maps: spec.maps.map((m) => (patched.has(m) ? { ...m, initialValue: patched.get(m)! } : m)) };
}
