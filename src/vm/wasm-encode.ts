/**
 * A minimal WebAssembly binary encoder: LEB128 numbers, the opcodes the eBPF translator emits
 * and the module sections it needs (types, imports, functions, globals, exports, code). Written
 * from the WebAssembly Core Specification 2.0, §5 "Binary Format"; no dependency.
 */

/** Value types (§5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
/** The empty block type (§5.3.5 blocktype). */
export const VOID = 0x40;

/** Opcodes (§5.4). Names follow the text format with dots replaced by underscores. */
export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22, global_get: 0x23, global_set: 0x24,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i64_load8_s: 0x30, i64_load8_u: 0x31, i64_load16_s: 0x32, i64_load16_u: 0x33, i64_load32_s: 0x34, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_gt_u: 0x4b,
  i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_div_s: 0x6d, i32_div_u: 0x6e, i32_rem_s: 0x6f, i32_rem_u: 0x70,
  i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_rem_s: 0x81, i64_rem_u: 0x82,
  i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86, i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad,
  i32_extend8_s: 0xc0, i32_extend16_s: 0xc1, i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

/** A growable byte buffer with the LEB128 writers of §5.2.2. */
export class Bytes {
  private buf = new Uint8Array(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  byte(b: number): this {
    this.room(1);
    this.buf[this.length++] = b;
    return this;
  }

  /** Several raw bytes. */
  raw(bs: ArrayLike<number>): this {
    this.room(bs.length);
    for (let i = 0; i < bs.length; i++) this.buf[this.length++] = bs[i]!;
    return this;
  }

  /** Unsigned LEB128 of a number below 2^32. */
  u32(v: number): this {
    v >>>= 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of an int32. */
  s32(v: number): this {
    v |= 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** Signed LEB128 of the int64 whose halves are (lo, hi). */
  s64(lo: number, hi: number): this {
    if (hi === lo >> 31) return this.s32(lo);
    let v = BigInt.asIntN(64, (BigInt(hi | 0) << 32n) | BigInt(lo >>> 0));
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return this.byte(b);
      this.byte(b | 0x80);
    }
  }

  /** A name (§5.2.4): length then UTF-8 bytes (ASCII here). */
  name(s: string): this {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
    return this;
  }

  /** A vector of already-encoded items: count then bytes. */
  vec(count: number, body: Bytes): this {
    this.u32(count);
    return this.append(body);
  }

  append(b: Bytes): this {
    this.room(b.length);
    this.buf.set(b.buf.subarray(0, b.length), this.length);
    this.length += b.length;
    return this;
  }

  /** Appends `b` prefixed by its byte length (section and function bodies). */
  sized(b: Bytes): this {
    this.u32(b.length);
    return this.append(b);
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** A function type: parameter and result value types. */
export interface FuncType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

/** One imported function. */
export interface FuncImport {
  readonly module: string;
  readonly name: string;
  readonly type: number;
}

/** The parts of a module the translator fills in; {@link encodeModule} lays them out. */
export interface ModuleParts {
  readonly types: readonly FuncType[];
  readonly imports: readonly FuncImport[];
  /** The imported memory: module/name and its page limits (min = max: it never grows). */
  readonly memory: { readonly module: string; readonly name: string; readonly pages: number };
  /** Mutable i32 globals with their initial values. */
  readonly globals: readonly number[];
  /** Defined functions: type index and body (locals declaration + code + `end`). */
  readonly funcs: readonly { readonly type: number; readonly body: Bytes }[];
  /** Exported functions (index: imports count first) and globals. */
  readonly exports: readonly { readonly name: string; readonly func?: number; readonly global?: number }[];
}

/** Encodes a module (§5.5): magic, version, then the sections in their required order. */
export function encodeModule(m: ModuleParts): Uint8Array {
  const out = new Bytes().raw([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, count: number, body: Bytes): void => {
    out.byte(id).sized(new Bytes().vec(count, body));
  };
  const types = new Bytes();
  for (const t of m.types) {
    types.byte(0x60).u32(t.params.length).raw(t.params).u32(t.results.length).raw(t.results);
  }
  section(1, m.types.length, types);
  const imports = new Bytes();
  for (const i of m.imports) imports.name(i.module).name(i.name).byte(0x00).u32(i.type);
  imports.name(m.memory.module).name(m.memory.name).byte(0x02).byte(0x01).u32(m.memory.pages).u32(m.memory.pages);
  section(2, m.imports.length + 1, imports);
  const funcs = new Bytes();
  for (const f of m.funcs) funcs.u32(f.type);
  section(3, m.funcs.length, funcs);
  if (m.globals.length > 0) {
    const globals = new Bytes();
    for (const g of m.globals) globals.byte(I32).byte(0x01).byte(OP.i32_const).s32(g).byte(OP.end);
    section(6, m.globals.length, globals);
  }
  const exports = new Bytes();
  for (const e of m.exports) {
    if (e.global !== undefined) exports.name(e.name).byte(0x03).u32(e.global);
    else exports.name(e.name).byte(0x00).u32(e.func ?? 0);
  }
  section(7, m.exports.length, exports);
  const code = new Bytes();
  for (const f of m.funcs) code.sized(f.body);
  section(10, m.funcs.length, code);
  return out.bytes();
}
