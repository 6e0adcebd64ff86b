/**
 * Type declarations for the `elfy` package (CommonJS, no bundled types). Only what xdpts reads
 * is declared; elfy's own field semantics are documented in its lib/elfy/parser.js.
 */
declare module 'elfy' {
  /** One section header as elfy decodes it (name resolved through e_shstrndx). */
  export interface ElfySection {
    name: string;
    /** A name from elfy's table (`progbits`, `rel`...) or the raw number when unknown. */
    type: string | number;
    flags: Record<string, boolean>;
    addr: number;
    off: number;
    size: number;
    link: number;
    info: number;
    /** Wrong for ELF64 (read at offsets 46/54 instead of 48/56); xdpts reads it itself. */
    addralign: number;
    entsize: number;
    data: Buffer;
  }
  /** The parsed file: the ELF header fields and the body. */
  export interface ElfyFile {
    class: string;
    endian: string;
    type: string | undefined;
    /** Undefined for machines elfy does not know, such as EM_BPF (247). */
    machine: string | undefined;
    entry: number;
    phoff: number;
    shoff: number;
    flags: number;
    ehsize: number;
    phentsize: number;
    phnum: number;
    shentsize: number;
    shnum: number;
    shstrndx: number;
    body: { programs: unknown[]; sections: ElfySection[] };
  }
  /** Parses an ELF file; throws plain Errors/AssertionErrors/RangeErrors on malformed input. */
  export function parse(buf: Buffer): ElfyFile;
  const elfy: { parse: typeof parse };
  export default elfy;
}
