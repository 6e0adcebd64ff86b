/**
 * The assembler driver: `assemble(source, opts)` turns a `.s`/`.asm` file in either syntax into
 * an ELF object model (or raw instruction bytes). One instruction, one label or one directive per
 * statement; every error of the file is collected and thrown together as one `AsmError`.
 */
import { AsmError, type Endian } from '../util';
import { BPF_JMP, JMP_EXIT, insnWidth, encodeInto } from '../isa';
import { SHF_EXECINSTR, type ElfFile } from '../object';
import { Assembly } from './assembly';
import { detectDialect, UBPF_MNEMONICS, type Dialect } from './dialect';
import { runDirective } from './directives';
import { splitStatements, type Statement } from './lexer';
import { LLVM_KEYWORDS, parseLlvmInstruction } from './llvm';
import { parseUbpfInstruction } from './ubpf';
import type { ParseResult } from './parsed';
import { buildElf, resolve } from './resolve';
import { withSuggestion } from './suggest';

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /** File name used in diagnostics (and nothing else). */
  readonly file: string;
  /** Force a syntax instead of detecting it. */
  readonly dialect?: Dialect;
  /** Byte order of the output: `le` (bpfel, default) or `be` (bpfeb). */
  readonly endian?: Endian;
  /** Output bare 8-byte instructions instead of an ELF object. */
  readonly raw?: boolean;
  /**
   * Write the `.BTF`/`.BTF.ext` clang -g would when the source has no `.BTF` of its own
   * (default true; false gives exactly what llvm-mc writes).
   */
  readonly btf?: boolean;
  /** Reads the source file a `.file` directive names, for the text of `.loc` line info. */
  readonly readSource?: (path: string) => string | undefined;
}

/** The result of {@link assemble}: an ELF object model, or raw instruction bytes. */
export type AssembleResult =
  | { readonly kind: 'elf'; readonly elf: ElfFile; readonly dialect: Dialect }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array; readonly dialect: Dialect };

/**
 * Assembles a source file. Throws an `AsmError` carrying every diagnostic of the file
 * (`file:line:col: error: message` with the source line and a caret).
 */
export function assemble(source: string, opts: AssembleOptions): AssembleResult {
  const dialect = opts.dialect ?? detectDialect(splitStatements(source, false));
  const endian = opts.endian ?? 'le';
  const a = new Assembly(opts.file, endian);
  const stmts = expandRept(a, splitStatements(source, dialect === 'llvm'));
  const parse = dialect === 'llvm' ? parseLlvmInstruction : parseUbpfInstruction;
  let firstExit: { section: string; offset: number; stmt: Statement } | undefined;
  for (const stmt of stmts) {
    const rest = takeLabels(a, stmt);
    if (!rest) continue;
    if (/^\.[A-Za-z_0-9]/.test(rest.text)) {
      runDirective(a, rest);
      continue;
    }
    const at = instruction(a, rest, parse, dialect);
    if (at && dialect === 'ubpf' && !firstExit) {
      const sec = a.current;
      if (sec.bytes[at] === (BPF_JMP | JMP_EXIT)) firstExit = { section: sec.name, offset: at, stmt: rest };
    }
  }
  // uBPF: the first `exit` is also a label named `exit` (uBPF's assembler.py), unless one is defined.
  if (firstExit && !a.labels.has('exit')) {
    a.labels.set('exit', { section: firstExit.section, offset: firstExit.offset, stmt: firstExit.stmt, col: 1 });
    a.implicitLabels.add('exit');
  }
  const resolved = resolve(a);
  if (a.diagnostics.length) throw new AsmError(sortDiagnostics(a.diagnostics));
  if (opts.raw) {
    const bytes = rawBytes(a, resolved.relocationCount);
    if (a.diagnostics.length) throw new AsmError(sortDiagnostics(a.diagnostics));
    return { kind: 'raw', bytes: bytes!, dialect };
  }
  const elf = buildElf(a, resolved, opts.btf === false ? undefined : { ...(opts.readSource ? { readSource: opts.readSource } : {}) });
  if (a.diagnostics.length) throw new AsmError(sortDiagnostics(a.diagnostics));
  return { kind: 'elf', elf, dialect };
}

function sortDiagnostics<T extends { pos: { line: number; col: number } }>(d: T[]): T[] {
  return [...d].sort((x, y) => x.pos.line - y.pos.line || x.pos.col - y.pos.col);
}

/** Expands `.rept N` … `.endr` blocks (nested blocks too), as llvm-mc's macro layer does. */
function expandRept(a: Assembly, stmts: Statement[]): Statement[] {
  const out: Statement[] = [];
  let i = 0;
  const walk = (until: boolean): Statement[] => {
    const body: Statement[] = [];
    while (i < stmts.length) {
      const s = stmts[i++]!;
      const m = /^\.rept\b\s*(.*)$/i.exec(s.text);
      if (m) {
        const open = s;
        const n = /^(0x[0-9a-f]+|\d+)$/i.exec(m[1]!.trim());
        const inner = walk(true);
        if (!n) {
          a.error(open, 7, 'expected a constant repeat count');
          continue;
        }
        const count = Number(n[1]);
        if (count > 100000) a.error(open, 7, 'repeat count is too large');
        else for (let k = 0; k < count; k++) body.push(...inner);
        continue;
      }
      if (/^\.endr\b/i.test(s.text)) {
        if (until) return body;
        a.error(s, 1, "unmatched '.endr' directive");
        continue;
      }
      body.push(s);
    }
    if (until) a.error(stmts[stmts.length - 1]!, 1, "no matching '.endr' in definition");
    return body;
  };
  out.push(...walk(false));
  return out;
}

/** Defines the labels at the start of a statement (`name:`); returns what follows, if anything. */
function takeLabels(a: Assembly, stmt: Statement): Statement | undefined {
  let s = stmt;
  for (;;) {
    const m = /^([A-Za-z_.$][\w.$]*|"[^"]+")\s*:(?!=)\s*/.exec(s.text);
    if (!m) return s;
    const name = m[1]!.replace(/^"|"$/g, '');
    if (a.labels.has(name) || a.maps.some((x) => x.name === name)) {
      a.error(s, 1, `symbol '${name}' is already defined`);
    } else {
      a.labels.set(name, { section: a.current.name, offset: a.current.size, stmt: s, col: 1 });
    }
    const text = s.text.slice(m[0].length);
    if (text === '') return undefined;
    s = { ...s, text, col: s.col + m[0].length };
  }
}

/** Parses and emits one instruction; returns its offset, or undefined on error. */
function instruction(a: Assembly, stmt: Statement, parse: (t: string) => ParseResult, dialect: Dialect): number | undefined {
  const r = parse(stmt.text);
  if (!r.ok) {
    let message = r.message;
    const unknown = /^unknown instruction '([^']+)'$/.exec(message);
    if (unknown) message = withSuggestion(message, unknown[1]!, dialect === 'llvm' ? LLVM_KEYWORDS : UBPF_MNEMONICS);
    a.error(stmt, r.col, message);
    return undefined;
  }
  const sec = a.current;
  if (!sec.flagsGiven && sec.flags === 0) sec.flags = 0x2 | SHF_EXECINSTR;
  sec.hasCode = true;
  const bytes = new Uint8Array(insnWidth(r.insn.opcode) * 8);
  encodeInto(r.insn, new DataView(bytes.buffer), 0, a.endian);
  const at = a.emit(bytes, stmt);
  if (a.pendingLoc) {
    a.locs.push({ section: sec.name, offset: at, ...a.pendingLoc });
    a.pendingLoc = undefined;
  }
  a.insnLines.push({ section: sec.name, offset: at, stmt });
  if (r.operand) {
    // Columns of symbolic operands: the operand's name in the text, else the statement start.
    const name = r.operand.kind === 'symbol' ? r.operand.name : r.operand.label;
    const idx = stmt.text.lastIndexOf(name);
    a.fixups.push({ kind: 'insn', section: sec.name, at, insn: r.insn, operand: r.operand, stmt, col: idx >= 0 ? idx + 1 : 1, dialect });
  }
  return at;
}

/** The bytes of the one code section, for `raw` output; errors when relocations would be needed. */
function rawBytes(a: Assembly, relocations: number): Uint8Array | undefined {
  const code = [...a.sections.values()].filter((s) => s.hasCode);
  const first = [...a.labels.values()][0]?.stmt ?? { text: '', line: 1, col: 1, sourceLine: '' };
  if (code.length > 1) {
    a.error(first, 1, `raw output needs a single code section, found ${code.map((s) => `'${s.name}'`).join(', ')}`);
    return undefined;
  }
  if (relocations > 0 || a.maps.length > 0) {
    a.error(first, 1, 'raw output cannot hold relocations (map or symbol references, calls to other sections)');
    return undefined;
  }
  return Uint8Array.from(code[0]?.bytes ?? []);
}
