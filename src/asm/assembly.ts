/**
 * The state of one assembly in progress: sections with their bytes, labels, symbol attributes,
 * pending fixups (instruction operands and data expressions resolved once every label is
 * known), map declarations and diagnostics. The driver (assembler.ts) and the directives
 * (directives.ts) fill it; `resolve.ts` turns it into relocations and symbols.
 */
import type { Diagnostic, Endian } from '../util';
import type { Instruction } from '../isa';
import { SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, SHT_PROGBITS } from '../object';
import type { SymbolicOperand } from './parsed';
import type { Expr } from './expr';
import type { Statement } from './lexer';

/** One output section being assembled. */
export interface AsmSection {
  readonly name: string;
  type: number;
  flags: number;
  /** True when flags came from the `.section` directive (not guessed from the name). */
  flagsGiven: boolean;
  align: number;
  entsize: number;
  /** Contents; for SHT_NOBITS only `size` counts. */
  bytes: number[];
  size: number;
  /** True when at least one instruction was emitted here. */
  hasCode: boolean;
  /** Index in `Assembly.sections` (creation order, as llvm-mc numbers sections). */
  readonly order: number;
}

/** A label: a position in a section. */
export interface Label {
  readonly section: string;
  readonly offset: number;
  readonly stmt: Statement;
  readonly col: number;
}

/** Attributes set by `.globl`/`.weak`/`.local`/`.type`/`.size`. */
export interface SymbolAttrs {
  bind?: 'global' | 'weak' | 'local';
  type?: 'function' | 'object' | 'notype';
  size?: { expr: Expr; stmt: Statement };
  /** Declared with `.extern`/`.globl` (so an undefined reference is intended). */
  declared?: boolean;
}

/** An instruction whose symbolic operand is resolved after all labels are known. */
export interface InsnFixup {
  readonly kind: 'insn';
  readonly section: string;
  readonly at: number;
  readonly insn: Instruction;
  readonly operand: SymbolicOperand;
  readonly stmt: Statement;
  /** Column of the operand (for diagnostics). */
  readonly col: number;
  readonly dialect: 'llvm' | 'ubpf';
}

/** A data directive whose expression needs labels (`.long .Ltmp1-.Lfunc_begin0`, `.quad sym`). */
export interface DataFixup {
  readonly kind: 'data';
  readonly section: string;
  readonly at: number;
  readonly size: 1 | 2 | 4 | 8;
  readonly expr: Expr;
  readonly stmt: Statement;
}

/** A concise `.map` declaration (passed to buildMapsSection). */
export interface MapDecl {
  readonly name: string;
  readonly type: number;
  readonly key: { type: string } | { size: number };
  readonly value: { type: string } | { size: number };
  readonly maxEntries: number;
  readonly flags?: number;
  readonly pinning?: number;
  readonly stmt: Statement;
}

/** The whole assembly state. */
export class Assembly {
  readonly sections = new Map<string, AsmSection>();
  current: AsmSection;
  readonly sectionStack: AsmSection[] = [];
  previous: AsmSection | undefined;
  readonly labels = new Map<string, Label>();
  readonly attrs = new Map<string, SymbolAttrs>();
  /** `.set`/`.equ` constants. */
  readonly constants = new Map<string, bigint>();
  readonly fixups: (InsnFixup | DataFixup)[] = [];
  readonly maps: MapDecl[] = [];
  readonly diagnostics: Diagnostic[] = [];
  fileSymbol: string | undefined;
  /** `.file N "dir" "name"`: DWARF file numbers to paths (for `.loc`). */
  readonly files = new Map<number, string>();
  /** The last `.loc` not yet attached to an instruction. */
  pendingLoc: { file: number; line: number; col: number } | undefined;
  /** `.loc` lines attached to the instruction that follows each (section, byte offset). */
  readonly locs: { section: string; offset: number; file: number; line: number; col: number }[] = [];
  /** Every instruction's own source line (line info for files without `.loc`). */
  readonly insnLines: { section: string; offset: number; stmt: Statement }[] = [];
  /** Labels the assembler made itself (uBPF's implicit `exit`): usable, never emitted as symbols. */
  readonly implicitLabels = new Set<string>();

  constructor(
    readonly file: string,
    readonly endian: Endian,
  ) {
    // llvm-mc always starts in (and always emits) `.text`, aligned to 4.
    this.current = this.section('.text');
  }

  /** The section `name`, created (with flags guessed from its name) if new. */
  section(name: string): AsmSection {
    let s = this.sections.get(name);
    if (!s) {
      const guess = guessFlags(name);
      s = {
        name,
        type: guess.type,
        flags: guess.flags,
        flagsGiven: false,
        align: name === '.text' ? 4 : 1,
        entsize: 0,
        bytes: [],
        size: 0,
        hasCode: false,
        order: this.sections.size,
      };
      this.sections.set(name, s);
    }
    return s;
  }

  /** Records an error at a statement column. */
  error(stmt: Statement, col: number, message: string): void {
    this.diagnostics.push({
      pos: { file: this.file, line: stmt.line, col: stmt.col + col - 1 },
      message,
      severity: 'error',
      sourceLine: stmt.sourceLine,
    });
  }

  /** Appends bytes to the current section (counting only, for SHT_NOBITS). */
  emit(bytes: ArrayLike<number>, stmt?: Statement): number {
    const s = this.current;
    const at = s.size;
    if (s.type === SHT_NOBITS) {
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] !== 0 && stmt) {
          this.error(stmt, 1, `non-zero data in the SHT_NOBITS section '${s.name}'`);
          break;
        }
      }
    } else {
      for (let i = 0; i < bytes.length; i++) s.bytes.push(bytes[i]! & 0xff);
    }
    s.size += bytes.length;
    return at;
  }

  /** Pads the current section to a multiple of `align` (a power of two) with `fill`. */
  alignTo(align: number, fill = 0, max?: number): void {
    const s = this.current;
    if (align > s.align) s.align = align;
    const pad = (align - (s.size % align)) % align;
    if (max !== undefined && pad > max) return;
    // Executable sections are padded with zeros too: llvm-mc's BPF backend writes zero bytes.
    this.emit(new Array<number>(pad).fill(fill & 0xff));
  }

  /** Writes an unsigned value of `size` bytes at `at` in `section`, in the object's byte order. */
  patch(section: string, at: number, size: number, value: bigint): void {
    const s = this.sections.get(section)!;
    if (s.type === SHT_NOBITS) return;
    const v = BigInt.asUintN(size * 8, value);
    for (let i = 0; i < size; i++) {
      const shift = this.endian === 'le' ? i : size - 1 - i;
      s.bytes[at + i] = Number((v >> BigInt(shift * 8)) & 0xffn);
    }
  }

  attr(name: string): SymbolAttrs {
    let a = this.attrs.get(name);
    if (!a) {
      a = {};
      this.attrs.set(name, a);
    }
    return a;
  }
}

/** Flags llvm-mc gives well-known section names when `.section` gives none. */
function guessFlags(name: string): { type: number; flags: number } {
  const is = (p: string): boolean => name === p || name.startsWith(p + '.');
  if (is('.text')) return { type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR };
  if (is('.bss') || is('.tbss')) return { type: SHT_NOBITS, flags: SHF_ALLOC | SHF_WRITE };
  if (is('.data') || is('.data1')) return { type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE };
  if (is('.rodata') || is('.rodata1')) return { type: SHT_PROGBITS, flags: SHF_ALLOC };
  return { type: SHT_PROGBITS, flags: 0 };
}

/** True for labels llvm-mc keeps out of the symbol table (`.L` temporaries) and clang's `LBB` block labels. */
export function isTemporary(name: string): boolean {
  return name.startsWith('.L');
}

/** Clang's basic-block labels (`LBB0_2`): llvm-mc emits them, clang -c does not; xdpts follows clang. */
export function isBlockLabel(name: string): boolean {
  return /^LBB\d+_\d+$/.test(name);
}
