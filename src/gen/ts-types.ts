/**
 * BTF → TypeScript: the type printer and the codec generator. Every struct, union and enum that
 * a map or a `--type` reaches gets a declaration; struct/union codecs are straight-line DataView
 * code with the offsets BTF gives (so the layout is clang's, padding included), specialised for
 * one byte order (the generated file is per target, like bpf2go's `_bpfel.go`/`_bpfeb.go`).
 *
 * Mapping (shared/reference/bindings.md 6.4): ints of 1/2/4 bytes → number, 8 and 16 bytes →
 * bigint, bool → boolean, floats → number, pointers → bigint (an opaque address), enums → a
 * const object plus the union of its values, arrays of 1-byte ints → Uint8Array/Int8Array,
 * arrays of ≤ 16 scalars → tuples, other arrays → T[], typedefs and qualifiers transparent,
 * anything without a faithful shape → Uint8Array of its exact size.
 */
import { UsageError } from '../util/errors';
import type { Btf, BtfMember, BtfType } from '../btf';
import { alignOf, memberBitOffset, memberBitSize, resolveId, sizeOf, skipQualifiers, typeAt } from './btf-walk';
import { assignMemberNames, pascalName, propKey } from './names';
import { scalarShape, type Scalar } from './scalars';

/** A declared (named) TypeScript type made from one BTF type. */
interface Decl {
  readonly id: number;
  readonly tsName: string;
  /** C spelling for comments: `struct flow_stats`, `union (anon) in flow_stats.total`. */
  readonly cDesc: string;
  /** True when the name came from a C name (collisions are errors), false when derived. */
  readonly fromC: boolean;
}

/** Offset expression `base + k`, constant-folded when printed. */
function at(base: string, k: number): string {
  if (k === 0) return base;
  return base === '0' ? String(k) : `${base} + ${k}`;
}

/** Helper functions the generated module may need; emitted once, only when used. */
export type HelperName = 'codec' | 'rawCodec' | 'bytesAt' | 'putBytes' | 'checkLength' | 'getBits' | 'setBits' | 'getBitsBig' | 'setBitsBig' | 'getInt128' | 'setInt128';


/**
 * Builds the TypeScript declarations and codecs for the BTF types of one object and one byte
 * order. Names are assigned the first time a type is reached, in the (sorted) order roots are
 * added, so the output is deterministic.
 */
export class TypeEmitter {
  private readonly decls = new Map<number, Decl>();
  private readonly byName = new Map<string, Decl>();
  private readonly aliases = new Map<string, { tsName: string; id: number; cDesc: string }>();
  private readonly extraCodecs = new Map<string, { name: string; text: string }>();
  /** Helpers used so far. */
  readonly helpers = new Set<HelperName>();
  /** Warnings met while typing (unsupported shapes that fell back to bytes). */
  readonly warnings: string[] = [];
  private readonly typedefNames = new Map<number, string>();

  constructor(
    private readonly btf: Btf,
    private readonly stem: string,
    /** Names the module itself uses (`<Stem>Objects`...): a type landing on one is an error. */
    private readonly reserved: ReadonlySet<string>,
  ) {
    // An anonymous struct/union/enum named by a typedef takes the typedef's name (first by id).
    btf.types.forEach((t, id) => {
      if (t.kind !== 'typedef' || t.name === '') return;
      const target = skipQualifiers(btf, t.type);
      const tt = typeAt(btf, target);
      if ((tt.kind === 'struct' || tt.kind === 'union' || tt.kind === 'enum' || tt.kind === 'enum64') && tt.name === '' && !this.typedefNames.has(target)) {
        this.typedefNames.set(target, t.name);
      }
      void id;
    });
  }

  private kindWord(t: BtfType): string {
    return t.kind === 'enum64' ? 'enum' : t.kind;
  }

  /** Declares (names) a composite or enum type if not yet declared; returns its TS name. */
  private declare(id: number, hint: { name: string; desc: string } | undefined): string {
    const have = this.decls.get(id);
    if (have) return have.tsName;
    const t = typeAt(this.btf, id);
    if (t.kind !== 'struct' && t.kind !== 'union' && t.kind !== 'enum' && t.kind !== 'enum64') throw new Error(`not declarable: ${t.kind}`);
    const cName = t.name !== '' ? t.name : (this.typedefNames.get(id) ?? '');
    let decl: Decl;
    if (cName !== '') {
      const tsName = this.stem + pascalName(cName);
      const cDesc = t.name !== '' ? `${this.kindWord(t)} ${t.name}` : `typedef ${cName} (anonymous ${this.kindWord(t)})`;
      const clash = this.byName.get(tsName);
      if (clash || this.reserved.has(tsName) || this.aliases.has(tsName)) {
        const other = clash ? clash.cDesc : this.reserved.has(tsName) ? 'a name the module itself uses' : `typedef ${this.aliases.get(tsName)?.cDesc}`;
        throw new UsageError(`type name ${tsName} is used by both ${cDesc} and ${other}; rename one or pick one with --type kind:name`);
      }
      decl = { id, tsName, cDesc, fromC: true };
    } else {
      const base = hint ? hint.name : `${this.stem}Anon${id}`;
      let tsName = base;
      for (let i = 2; this.byName.has(tsName) || this.reserved.has(tsName) || this.aliases.has(tsName); i++) tsName = `${base}${i}`;
      decl = { id, tsName, cDesc: `anonymous ${this.kindWord(t)}${hint ? ` (${hint.desc})` : ''}`, fromC: false };
    }
    this.decls.set(id, decl);
    this.byName.set(decl.tsName, decl);
    // Reach everything inside now, so names are assigned in a deterministic walk order.
    if (t.kind === 'struct' || t.kind === 'union') {
      const names = this.memberNames(t);
      t.members.forEach((m, i) => this.reach(m.type, { name: decl.tsName + pascalName(names[i]!), desc: `${decl.cDesc.replace(/^anonymous \w+ \((.*)\)$/, '$1')}.${m.name || names[i]}` }));
    }
    return decl.tsName;
  }

  /** Visits a type so every composite inside gets declared (with `hint` naming anonymous ones). */
  reach(id: number, hint?: { name: string; desc: string }): void {
    const q = skipQualifiers(this.btf, id);
    const t = typeAt(this.btf, q);
    if (t.kind === 'typedef') return this.reach(t.type, this.typedefNames.get(skipQualifiers(this.btf, t.type)) ? undefined : hint);
    if (t.kind === 'array') return this.reach(t.type, hint);
    if (t.kind === 'struct' || t.kind === 'union' || t.kind === 'enum' || t.kind === 'enum64') {
      if (t.kind === 'enum' || t.kind === 'enum64' || t.members.length > 0 || t.size > 0) this.declare(q, hint);
    }
  }

  /** Adds a root by type id (a map key/value or a `--type`); returns the TS name if declared. */
  addRoot(id: number, hint: { name: string; desc: string }): string | undefined {
    this.reach(id, hint);
    return this.decls.get(resolveId(this.btf, id))?.tsName;
  }

  /**
   * Adds a `--type` that names a typedef or a scalar: emitted as `export type <Stem><Name> = ...`
   * plus a codec of the same name.
   */
  addAlias(id: number, cName: string, cDesc: string): string {
    const tsName = this.stem + pascalName(cName);
    if (this.byName.has(tsName) || this.reserved.has(tsName) || this.aliases.has(tsName)) {
      if (this.aliases.get(tsName)?.id === id) return tsName;
      throw new UsageError(`type name ${tsName} is used by both ${cDesc} and another type; rename one`);
    }
    this.reach(id, { name: tsName + 'Target', desc: cDesc });
    this.aliases.set(tsName, { tsName, id, cDesc });
    return tsName;
  }

  /** Member names of a struct/union, unnamed members named `anon0`, `anon1`... (not flattened). */
  memberNames(t: { members: BtfMember[] }): string[] {
    let anon = 0;
    const cNames = t.members.map((m) => (m.name !== '' ? m.name : `anon${anon++}`));
    const { names, warnings } = assignMemberNames(cNames);
    this.warnings.push(...warnings);
    return cNames.map((c) => names.get(c)!);
  }

  /** The scalar shape of a resolved type (enums typed as `tsOverride`), or null. */
  private scalar(t: BtfType, tsOverride?: string): Scalar | null {
    return scalarShape(t, this.helpers, tsOverride);
  }

  /** The enum's TS name when `t` (resolved) is a declared enum. */
  private enumName(id: number): string | undefined {
    const t = typeAt(this.btf, id);
    if ((t.kind === 'enum' || t.kind === 'enum64') && t.values.length > 0) return this.declare(id, undefined);
    return undefined;
  }

  /** TypeScript type expression of a BTF type. */
  tsType(id: number): string {
    const rid = resolveId(this.btf, id);
    const t = typeAt(this.btf, rid);
    if (t.kind === 'struct' || t.kind === 'union') return t.members.length > 0 || t.size > 0 ? this.declare(rid, undefined) : 'Uint8Array';
    const s = this.scalar(t, this.enumName(rid));
    if (s) return s.ts;
    if (t.kind === 'array') {
      const e = typeAt(this.btf, resolveId(this.btf, t.type));
      // `char` (signed on BPF, no CHAR bit from clang) and unsigned bytes are Uint8Array (strings,
      // addresses); an explicitly signed byte type (`__s8`, `signed char`) is Int8Array.
      if (e.kind === 'int' && e.size === 1 && (e.encoding & 4) === 0) return (e.encoding & 1) !== 0 && e.name !== 'char' ? 'Int8Array' : 'Uint8Array';
      const inner = this.tsType(t.type);
      if (this.scalar(e) && t.nelems <= 16) return `[${Array.from({ length: t.nelems }, () => inner).join(', ')}]`;
      return /[\s|]/.test(inner) ? `(${inner})[]` : `${inner}[]`;
    }
    return 'Uint8Array';
  }

  /** Expression reading the type at offset `base + k` of DataView `v`. */
  readExpr(id: number, base: string, k: number, depth = 0): string {
    const rid = resolveId(this.btf, id);
    const t = typeAt(this.btf, rid);
    const off = at(base, k);
    if (t.kind === 'struct' || t.kind === 'union') {
      if (t.members.length === 0 && t.size === 0) return 'new Uint8Array(0)';
      return `read${this.declare(rid, undefined)}(v, ${off})`;
    }
    const s = this.scalar(t, this.enumName(rid));
    if (s) return s.read(off);
    if (t.kind === 'array') {
      const eid = resolveId(this.btf, t.type);
      const e = typeAt(this.btf, eid);
      const esz = sizeOf(this.btf, eid);
      if (e.kind === 'int' && e.size === 1 && (e.encoding & 4) === 0) {
        this.helpers.add('bytesAt');
        const bytes = `bytesAt(v, ${off}, ${t.nelems})`;
        return this.tsType(rid) === 'Int8Array' ? `new Int8Array(${bytes}.buffer)` : bytes;
      }
      if (this.scalar(e) && t.nelems <= 16) {
        return `[${Array.from({ length: t.nelems }, (_, i) => this.readExpr(eid, base, k + i * esz, depth + 1)).join(', ')}]`;
      }
      const iv = `i${depth}`;
      return `Array.from({ length: ${t.nelems} }, (_, ${iv}) => ${this.readExpr(eid, `${off} + ${iv} * ${esz}`, 0, depth + 1)})`;
    }
    this.unsupported(t, rid);
    this.helpers.add('bytesAt');
    return `bytesAt(v, ${off}, ${sizeOf(this.btf, rid)})`;
  }

  /** Statements writing value expression `x` of the type at offset `base + k`. */
  writeStmts(id: number, base: string, k: number, x: string, what: string, depth = 0): string[] {
    const rid = resolveId(this.btf, id);
    const t = typeAt(this.btf, rid);
    const off = at(base, k);
    if (t.kind === 'struct' || t.kind === 'union') {
      if (t.members.length === 0 && t.size === 0) return [];
      return [`write${this.declare(rid, undefined)}(v, ${off}, ${x});`];
    }
    const s = this.scalar(t, this.enumName(rid));
    if (s) return [s.write(off, x)];
    if (t.kind === 'array') {
      const eid = resolveId(this.btf, t.type);
      const e = typeAt(this.btf, eid);
      const esz = sizeOf(this.btf, eid);
      if (e.kind === 'int' && e.size === 1 && (e.encoding & 4) === 0) {
        this.helpers.add('putBytes');
        return [`putBytes(v, ${off}, ${t.nelems}, ${x}, ${JSON.stringify(what)});`];
      }
      this.helpers.add('checkLength');
      const out = [`checkLength(${x}, ${t.nelems}, ${JSON.stringify(what)});`];
      if (this.scalar(e) && t.nelems <= 16) {
        for (let i = 0; i < t.nelems; i++) out.push(...this.writeStmts(eid, base, k + i * esz, `${x}[${i}]!`, `${what}[${i}]`, depth + 1));
        return out;
      }
      const iv = `i${depth}`;
      const body = this.writeStmts(eid, `${off} + ${iv} * ${esz}`, 0, `${x}[${iv}]!`, `${what}[]`, depth + 1);
      out.push(`for (let ${iv} = 0; ${iv} < ${t.nelems}; ${iv}++) {`, ...body.map((l) => `  ${l}`), '}');
      return out;
    }
    this.unsupported(t, rid);
    this.helpers.add('putBytes');
    return [`putBytes(v, ${off}, ${sizeOf(this.btf, rid)}, ${x}, ${JSON.stringify(what)});`];
  }

  private readonly warned = new Set<number>();
  private unsupported(t: BtfType, id: number): void {
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.warnings.push(`BTF type [${id}] (${t.kind}) has no TypeScript shape; using Uint8Array of its ${sizeOf(this.btf, id)} bytes`);
  }

  /**
   * A codec expression for a map key/value type: a declared composite's codec constant, or a
   * module-level constant named `fallback` built from the type's read/write code (deduplicated).
   */
  codecExpr(id: number, fallback: string): string {
    const rid = resolveId(this.btf, id);
    const t = typeAt(this.btf, rid);
    if ((t.kind === 'struct' || t.kind === 'union') && (t.members.length > 0 || t.size > 0)) return this.declare(rid, undefined);
    const ts = this.tsType(rid);
    const read = this.readExpr(rid, 'o', 0);
    const write = this.writeStmts(rid, 'o', 0, 'x', fallback);
    this.helpers.add('codec');
    const body = write.length === 1 ? ` ${write[0]} ` : `\n${write.map((l) => `  ${l}`).join('\n')}\n`;
    fallback = this.scalarCodecName(t) ?? fallback;
    return this.namedCodec(`codec<${ts}>(${sizeOf(this.btf, rid)}, ${alignOf(this.btf, rid)}, (v, o) => ${read}, (v, o, x) => {${body}})`, fallback);
  }

  /**
   * The codec of a map-in-map's value as user space sees it: the inner map's id, a u32 (the
   * kernel takes a map fd on update and gives the id back on lookup; xdpts maps take the id).
   */
  mapIdCodec(): string {
    this.helpers.add('codec');
    return this.namedCodec('codec<number>(4, 4, (v, o) => v.getUint32(o, LE), (v, o, x) => { v.setUint32(o, x, LE); })', 'u32Codec');
  }

  /** A module-level codec constant for `text`, named `fallback` (deduplicated by text). */
  private namedCodec(text: string, fallback: string): string {
    const have = this.extraCodecs.get(text);
    if (have) return have.name;
    let name = fallback;
    for (let i = 2; [...this.extraCodecs.values()].some((c) => c.name === name); i++) name = `${fallback}${i}`;
    this.extraCodecs.set(text, { name, text });
    return name;
  }

  /** A name for the codec of a scalar type (`u32Codec`, `s64Codec`, `boolCodec`...), else undefined. */
  private scalarCodecName(t: BtfType): string | undefined {
    if (t.kind === 'int') return (t.encoding & 4) !== 0 && t.size === 1 ? 'boolCodec' : `${(t.encoding & 1) !== 0 ? 's' : 'u'}${t.size * 8}Codec`;
    if (t.kind === 'float') return `f${t.size * 8}Codec`;
    if (t.kind === 'ptr') return 'ptrCodec';
    return undefined;
  }

  /**
   * The declarations: first the codec constants of undeclared map key/value types (they call only
   * hoisted functions), then structs/unions/enums sorted by name, then `--type` aliases (which may
   * refer to both), so no constant is read before it is initialised.
   */
  render(): string {
    // Rendering may reach more types (declare is lazy); loop until no new declaration appears.
    const decls = new Map<string, string>();
    const aliases = new Map<string, string>();
    for (;;) {
      const pending = [...this.byName.values()].filter((d) => !decls.has(d.tsName));
      const pendingAliases = [...this.aliases.values()].filter((a) => !aliases.has(a.tsName));
      if (pending.length === 0 && pendingAliases.length === 0) break;
      for (const d of pending) decls.set(d.tsName, this.renderDecl(d));
      for (const a of pendingAliases) aliases.set(a.tsName, this.renderAlias(a));
    }
    const sorted = (m: Map<string, string>): string[] => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, text]) => text);
    const codecs = [...this.extraCodecs.values()].map((c) => `/** Codec of a map key/value or alias type that has no declaration of its own. */\nconst ${c.name} = ${c.text};`);
    return [...(codecs.length ? [codecs.join('\n')] : []), ...sorted(decls), ...sorted(aliases)].join('\n\n');
  }

  private renderAlias(a: { tsName: string; id: number; cDesc: string }): string {
    const codec = this.codecExpr(a.id, `${a.tsName}Codec`);
    return [
      `/** ${a.cDesc} (${sizeOf(this.btf, a.id)} bytes). */`,
      `export type ${a.tsName} = ${this.tsType(a.id)};`,
      `/** Codec of {@link ${a.tsName}}. */`,
      `export const ${a.tsName}: Codec<${a.tsName}> = ${codec};`,
    ].join('\n');
  }

  private renderDecl(d: Decl): string {
    const t = typeAt(this.btf, d.id);
    if (t.kind === 'enum' || t.kind === 'enum64') return this.renderEnum(d, t);
    if (t.kind === 'struct' || t.kind === 'union') return this.renderComposite(d, t);
    throw new Error(`cannot render ${t.kind}`);
  }

  private renderEnum(d: Decl, t: Extract<BtfType, { kind: 'enum' | 'enum64' }>): string {
    const wide = t.size === 8 || t.kind === 'enum64';
    const lit = (v: number | bigint): string => {
      let n = BigInt(v);
      // Unsigned enums whose value was read as a negative 32/64-bit number are reinterpreted.
      if (!t.signed && n < 0n) n += 1n << BigInt(t.size * 8);
      return wide ? `${n}n` : String(Number(n));
    };
    const { names } = assignMemberNames(t.values.map((v) => v.name), (c) => c);
    const lines = [`/** ${d.cDesc} (${t.size} bytes, ${t.signed ? 'signed' : 'unsigned'}). */`, `export const ${d.tsName} = {`];
    for (const v of t.values) lines.push(`  ${propKey(names.get(v.name)!)}: ${lit(v.value)},`);
    lines.push('} as const;');
    lines.push(`/** A value of ${d.cDesc}; a value the enum does not list still decodes to its number. */`);
    lines.push(
      t.values.length > 0
        ? `export type ${d.tsName} = (typeof ${d.tsName})[keyof typeof ${d.tsName}];`
        : `export type ${d.tsName} = ${wide ? 'bigint' : 'number'};`,
    );
    return lines.join('\n');
  }

  private renderComposite(d: Decl, t: Extract<BtfType, { kind: 'struct' | 'union' }>): string {
    const names = this.memberNames(t);
    const isUnion = t.kind === 'union';
    const size = t.size;
    const align = alignOf(this.btf, d.id);
    const out: string[] = [];
    out.push(`/**`, ` * ${d.cDesc}: ${size} bytes, align ${align}.`);
    if (isUnion) out.push(' * Decoding fills every member from the same bytes; encoding writes one member: the largest', ' * one present (first declared among equals), so set exactly one before encoding.');
    out.push(' */', `export interface ${d.tsName} {`);
    const members = t.members.map((m, i) => {
      const bits = memberBitSize(this.btf, t, m);
      const bitOff = memberBitOffset(this.btf, t, m);
      return { m, name: names[i]!, bits, bitOff, key: propKey(names[i]!) };
    });
    for (const mm of members) {
      const ts = mm.bits > 0 ? this.bitfieldTs(mm.m.type, mm.bits) : this.tsType(mm.m.type);
      const where = mm.bits > 0 ? `bits ${mm.bitOff}..${mm.bitOff + mm.bits - 1}` : `offset ${mm.bitOff / 8}`;
      out.push(`  /** ${mm.m.name || '(unnamed)'}: ${where}. */`);
      out.push(`  ${mm.key}${isUnion ? '?' : ''}: ${ts};`);
    }
    out.push('}');
    // Reader.
    out.push(`function read${d.tsName}(v: DataView, o: number): ${d.tsName} {`, '  return {');
    for (const mm of members) {
      const expr = mm.bits > 0 ? this.bitfieldRead(mm.m.type, mm.bitOff, mm.bits) : this.readExpr(mm.m.type, 'o', mm.bitOff / 8, 1);
      out.push(`    ${mm.key}: ${expr},`);
    }
    out.push('  };', '}');
    // Writer.
    out.push(`function write${d.tsName}(v: DataView, o: number, x: ${d.tsName}): void {`);
    const acc = (name: string): string => (propKey(name) === name ? `x.${name}` : `x[${JSON.stringify(name)}]`);
    const memberWrite = (mm: (typeof members)[number], x: string): string[] =>
      mm.bits > 0 ? this.bitfieldWrite(mm.m.type, mm.bitOff, mm.bits, x) : this.writeStmts(mm.m.type, 'o', mm.bitOff / 8, x, `${d.tsName}.${mm.name}`, 1);
    if (!isUnion) {
      for (const mm of members) out.push(...memberWrite(mm, acc(mm.name)).map((l) => `  ${l}`));
    } else {
      // Largest member first (ties: declaration order), so a decoded value round-trips exactly.
      const order = members
        .map((mm, i) => ({ mm, i, sz: mm.bits > 0 ? Math.ceil(mm.bits / 8) : sizeOf(this.btf, mm.m.type) }))
        .sort((a, b) => b.sz - a.sz || a.i - b.i);
      order.forEach(({ mm }, j) => {
        const a = acc(mm.name);
        out.push(`  ${j === 0 ? 'if' : '} else if'} (${a} !== undefined) {`);
        out.push(...memberWrite(mm, a).map((l) => `    ${l}`));
      });
      if (order.length > 0) out.push('  }');
    }
    out.push('}');
    this.helpers.add('codec');
    out.push(`/** Codec of {@link ${d.tsName}} (${size} bytes). */`);
    out.push(`export const ${d.tsName}: Codec<${d.tsName}> = codec(${size}, ${align}, read${d.tsName}, write${d.tsName});`);
    out.push(`/** Encodes a {@link ${d.tsName}} into ${size} new bytes in the object's byte order. */`);
    out.push(`export function encode${d.tsName}(x: ${d.tsName}): Uint8Array {`, `  return ${d.tsName}.encode(x);`, '}');
    out.push(`/** Decodes ${size} bytes in the object's byte order into a {@link ${d.tsName}}. */`);
    out.push(`export function decode${d.tsName}(b: Uint8Array): ${d.tsName} {`, `  return ${d.tsName}.decode(b);`, '}');
    return out.join('\n');
  }

  /** TS type of a bitfield: boolean for bool, the enum for enums, number up to 32 bits, bigint above. */
  private bitfieldTs(typeId: number, bits: number): string {
    const rid = resolveId(this.btf, typeId);
    const t = typeAt(this.btf, rid);
    if (t.kind === 'int' && (t.encoding & 4) !== 0) return 'boolean';
    if (bits > 32) return 'bigint';
    return this.enumName(rid) ?? 'number';
  }

  private bitfieldSigned(typeId: number): boolean {
    const t = typeAt(this.btf, resolveId(this.btf, typeId));
    if (t.kind === 'int') return (t.encoding & 1) !== 0;
    if (t.kind === 'enum' || t.kind === 'enum64') return t.signed;
    return false;
  }

  /**
   * Bitfield geometry as the kernel's `btf_bitfield_seq_show` reads it: copy the bytes that hold
   * the field into an integer in the object's byte order; the field starts `bitOff % 8` bits from
   * the least significant end (little-endian) or from the most significant end (big-endian).
   */
  private bitGeometry(bitOff: number, bits: number): { byte: number; n: number; lowBit: number } {
    const inByte = bitOff % 8;
    const n = Math.ceil((inByte + bits) / 8);
    return { byte: Math.floor(bitOff / 8), n, lowBit: inByte };
  }

  private bitfieldRead(typeId: number, bitOff: number, bits: number): string {
    const g = this.bitGeometry(bitOff, bits);
    const signed = this.bitfieldSigned(typeId);
    const ts = this.bitfieldTs(typeId, bits);
    const args = `v, ${at('o', g.byte)}, ${g.n}, ${g.lowBit}, ${bits}, ${signed}`;
    if (ts === 'bigint') {
      this.helpers.add('getBitsBig');
      return `getBitsBig(${args})`;
    }
    this.helpers.add('getBits');
    if (ts === 'boolean') return `getBits(${args}) !== 0`;
    return ts === 'number' ? `getBits(${args})` : `getBits(${args}) as ${ts}`;
  }

  private bitfieldWrite(typeId: number, bitOff: number, bits: number, x: string): string[] {
    const g = this.bitGeometry(bitOff, bits);
    const ts = this.bitfieldTs(typeId, bits);
    const args = `v, ${at('o', g.byte)}, ${g.n}, ${g.lowBit}, ${bits}`;
    if (ts === 'bigint') {
      this.helpers.add('setBitsBig');
      return [`setBitsBig(${args}, ${x});`];
    }
    this.helpers.add('setBits');
    return [`setBits(${args}, ${ts === 'boolean' ? `${x} ? 1 : 0` : x});`];
  }
}
