/**
 * Decoding of `.BTF.ext` (kernel Documentation/bpf/btf.rst §4.2 ".BTF.ext section"; libbpf
 * btf_ext__new). Layout:
 *
 *   struct btf_ext_header { u16 magic; u8 version; u8 flags; u32 hdr_len;
 *                           u32 func_info_off; u32 func_info_len;
 *                           u32 line_info_off; u32 line_info_len;
 *                           u32 core_relo_off; u32 core_relo_len; }  // last two if hdr_len >= 32
 *   each info block: u32 rec_size, then per section { u32 sec_name_off; u32 num_info;
 *                    num_info records of rec_size bytes }
 *   bpf_func_info      { u32 insn_off; u32 type_id; }
 *   bpf_line_info      { u32 insn_off; u32 file_name_off; u32 line_off; u32 line_col; }
 *                      line_col = line_num << 10 | col
 *   bpf_core_relo      { u32 insn_off; u32 type_id; u32 access_str_off; u32 kind; }
 *
 * Names are offsets into the `.BTF` string table. `insn_off` is in bytes in the object file.
 */
import { BtfError, ByteReader } from '../util/index';
import { btfEndian, btfString, readBtfHeader } from './decode';
import type { BtfCoreReloc, BtfExt, BtfFuncInfo, BtfLineInfo } from './types';

const fail = (offset: number, what: string): never => {
  throw new BtfError(what, offset);
};

/**
 * Decodes `.BTF.ext`, resolving names through the string table of `btf` (the `.BTF` bytes).
 *
 * @throws BtfError with the offset inside `.BTF.ext` for any malformed input.
 */
export function decodeBtfExt(ext: Uint8Array, btf: Uint8Array): BtfExt {
  const strings = readBtfHeader(btf).strings;
  const endian = btfEndian(ext);
  const r = new ByteReader(ext, endian, (o, w) => fail(o, `truncated BTF.ext: ${w}`));
  const version = r.u8(2, 'version');
  if (version !== 1) fail(2, `unsupported BTF.ext version ${version}`);
  const hdrLen = r.u32(4, 'hdr_len');
  if (hdrLen < 24) fail(4, `BTF.ext hdr_len ${hdrLen} smaller than 24`);
  r.check(0, hdrLen, 'BTF.ext header');
  const out: BtfExt = { funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map() };

  // One info block: walk its per-section records, calling `rec` for each record offset.
  const block = (offField: number, minRec: number, what: string, rec: (at: number, sec: string) => void): void => {
    const off = r.u32(offField, `${what} off`);
    const len = r.u32(offField + 4, `${what} len`);
    if (len === 0) return;
    const start = hdrLen + off;
    const end = start + len;
    if (end > ext.length) fail(offField, `${what} (${len} bytes at ${off}) past the end of BTF.ext`);
    const recSize = r.u32(start, `${what} rec_size`);
    if (recSize < minRec || recSize % 4 !== 0) fail(start, `${what} rec_size ${recSize} invalid (need >= ${minRec})`);
    let at = start + 4;
    while (at < end) {
      if (at + 8 > end) fail(at, `${what}: truncated section header`);
      const sec = btfString(strings, r.u32(at, 'sec_name_off'), at);
      const num = r.u32(at + 4, 'num_info');
      at += 8;
      if (num === 0) fail(at - 4, `${what}: section '${sec}' has zero records`);
      if (at + num * recSize > end) fail(at - 4, `${what}: ${num} records of section '${sec}' past the end of the block`);
      for (let i = 0; i < num; i++, at += recSize) rec(at, sec);
    }
  };
  const push = <T>(m: Map<string, T[]>, sec: string, v: T): void => {
    const list = m.get(sec);
    if (list) list.push(v);
    else m.set(sec, [v]);
  };
  block(8, 8, 'func_info', (at, sec) => {
    const f: BtfFuncInfo = { insnOff: r.u32(at), typeId: r.u32(at + 4) };
    push(out.funcInfo, sec, f);
  });
  block(16, 16, 'line_info', (at, sec) => {
    const lineCol = r.u32(at + 12);
    const l: BtfLineInfo = {
      insnOff: r.u32(at),
      fileName: btfString(strings, r.u32(at + 4), at + 4),
      line: btfString(strings, r.u32(at + 8), at + 8),
      lineNum: lineCol >>> 10,
      lineCol: lineCol & 0x3ff,
    };
    push(out.lineInfo, sec, l);
  });
  if (hdrLen >= 32) {
    block(24, 16, 'core_relo', (at, sec) => {
      const c: BtfCoreReloc = {
        insnOff: r.u32(at),
        typeId: r.u32(at + 4),
        accessStr: btfString(strings, r.u32(at + 8), at + 8),
        kind: r.u32(at + 12),
      };
      push(out.coreRelos, sec, c);
    });
  }
  return out;
}
