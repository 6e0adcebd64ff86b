/**
 * The error values of xdpts. Every failure a user can cause is one of these: a kind, a
 * location and a message. Only `src/cli` prints them; library code throws or returns them.
 */

/** Base class of every error xdpts raises on purpose. `code` is a stable machine-readable kind. */
export class XdptsError extends Error {
  /** A stable, machine-readable error kind (e.g. `ENOENT`, `asm`, `elf`). */
  readonly code: string;
  constructor(message: string, code = 'error', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'XdptsError';
    this.code = code;
  }
}

/** A position in a source file: 1-based line and column. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** One diagnostic of the assembler: where, what, and the source line for the code frame. */
export interface Diagnostic {
  readonly pos: SourcePos;
  readonly message: string;
  readonly severity: 'error' | 'warning';
  /** The whole source line, for the code frame. */
  readonly sourceLine?: string;
}

/** Renders a diagnostic as `file:line:col: error: message`, the source line and a caret. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.pos.file}:${d.pos.line}:${d.pos.col}: ${d.severity}: ${d.message}`;
  if (d.sourceLine === undefined) return head;
  const line = d.sourceLine.replace(/\t/g, ' ');
  return `${head}\n${line}\n${' '.repeat(Math.max(0, d.pos.col - 1))}^`;
}

/** Assembly failed: carries every diagnostic of the file (all errors, not only the first). */
export class AsmError extends XdptsError {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'), 'asm');
    this.name = 'AsmError';
    this.diagnostics = diagnostics;
  }
}

/** A malformed ELF file: `offset` is the byte offset in the file where the problem is. */
export class ElfError extends XdptsError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at offset 0x${offset.toString(16)})`, 'elf');
    this.name = 'ElfError';
    this.offset = offset;
  }
}

/** Malformed BTF: `offset` is the byte offset inside the `.BTF`/`.BTF.ext` section. */
export class BtfError extends XdptsError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at BTF offset 0x${offset.toString(16)})`, 'btf');
    this.name = 'BtfError';
    this.offset = offset;
  }
}

/** An object that is valid ELF but not a usable BPF object (missing section, bad relocation...). */
export class ObjectError extends XdptsError {
  constructor(message: string) {
    super(message, 'object');
    this.name = 'ObjectError';
  }
}

/** The verifier refused a program: `insn` is the index of the faulting instruction, `log` the kernel-style log. */
export class VerifierError extends XdptsError {
  readonly insn: number;
  readonly log: string;
  constructor(message: string, insn: number, log: string) {
    super(message, 'verifier');
    this.name = 'VerifierError';
    this.insn = insn;
    this.log = log;
  }
}

/** A map operation failed with an errno-style code (`ENOENT`, `EEXIST`, `E2BIG`, `EINVAL`, ...). */
export class MapError extends XdptsError {
  /** The errno name, e.g. `ENOENT`. */
  readonly errno: string;
  constructor(errno: string, message: string) {
    super(message, errno);
    this.name = 'MapError';
    this.errno = errno;
  }
}

/** A bad command line or bad user input that is not a file format problem (exit code 2). */
export class UsageError extends XdptsError {
  constructor(message: string) {
    super(message, 'usage');
    this.name = 'UsageError';
  }
}
