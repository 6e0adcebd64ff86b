/**
 * Decoding of a `.BTF` section (kernel Documentation/bpf/btf.rst §2 "BTF Type and String
 * Encoding"). Layout:
 *
 *   struct btf_header { u16 magic 0xeB9F; u8 version; u8 flags; u32 hdr_len;
 *                       u32 type_off; u32 type_len; u32 str_off; u32 str_len; }
 *   type section: struct btf_type { u32 name_off; u32 info; u32 size_or_type; } + kind data
 *     info: bits 0-15 vlen, bits 24-28 kind, bit 31 kind_flag
 *   string section: NUL-terminated strings, the first one empty.
 *
 * The byte order is the object's; it is detected from the magic. Every malformed input is a
 * `BtfError` with the byte offset inside the section.
 */
import { BtfError, ByteReader, latin1, type Endian } from '../util/index';
import { BTF_HEADER_SIZE, BTF_KIND_NAMES, BTF_MAGIC, BTF_TYPE_SIZE, NR_BTF_KINDS } from './kinds';
import type { Btf, BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from './types';

/** The parts of a `.BTF` section: header fields, the raw string table, its byte order. */
export interface BtfSections {
  readonly endian: Endian;
  readonly flags: number;
  readonly hdrLen: number;
  /** Offset of the type section from the start of `.BTF`. */
  readonly typeStart: number;
  readonly typeLen: number;
  readonly strStart: number;
  /** The string table bytes. */
  readonly strings: Uint8Array;
}

/** Detects the byte order of a `.BTF` or `.BTF.ext` section from its magic. */
export function btfEndian(bytes: Uint8Array): Endian {
  if (bytes.length < 2) throw new BtfError(`truncated BTF: ${bytes.length} bytes, no magic`, bytes.length);
  const le = bytes[0]! | (bytes[1]! << 8);
  if (le === BTF_MAGIC) return 'le';
  if (le === 0x9feb) return 'be';
  throw new BtfError(`bad BTF magic 0x${le.toString(16).padStart(4, '0')} (expected 0xeb9f)`, 0);
}

const fail = (offset: number, what: string): never => {
  throw new BtfError(what, offset);
};

/** Reads and validates `struct btf_header` and locates the type and string sections. */
export function readBtfHeader(bytes: Uint8Array): BtfSections {
  const endian = btfEndian(bytes);
  const r = new ByteReader(bytes, endian, (o, w) => fail(o, `truncated BTF header: ${w}`));
  const version = r.u8(2, 'version');
  if (version !== 1) fail(2, `unsupported BTF version ${version}`);
  const flags = r.u8(3, 'flags');
  const hdrLen = r.u32(4, 'hdr_len');
  if (hdrLen < BTF_HEADER_SIZE) fail(4, `BTF hdr_len ${hdrLen} smaller than ${BTF_HEADER_SIZE}`);
  if (hdrLen > bytes.length) fail(4, `BTF hdr_len ${hdrLen} past the end (${bytes.length} bytes)`);
  const typeOff = r.u32(8, 'type_off');
  const typeLen = r.u32(12, 'type_len');
  const strOff = r.u32(16, 'str_off');
  const strLen = r.u32(20, 'str_len');
  if (typeOff % 4 !== 0) fail(8, `BTF type_off ${typeOff} is not 4-byte aligned`);
  if (hdrLen + typeOff + typeLen > bytes.length) fail(12, `BTF type section (${typeLen} bytes at ${typeOff}) past the end`);
  if (hdrLen + strOff + strLen > bytes.length) fail(20, `BTF string section (${strLen} bytes at ${strOff}) past the end`);
  if (typeOff < strOff ? typeOff + typeLen > strOff : strOff + strLen > typeOff) {
    fail(16, 'BTF type and string sections overlap');
  }
  const strings = bytes.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  if (strLen > 0 && (strings[0] !== 0 || strings[strLen - 1] !== 0)) {
    fail(hdrLen + strOff, 'BTF string section must start and end with a NUL');
  }
  return { endian, flags, hdrLen, typeStart: hdrLen + typeOff, typeLen, strStart: hdrLen + strOff, strings };
}

/** Resolves a string offset of a BTF string table; `at` locates the referring field for errors. */
export function btfString(strings: Uint8Array, off: number, at: number): string {
  if (off === 0) return '';
  if (off >= strings.length) fail(at, `name offset ${off} past the end of the BTF string table (${strings.length} bytes)`);
  const end = strings.indexOf(0, off);
  if (end < 0) fail(at, `BTF string at ${off} is not NUL-terminated`);
  return latin1(strings.subarray(off, end));
}

/** Every type id a type refers to, for range validation and walkers. */
export function referencedTypes(t: BtfType): number[] {
  switch (t.kind) {
    case 'ptr':
    case 'typedef':
    case 'volatile':
    case 'const':
    case 'restrict':
    case 'type_tag':
    case 'func':
    case 'var':
    case 'decl_tag':
      return [t.type];
    case 'array':
      return [t.type, t.indexType];
    case 'struct':
    case 'union':
      return t.members.map((m) => m.type);
    case 'func_proto':
      return [t.returnType, ...t.params.map((p) => p.type)];
    case 'datasec':
      return t.vars.map((v) => v.type);
    default:
      return [];
  }
}

/**
 * Decodes a `.BTF` section of either byte order into a `Btf` (types[0] is void).
 *
 * @throws BtfError with the offset inside the section: bad magic/version/header, truncated type
 *   records, an unknown kind, a name offset past the string table, a type id out of range.
 */
export function decodeBtf(bytes: Uint8Array): Btf {
  const h = readBtfHeader(bytes);
  const r = new ByteReader(bytes, h.endian, (o, w) => fail(o, `truncated BTF type: ${w}`));
  const end = h.typeStart + h.typeLen;
  const types: BtfType[] = [{ kind: 'void' }];
  const where: number[] = [0];
  const name = (off: number, at: number): string => btfString(h.strings, off, at);
  let at = h.typeStart;
  // Reads a u32 of the type section, refusing to run past its declared end.
  const u32 = (o: number, w: string): number => {
    if (o + 4 > end) fail(o, `truncated BTF type: ${w} past the end of the type section`);
    return r.u32(o, w);
  };
  while (at < end) {
    const start = at;
    const nameOff = u32(at, 'name_off');
    const info = u32(at + 4, 'info');
    const sizeOrType = u32(at + 8, 'size/type');
    at += BTF_TYPE_SIZE;
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) !== 0;
    if (kindNo === 0 || kindNo >= NR_BTF_KINDS) fail(start + 4, `unknown BTF kind ${kindNo} (type [${types.length}])`);
    const kind = BTF_KIND_NAMES[kindNo]!;
    let t: BtfType;
    switch (kind) {
      case 'int': {
        const v = u32(at, 'int encoding');
        at += 4;
        t = { kind, name: name(nameOff, start), size: sizeOrType, encoding: (v >>> 24) & 0xf, bitOffset: (v >>> 16) & 0xff, bits: v & 0xff };
        break;
      }
      case 'ptr':
      case 'typedef':
      case 'volatile':
      case 'const':
      case 'restrict':
        t = kind === 'typedef' ? { kind, name: name(nameOff, start), type: sizeOrType } : { kind, type: sizeOrType };
        break;
      case 'type_tag':
        t = { kind, name: name(nameOff, start), type: sizeOrType };
        break;
      case 'array': {
        t = { kind, type: u32(at, 'array type'), indexType: u32(at + 4, 'array index_type'), nelems: u32(at + 8, 'array nelems') };
        at += 12;
        break;
      }
      case 'struct':
      case 'union': {
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          const off = u32(at + 8, 'member offset');
          members.push({
            name: name(u32(at, 'member name_off'), at),
            type: u32(at + 4, 'member type'),
            bitOffset: kflag ? off & 0xffffff : off,
            bitSize: kflag ? off >>> 24 : 0,
          });
        }
        t = { kind, name: name(nameOff, start), size: sizeOrType, members, kflag };
        break;
      }
      case 'enum': {
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++, at += 8) {
          const raw = u32(at + 4, 'enum value');
          values.push({ name: name(u32(at, 'enum name_off'), at), value: kflag ? raw | 0 : raw });
        }
        t = { kind, name: name(nameOff, start), size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'enum64': {
        const values: BtfEnumValue[] = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          const lo = BigInt(u32(at + 4, 'enum64 val_lo32'));
          const hi = BigInt(u32(at + 8, 'enum64 val_hi32'));
          const u = (hi << 32n) | lo;
          const v = kflag ? BigInt.asIntN(64, u) : u;
          const small = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER);
          values.push({ name: name(u32(at, 'enum64 name_off'), at), value: small ? Number(v) : v });
        }
        t = { kind, name: name(nameOff, start), size: sizeOrType, signed: kflag, values };
        break;
      }
      case 'fwd':
        t = { kind, name: name(nameOff, start), union: kflag };
        break;
      case 'func':
        t = { kind, name: name(nameOff, start), type: sizeOrType, linkage: vlen };
        break;
      case 'func_proto': {
        const params: BtfParam[] = [];
        for (let i = 0; i < vlen; i++, at += 8) {
          params.push({ name: name(u32(at, 'param name_off'), at), type: u32(at + 4, 'param type') });
        }
        t = { kind, returnType: sizeOrType, params };
        break;
      }
      case 'var': {
        t = { kind, name: name(nameOff, start), type: sizeOrType, linkage: u32(at, 'var linkage') };
        at += 4;
        break;
      }
      case 'datasec': {
        const vars: BtfVarSecinfo[] = [];
        for (let i = 0; i < vlen; i++, at += 12) {
          vars.push({ type: u32(at, 'secinfo type'), offset: u32(at + 4, 'secinfo offset'), size: u32(at + 8, 'secinfo size') });
        }
        t = { kind, name: name(nameOff, start), size: sizeOrType, vars };
        break;
      }
      case 'float':
        t = { kind, name: name(nameOff, start), size: sizeOrType };
        break;
      case 'decl_tag': {
        t = { kind, name: name(nameOff, start), type: sizeOrType, componentIdx: u32(at, 'decl_tag component_idx') | 0 };
        at += 4;
        break;
      }
      default:
        fail(start + 4, `unknown BTF kind ${kindNo}`);
        throw new Error('unreachable');
    }
    types.push(t);
    where.push(start);
  }
  // Type ids are positions; a reference past the last type is the kernel's "Invalid type_id".
  for (let id = 1; id < types.length; id++) {
    for (const ref of referencedTypes(types[id]!)) {
      if (ref >= types.length) fail(where[id]!, `type [${id}] refers to type id ${ref}, but there are only ${types.length - 1} types`);
    }
  }
  return { types };
}
