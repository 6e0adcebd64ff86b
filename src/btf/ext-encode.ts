/**
 * Encoding of `.BTF.ext`, the inverse of `decodeBtfExt` (ext.ts documents the layout; kernel
 * Documentation/bpf/btf.rst §4.2). Written as LLVM's BTFDebug::emitBTFExtSection writes it: a
 * 32-byte header (core_relo_off/len included, len 0 when there are none), then the func_info,
 * line_info and core_relo blocks back to back, each a record size followed by one group per
 * section in the order the maps hold them. A block with no records is left out entirely
 * (offset = where it would start, length 0), as BTFDebug does.
 */
import { ByteWriter, type Endian } from '../util/index';
import { BTF_MAGIC, BTF_VERSION } from './kinds';
import type { BtfExt } from './types';

/** The `.BTF.ext` header length clang-19 writes (with the CO-RE relocation fields). */
const EXT_HDR_LEN = 32;

/**
 * Encodes `ext` as a `.BTF.ext` section. `str` gives the offset of a string in the `.BTF`
 * string table the records refer to (section names, file names, source lines, access strings):
 * pass the `BtfBuilder` that encodes the `.BTF`, and call this BEFORE encoding the `.BTF`, so the
 * strings it interns are part of that table.
 */
export function encodeBtfExt(ext: BtfExt, str: (s: string) => number, endian: Endian = 'le'): Uint8Array {
  const block = <T>(groups: ReadonlyMap<string, readonly T[]>, recSize: number, rec: (w: ByteWriter, r: T) => void): Uint8Array => {
    const w = new ByteWriter(endian, 64);
    let any = false;
    for (const [sec, list] of groups) {
      if (list.length === 0) continue;
      if (!any) w.u32(recSize);
      any = true;
      w.u32(str(sec)).u32(list.length);
      for (const r of list) rec(w, r);
    }
    return w.finish();
  };
  const funcs = block(ext.funcInfo, 8, (w, f) => w.u32(f.insnOff).u32(f.typeId));
  const lines = block(ext.lineInfo, 16, (w, l) => w.u32(l.insnOff).u32(str(l.fileName)).u32(str(l.line)).u32(((l.lineNum << 10) | (l.lineCol & 0x3ff)) >>> 0));
  const relos = block(ext.coreRelos, 16, (w, c) => w.u32(c.insnOff).u32(c.typeId).u32(str(c.accessStr)).u32(c.kind));
  const w = new ByteWriter(endian, EXT_HDR_LEN + funcs.length + lines.length + relos.length);
  w.u16(BTF_MAGIC).u8(BTF_VERSION).u8(0).u32(EXT_HDR_LEN);
  w.u32(0).u32(funcs.length);
  w.u32(funcs.length).u32(lines.length);
  w.u32(funcs.length + lines.length).u32(relos.length);
  w.bytes(funcs).bytes(lines).bytes(relos);
  return w.finish();
}
