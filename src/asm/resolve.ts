/**
 * The second pass of the assembler: resolves jump labels, calls, symbol references and data
 * expressions into patched bytes and relocations, then builds the ELF model with the symbols
 * clang would emit. Relocation choices follow LLVM 19's BPF backend:
 * - `call label` in the same section is resolved (src_reg = BPF_PSEUDO_CALL, imm = slots − 1);
 *   in another section it is R_BPF_64_32 with imm = (addend − 8) / 8 (BPFAsmBackend::applyFixup).
 * - `rX = sym ll` is R_BPF_64_64; `.quad sym` R_BPF_64_ABS64; `.long sym` R_BPF_64_ABS32, or
 *   R_BPF_64_NODYLD32 for a temporary label in an executable section or a named symbol in a
 *   writable one (BPFELFObjectWriter::getRelocType, what .BTF/.BTF.ext use).
 * - A relocation against a local symbol is made against its section symbol with the offset
 *   stored in the patched field (REL has no addend field; ELFObjectWriter::shouldRelocateWithSymbol).
 */
import { BPF_CALL_HELPER, BPF_PSEUDO_CALL, HELPER_NAMES, insn, encodeInto, helperId, OP_LDDW, BPF_JMP32, JMP_JA } from '../isa';
import type { Instruction } from '../isa';
import {
  buildMapsSection,
  R_BPF_64_32,
  R_BPF_64_64,
  R_BPF_64_ABS32,
  R_BPF_64_ABS64,
  R_BPF_64_NODYLD32,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_ABS,
  SHN_UNDEF,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FILE,
  STT_FUNC,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  SHT_NOBITS,
  EM_BPF,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
  type ElfRelocation,
} from '../object';
import { XdptsError } from '../util';
import {
  isBlockLabel,
  isTemporary,
  type Assembly,
  type DataFixup,
  type InsnFixup,
} from './assembly';
import { evalLinear } from './expr';
import { withSuggestion } from './suggest';
import { addObjectBtf, type SourceReader } from './btf-synth';

/** What a relocation points at: a named symbol or a section's STT_SECTION symbol. */
type RelocTarget = { readonly kind: 'symbol'; readonly name: string } | { readonly kind: 'section'; readonly section: string };

/** One relocation before symbol indices exist. */
interface PendingReloc {
  readonly section: string;
  readonly offset: number;
  readonly type: number;
  readonly target: RelocTarget;
}

/** The outcome of resolution, consumed by {@link buildElf}. */
export interface Resolved {
  readonly relocs: PendingReloc[];
  readonly relocationCount: number;
  /** Labels that are bpf-to-bpf call targets (promoted to functions when untyped). */
  readonly callTargets: Set<string>;
  /** Undefined symbols referenced by relocations. */
  readonly externs: Set<string>;
}

/**
 * A label, or a section name used as a symbol (`.long .debug_abbrev`: in ELF assemblers a
 * section's name denotes its start).
 */
function labelOf(a: Assembly, name: string): { section: string; offset: number } | undefined {
  const l = a.labels.get(name);
  if (l) return l;
  return a.sections.has(name) ? { section: name, offset: 0 } : undefined;
}

const isGlobal = (a: Assembly, name: string): boolean => {
  const b = a.attrs.get(name)?.bind;
  return b === 'global' || b === 'weak';
};

/** Resolves every fixup of the assembly (adding `.maps`/`.BTF` for `.map` declarations first). */
export function resolve(a: Assembly): Resolved {
  addMaps(a);
  const r: Resolved = { relocs: [], relocationCount: 0, callTargets: new Set(), externs: new Set() };
  for (const f of a.fixups) {
    if (f.kind === 'insn') resolveInsn(a, f, r);
    else resolveData(a, f, r);
  }
  (r as { relocationCount: number }).relocationCount = r.relocs.length;
  return r;
}

function addMaps(a: Assembly): void {
  if (a.maps.length === 0) return;
  if (a.sections.has('.maps') && a.sections.get('.maps')!.size > 0) {
    a.error(a.maps[0]!.stmt, 1, "'.map' cannot be combined with a hand-written '.maps' section");
    return;
  }
  if (a.sections.has('.BTF')) {
    a.error(a.maps[0]!.stmt, 1, "'.map' cannot be combined with a hand-written '.BTF' section");
    return;
  }
  let built;
  try {
    built = buildMapsSection(
      a.maps.map(({ stmt: _s, ...d }) => d),
      a.endian,
    );
  } catch (e) {
    if (e instanceof XdptsError) {
      a.error(a.maps[0]!.stmt, 1, e.message);
      return;
    }
    throw e;
  }
  const saved = a.current;
  const maps = a.section('.maps');
  maps.flags = SHF_ALLOC | SHF_WRITE;
  maps.flagsGiven = true;
  a.current = maps;
  a.alignTo(8);
  const base = maps.size;
  a.emit(built.mapsData);
  for (const s of built.symbols) {
    const decl = a.maps.find((m) => m.name === s.name)!;
    a.labels.set(s.name, { section: '.maps', offset: base + s.offset, stmt: decl.stmt, col: 1 });
    const attr = a.attr(s.name);
    attr.bind ??= 'global';
    attr.type = 'object';
    attr.size = { expr: { kind: 'num', value: BigInt(s.size), col: 1 }, stmt: decl.stmt };
  }
  // The maps' BTF is written with the functions' by addObjectBtf (buildElf).
  a.current = saved;
}

function write(a: Assembly, f: InsnFixup, i: Instruction): void {
  const s = a.sections.get(f.section)!;
  const buf = new Uint8Array(i.opcode === OP_LDDW ? 16 : 8);
  encodeInto(i, new DataView(buf.buffer), 0, a.endian);
  for (let k = 0; k < buf.length; k++) s.bytes[f.at + k] = buf[k]!;
}

/**
 * Whether an undefined name may become an undefined (extern) symbol, as llvm-mc makes every
 * undefined name: when declared (`.extern`/`.globl`/`.weak`), or in compiler output (a `.file`
 * directive), where clang writes `__ksym` kfuncs and `__kconfig` variables with no declaration.
 * Hand-written assembly keeps the typo check.
 */
function externOk(a: Assembly, name: string): boolean {
  return a.attrs.get(name)?.declared === true || a.fileSymbol !== undefined;
}

function undefinedLabel(a: Assembly, f: InsnFixup | DataFixup, name: string, col: number, what: string): void {
  const candidates = [...a.labels.keys()].filter((n) => !isTemporary(n) || name.startsWith('.L'));
  // A misspelt helper: suggest helper names in the spelling used (with or without `bpf_`).
  if (what === 'function') for (const h of HELPER_NAMES.slice(1)) candidates.push(name.startsWith('bpf_') ? `bpf_${h}` : h);
  a.error(f.stmt, col, withSuggestion(`undefined ${what} '${name}'`, name, candidates));
}

function resolveInsn(a: Assembly, f: InsnFixup, r: Resolved): void {
  const op = f.operand;
  const i = f.insn;
  if (op.kind === 'jump') {
    const l = labelOf(a, op.label);
    if (!l) return undefinedLabel(a, f, op.label, f.col, 'label');
    if (l.section !== f.section) return a.error(f.stmt, f.col, `jump to label '${op.label}' in another section ('${l.section}')`);
    const delta = (l.offset - f.at - 8) / 8;
    if (!Number.isInteger(delta)) return a.error(f.stmt, f.col, `label '${op.label}' is not at an instruction boundary`);
    const long = i.opcode === (BPF_JMP32 | JMP_JA);
    if (long ? delta < -(2 ** 31) || delta >= 2 ** 31 : delta < -32768 || delta > 32767) {
      return a.error(f.stmt, f.col, `jump offset ${delta} to '${op.label}' is out of range (${long ? 'imm is 32-bit' : 'off is 16-bit; use gotol'})`);
    }
    write(a, f, long ? insn(i.opcode, i.dst, i.src, i.off, delta) : insn(i.opcode, i.dst, i.src, delta, i.imm));
    return;
  }
  if (op.kind === 'call') {
    const l = labelOf(a, op.label);
    if (l) {
      r.callTargets.add(op.label);
      if (l.section === f.section) {
        write(a, f, insn(i.opcode, i.dst, BPF_PSEUDO_CALL, i.off, (l.offset - f.at - 8) / 8));
        return;
      }
      const local = !isGlobal(a, op.label);
      const imm = local ? (l.offset - 8) / 8 : -1;
      write(a, f, insn(i.opcode, i.dst, BPF_PSEUDO_CALL, i.off, Math.trunc(imm)));
      r.relocs.push({
        section: f.section,
        offset: f.at,
        type: R_BPF_64_32,
        target: local ? { kind: 'section', section: l.section } : { kind: 'symbol', name: op.label },
      });
      return;
    }
    const helper = helperId(op.label);
    if (helper !== undefined && !a.attrs.get(op.label)?.declared) {
      write(a, f, insn(i.opcode, i.dst, BPF_CALL_HELPER, i.off, helper));
      return;
    }
    if (!externOk(a, op.label)) return undefinedLabel(a, f, op.label, f.col, 'function');
    r.externs.add(op.label);
    write(a, f, insn(i.opcode, i.dst, BPF_PSEUDO_CALL, i.off, -1));
    r.relocs.push({ section: f.section, offset: f.at, type: R_BPF_64_32, target: { kind: 'symbol', name: op.label } });
    return;
  }
  // lddw of a symbol.
  const c = a.constants.get(op.name);
  const split = (v: bigint): Instruction => {
    const u = BigInt.asUintN(64, v);
    return insn(i.opcode, i.dst, i.src, 0, Number(BigInt.asIntN(32, u)), Number(BigInt.asIntN(32, u >> 32n)));
  };
  if (c !== undefined) return write(a, f, split(c + BigInt(op.addend)));
  const l = labelOf(a, op.name);
  if (!l) {
    if (!externOk(a, op.name)) return undefinedLabel(a, f, op.name, f.col, 'symbol');
    r.externs.add(op.name);
  }
  const local = l !== undefined && !isGlobal(a, op.name);
  write(a, f, split(BigInt(op.addend) + (local ? BigInt(l.offset) : 0n)));
  r.relocs.push({
    section: f.section,
    offset: f.at,
    type: R_BPF_64_64,
    target: local ? { kind: 'section', section: l.section } : { kind: 'symbol', name: op.name },
  });
}

function resolveData(a: Assembly, f: DataFixup, r: Resolved): void {
  const v = evalLinear(f.expr, (n) => a.constants.get(n));
  if ('message' in v) return a.error(f.stmt, v.col, v.message);
  let value = v.constant;
  const bySection = new Map<string, bigint>();
  const undef: [string, bigint][] = [];
  for (const [name, coeff] of v.terms) {
    const l = labelOf(a, name);
    if (!l) {
      undef.push([name, coeff]);
      continue;
    }
    bySection.set(l.section, (bySection.get(l.section) ?? 0n) + coeff);
  }
  const open = [...bySection].filter(([, k]) => k !== 0n);
  if (open.length === 0 && undef.length === 0) {
    for (const [name, coeff] of v.terms) value += coeff * BigInt(labelOf(a, name)!.offset);
    return a.patch(f.section, f.at, f.size, value);
  }
  // One symbol with coefficient 1 (plus label differences that cancel): a relocation.
  const named = [...v.terms].filter(([n]) => {
    const l = labelOf(a, n);
    return !l || open.some(([s]) => s === l.section);
  });
  if (named.length !== 1 || named[0]![1] !== 1n || open.length + undef.length !== 1) {
    return a.error(f.stmt, 1, 'expected relocatable expression');
  }
  const sym = named[0]![0];
  if (f.size < 4) return a.error(f.stmt, 1, `a ${f.size}-byte data value cannot hold a relocation`);
  const l = labelOf(a, sym);
  if (!l && !externOk(a, sym)) return undefinedLabel(a, f, sym, 1, 'symbol');
  if (!l) r.externs.add(sym);
  for (const [name, coeff] of v.terms) {
    if (name === sym) continue;
    value += coeff * BigInt(labelOf(a, name)!.offset);
  }
  const local = l !== undefined && !isGlobal(a, sym);
  if (local) value += BigInt(l.offset);
  let type = f.size === 8 ? R_BPF_64_ABS64 : R_BPF_64_ABS32;
  if (f.size === 4 && l) {
    const flags = a.sections.get(l.section)!.flags;
    const alloc = (flags & SHF_ALLOC) !== 0;
    if (isTemporary(sym) ? alloc && (flags & SHF_EXECINSTR) !== 0 : alloc && (flags & SHF_WRITE) !== 0) type = R_BPF_64_NODYLD32;
  }
  a.patch(f.section, f.at, f.size, value);
  r.relocs.push({
    section: f.section,
    offset: f.at,
    type,
    target: local ? { kind: 'section', section: l.section } : { kind: 'symbol', name: sym },
  });
}

/**
 * Builds the ELF model: sections in creation order, symbols as clang makes them, relocations;
 * with `btf`, the `.BTF`/`.BTF.ext` clang -g would write when the source has none (btf-synth.ts).
 * Runs the BTF step first: its sections come last, as clang's do.
 */
export function buildElf(a: Assembly, r: Resolved, btf?: { readSource?: SourceReader }): ElfFile {
  const labels = labelSymbols(a, r);
  // Without `btf`, only `.map` declarations get their BTF (BTF-defined maps need it).
  addObjectBtf(a, btf ? labels : [], btf?.readSource);
  const secs = [...a.sections.values()];
  const index = new Map(secs.map((s, k) => [s.name, k + 1] as const));
  const sections: ElfSection[] = [
    { index: 0, name: '', type: 0, flags: 0, data: new Uint8Array(0), size: 0, link: 0, info: 0, addralign: 0, entsize: 0, offset: 0 },
  ];
  for (const s of secs) {
    sections.push({
      index: index.get(s.name)!,
      name: s.name,
      type: s.type,
      flags: s.flags,
      data: s.type === SHT_NOBITS ? new Uint8Array(0) : Uint8Array.from(s.bytes),
      size: s.size,
      link: 0,
      info: 0,
      addralign: s.align,
      entsize: s.entsize,
      offset: 0,
    });
  }
  const symbols: ElfSymbol[] = [{ name: '', value: 0, size: 0, bind: STB_LOCAL, type: STT_NOTYPE, other: 0, section: 0 }];
  const symIndex = new Map<string, number>();
  if (a.fileSymbol !== undefined) {
    symbols.push({ name: a.fileSymbol, value: 0, size: 0, bind: STB_LOCAL, type: STT_FILE, other: 0, section: SHN_ABS });
  }
  // Section symbols: only for sections some relocation points at, in section order (as LLVM).
  const secSym = new Map<string, number>();
  for (const s of secs) {
    if (r.relocs.some((x) => x.target.kind === 'section' && x.target.section === s.name)) {
      secSym.set(s.name, symbols.length);
      // LLVM writes section symbols with st_name 0; tools show the section's name.
      symbols.push({ name: '', value: 0, size: 0, bind: STB_LOCAL, type: STT_SECTION, other: 0, section: index.get(s.name)! });
    }
  }
  for (const sym of labels) {
    symIndex.set(sym.name, symbols.length);
    symbols.push({ ...sym, section: index.get(sym.sectionName)! });
  }
  const undefinedNames = new Set(r.externs);
  for (const [name, attr] of a.attrs) if ((attr.bind === 'global' || attr.bind === 'weak') && !a.labels.has(name)) undefinedNames.add(name);
  for (const name of undefinedNames) {
    symIndex.set(name, symbols.length);
    const weak = a.attrs.get(name)?.bind === 'weak';
    symbols.push({ name, value: 0, size: 0, bind: weak ? STB_WEAK : STB_GLOBAL, type: STT_NOTYPE, other: 0, section: SHN_UNDEF });
  }
  const relocSections = secs
    .map((s) => ({
      section: 0,
      target: index.get(s.name)!,
      relocations: r.relocs
        .filter((x) => x.section === s.name)
        .map((x): ElfRelocation => ({
          offset: x.offset,
          type: x.type,
          symbol: x.target.kind === 'section' ? secSym.get(x.target.section)! : symIndex.get(x.target.name)!,
        })),
    }))
    .filter((rs) => rs.relocations.length > 0);
  return { endian: a.endian, machine: EM_BPF, type: 1, flags: 0, sections, symbols, relocSections };
}

export interface LabelSymbol extends Omit<ElfSymbol, 'section'> {
  sectionName: string;
}

/**
 * The symbols of defined labels. `.L` temporaries and clang's `LBB` block labels are left out
 * (as clang -c does); an untyped label becomes a function (llvm-mc would leave it NOTYPE) when it
 * is `.globl` in an executable section, starts a non-`.text` executable section (a program
 * entry: made global so libbpf finds it), or is a bpf-to-bpf call target — so hand-written
 * programs load without `.type`/`.size` boilerplate. Such functions run to the next function.
 */
function labelSymbols(a: Assembly, r: Resolved): LabelSymbol[] {
  const out: LabelSymbol[] = [];
  for (const [name, l] of a.labels) {
    if (isTemporary(name) || isBlockLabel(name) || a.implicitLabels.has(name)) continue;
    const attr = a.attrs.get(name) ?? {};
    const sec = a.sections.get(l.section)!;
    const exec = (sec.flags & SHF_EXECINSTR) !== 0;
    let bind = attr.bind === 'global' ? STB_GLOBAL : attr.bind === 'weak' ? STB_WEAK : STB_LOCAL;
    let type = attr.type === 'function' ? STT_FUNC : attr.type === 'object' ? STT_OBJECT : STT_NOTYPE;
    let auto = false;
    if (attr.type === undefined && exec) {
      const entry = l.offset === 0 && sec.name !== '.text' && !(sec.name.startsWith('.text.')) && attr.bind !== 'local';
      if (bind !== STB_LOCAL || entry || r.callTargets.has(name)) {
        type = STT_FUNC;
        auto = attr.size === undefined;
        if (entry && bind === STB_LOCAL) bind = STB_GLOBAL;
      }
    }
    let size = 0;
    if (attr.size) {
      const v = evalLinear(attr.size.expr, (n) => a.constants.get(n));
      if ('message' in v) a.error(attr.size.stmt, v.col, v.message);
      else {
        let value = v.constant;
        let sum = 0n;
        let ok = true;
        for (const [n, c] of v.terms) {
          const t = a.labels.get(n);
          if (!t) ok = false;
          else {
            value += c * BigInt(t.offset);
            sum += c;
          }
        }
        if (!ok || sum !== 0n) a.error(attr.size.stmt, 1, 'expected absolute expression');
        else size = Number(value);
      }
    }
    out.push({ name, value: l.offset, size, bind, type, other: 0, sectionName: l.section, ...(auto ? { auto } : {}) } as LabelSymbol);
  }
  // Sizes of auto functions: up to the next function (or section end).
  for (const s of out) {
    if (!(s as { auto?: boolean }).auto) continue;
    const next = out
      .filter((o) => o.sectionName === s.sectionName && o.type === STT_FUNC && o.value > s.value)
      .reduce((m, o) => Math.min(m, o.value), a.sections.get(s.sectionName)!.size);
    s.size = next - s.value;
    delete (s as { auto?: boolean }).auto;
  }
  return out;
}
