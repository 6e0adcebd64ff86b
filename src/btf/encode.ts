/**
 * Encoding of BTF: the `BtfBuilder` (add types, intern strings, encode) and `encodeBtf`.
 * The byte layout is the one `decode.ts` documents (kernel Documentation/bpf/btf.rst §2).
 *
 * Strings are interned in first-use order, walking each type's own name before its members',
 * params' and enumerators' names — the order LLVM's BTFDebug adds them, so that a Btf decoded
 * from clang's output re-encodes to the same bytes.
 */
import { ByteWriter, BtfError, encodeLatin1, latin1, type Endian } from '../util/index';
import { BTF_HEADER_SIZE, BTF_MAGIC, BTF_VERSION, btfKindNumber } from './kinds';
import type { Btf, BtfType } from './types';

/** Packs `struct btf_type.info`: vlen (bits 0-15), kind (24-28), kind_flag (31). */
function info(kind: number, vlen: number, kflag: boolean): number {
  return ((kflag ? 1 : 0) << 31) | ((kind & 0x1f) << 24) | (vlen & 0xffff);
}

/** Builds a BTF blob: types get consecutive ids from 1; strings are interned and deduplicated. */
export class BtfBuilder {
  private readonly typeList: BtfType[] = [{ kind: 'void' }];
  private readonly strOffsets = new Map<string, number>([['', 0]]);
  private readonly strBytes = new ByteWriter('le');

  /**
   * @param strings an existing string table (e.g. the one `readBtfHeader` returns) to start
   *   from: its strings keep their offsets, so a decoded `.BTF` whose `.BTF.ext` refers to
   *   source-line strings re-encodes to the same bytes. New strings are appended.
   */
  constructor(strings?: Uint8Array) {
    if (!strings || strings.length === 0) {
      this.strBytes.u8(0);
      return;
    }
    this.strBytes.bytes(strings);
    if (strings[strings.length - 1] !== 0) this.strBytes.u8(0);
    let start = 0;
    for (let i = 0; i < strings.length; i++) {
      if (strings[i] !== 0) continue;
      const str = latin1(strings.subarray(start, i));
      if (!this.strOffsets.has(str)) this.strOffsets.set(str, start);
      start = i + 1;
    }
  }

  /** Interns a string, returning its offset in the string table. */
  addString(s: string): number {
    const have = this.strOffsets.get(s);
    if (have !== undefined) return have;
    const off = this.strBytes.length;
    this.strBytes.bytes(encodeLatin1(s)).u8(0);
    this.strOffsets.set(s, off);
    return off;
  }

  /** Adds a type (the next id) and interns its strings; returns its type id. */
  add(t: BtfType): number {
    if (t.kind === 'void') throw new BtfError('void is type id 0 and cannot be added', 0);
    this.internNames(t);
    this.typeList.push(t);
    return this.typeList.length - 1;
  }

  /** Number of types added so far (the id the next `add` returns is `count + 1`). */
  get count(): number {
    return this.typeList.length - 1;
  }

  /** The types added so far as a `Btf` (types[0] is void). */
  get btf(): Btf {
    return { types: [...this.typeList] };
  }

  /** The offset of an interned string, interning it if needed. */
  stringOffset(s: string): number {
    return this.addString(s);
  }

  private internNames(t: BtfType): void {
    if ('name' in t) this.addString(t.name);
    switch (t.kind) {
      case 'struct':
      case 'union':
        for (const m of t.members) this.addString(m.name);
        break;
      case 'enum':
      case 'enum64':
        for (const v of t.values) this.addString(v.name);
        break;
      case 'func_proto':
        for (const p of t.params) this.addString(p.name);
        break;
      default:
        break;
    }
  }

  /** Encodes the types and strings as a `.BTF` section in `endian`. */
  encode(endian: Endian = 'le'): Uint8Array {
    const tw = new ByteWriter(endian, 1024);
    const s = (name: string): number => this.addString(name);
    for (let id = 1; id < this.typeList.length; id++) {
      const t = this.typeList[id]!;
      const kind = btfKindNumber(t.kind);
      switch (t.kind) {
        case 'void':
          break;
        case 'int':
          tw.u32(s(t.name)).u32(info(kind, 0, false)).u32(t.size);
          tw.u32(((t.encoding & 0xf) << 24) | ((t.bitOffset & 0xff) << 16) | (t.bits & 0xff));
          break;
        case 'ptr':
        case 'volatile':
        case 'const':
        case 'restrict':
          tw.u32(0).u32(info(kind, 0, false)).u32(t.type);
          break;
        case 'typedef':
        case 'type_tag':
          tw.u32(s(t.name)).u32(info(kind, 0, false)).u32(t.type);
          break;
        case 'array':
          tw.u32(0).u32(info(kind, 0, false)).u32(0).u32(t.type).u32(t.indexType).u32(t.nelems);
          break;
        case 'struct':
        case 'union':
          tw.u32(s(t.name)).u32(info(kind, t.members.length, t.kflag)).u32(t.size);
          for (const m of t.members) {
            // With kind_flag, offset packs bitfield_size (bits 24-31) over bit_offset (0-23).
            const off = t.kflag ? ((m.bitSize & 0xff) << 24) | (m.bitOffset & 0xffffff) : m.bitOffset;
            tw.u32(s(m.name)).u32(m.type).u32(off);
          }
          break;
        case 'enum':
          tw.u32(s(t.name)).u32(info(kind, t.values.length, t.signed)).u32(t.size);
          for (const v of t.values) tw.u32(s(v.name)).u32(Number(BigInt.asUintN(32, BigInt(v.value))));
          break;
        case 'enum64':
          tw.u32(s(t.name)).u32(info(kind, t.values.length, t.signed)).u32(t.size);
          for (const v of t.values) {
            const u = BigInt.asUintN(64, BigInt(v.value));
            tw.u32(s(v.name)).u32(Number(u & 0xffffffffn)).u32(Number(u >> 32n));
          }
          break;
        case 'fwd':
          tw.u32(s(t.name)).u32(info(kind, 0, t.union)).u32(0);
          break;
        case 'func':
          tw.u32(s(t.name)).u32(info(kind, t.linkage, false)).u32(t.type);
          break;
        case 'func_proto':
          tw.u32(0).u32(info(kind, t.params.length, false)).u32(t.returnType);
          for (const p of t.params) tw.u32(s(p.name)).u32(p.type);
          break;
        case 'var':
          tw.u32(s(t.name)).u32(info(kind, 0, false)).u32(t.type).u32(t.linkage);
          break;
        case 'datasec':
          tw.u32(s(t.name)).u32(info(kind, t.vars.length, false)).u32(t.size);
          for (const v of t.vars) tw.u32(v.type).u32(v.offset).u32(v.size);
          break;
        case 'float':
          tw.u32(s(t.name)).u32(info(kind, 0, false)).u32(t.size);
          break;
        case 'decl_tag':
          tw.u32(s(t.name)).u32(info(kind, 0, false)).u32(t.type).i32(t.componentIdx);
          break;
      }
    }
    const types = tw.finish();
    const strs = this.strBytes.finish();
    const w = new ByteWriter(endian, BTF_HEADER_SIZE + types.length + strs.length);
    w.u16(BTF_MAGIC).u8(BTF_VERSION).u8(0).u32(BTF_HEADER_SIZE);
    w.u32(0).u32(types.length).u32(types.length).u32(strs.length);
    w.bytes(types).bytes(strs);
    return w.finish();
  }
}

/**
 * Encodes a whole `Btf` as a `.BTF` section (types in id order, strings interned in order).
 * `strings` optionally seeds the string table (see `BtfBuilder`'s constructor).
 */
export function encodeBtf(btf: Btf, endian: Endian = 'le', strings?: Uint8Array): Uint8Array {
  const b = new BtfBuilder(strings);
  for (let id = 1; id < btf.types.length; id++) b.add(btf.types[id]!);
  return b.encode(endian);
}
