/**
 * BTF for hand-written assembly: when a file has no `.BTF` of its own, `xdpts build` writes the
 * `.BTF` and `.BTF.ext` that `clang -g` would for the same object (src/object/btf-writer.ts says
 * which C signature each function gets), so that libbpf passes func info at load and libxdp can
 * put the program behind its dispatcher (`xdp_multiprog__link_prog` refuses objects without BTF,
 * and the kernel refuses a freplace program without func info). `.map` declarations' types are
 * part of the same `.BTF`. `.loc` lines become line info, with the source text when the file
 * named by `.file` can be read; without `.loc`, each instruction's own assembly line is its line.
 */
import { buildObjectBtf, sectionDef, BPF_PROG_TYPE_XDP, SHF_EXECINSTR, STB_LOCAL, STT_FUNC, type FuncDeclaration, type LineDeclaration } from '../object';
import { XdptsError } from '../util';
import type { Assembly } from './assembly';

/** The part of a label symbol this step reads. */
export interface FuncSymbol {
  readonly name: string;
  readonly value: number;
  readonly bind: number;
  readonly type: number;
  readonly sectionName: string;
}

/** Reads a source file named by `.file` (for line text); undefined when it cannot. */
export type SourceReader = (path: string) => string | undefined;

const isText = (name: string): boolean => name === '.text' || name.startsWith('.text.');

/** Adds `.BTF` (and `.BTF.ext`) sections to `a`, unless it has its own or nothing to describe. */
export function addObjectBtf(a: Assembly, symbols: readonly FuncSymbol[], readSource?: SourceReader): void {
  if (a.sections.has('.BTF') || a.sections.has('.BTF.ext') || a.diagnostics.length > 0) return;
  const funcs: FuncDeclaration[] = [];
  for (const s of symbols) {
    const sec = a.sections.get(s.sectionName);
    if (s.type !== STT_FUNC || !sec || (sec.flags & SHF_EXECINSTR) === 0) continue;
    let role: FuncDeclaration['role'] = 'subprog';
    if (!isText(s.sectionName) && s.bind !== STB_LOCAL) {
      const type = sectionDef(s.sectionName)?.progType ?? 0;
      role = type === 0 || type === BPF_PROG_TYPE_XDP ? 'xdp_md' : 'void';
    }
    funcs.push({ name: s.name, section: s.sectionName, offset: s.value, role });
  }
  const license = a.labels.get('LICENSE');
  const licenseSize = license?.section === 'license' ? a.sections.get('license')!.size - license.offset : undefined;
  if (funcs.length === 0 && a.maps.length === 0) return;
  const sources = new Map<string, string[] | undefined>();
  const textOf = (file: string, line: number): string => {
    if (!sources.has(file)) sources.set(file, readSource?.(file)?.split(/\r?\n/));
    return sources.get(file)?.[line - 1] ?? '';
  };
  const lines: LineDeclaration[] = a.locs.map((l) => {
    const file = a.files.get(l.file) ?? a.fileSymbol ?? '';
    return { section: l.section, offset: l.offset, file, text: textOf(file, l.line), line: l.line, col: l.col };
  });
  // Without `.loc`, the assembly is the source: one line record where the source line changes
  // (as clang emits one per change of line). libbpf warns about a .BTF.ext without line info
  // for a program, and bpftool and coverage show these lines.
  if (a.locs.length === 0) {
    let last: { section: string; line: number } | undefined;
    for (const l of a.insnLines) {
      if (last?.section === l.section && last.line === l.stmt.line) continue;
      last = { section: l.section, line: l.stmt.line };
      lines.push({ section: l.section, offset: l.offset, file: a.file, text: l.stmt.sourceLine, line: l.stmt.line, col: l.stmt.col });
    }
  }
  let built;
  try {
    built = buildObjectBtf({ maps: a.maps.map(({ stmt: _s, ...d }) => d), funcs, lines, ...(licenseSize !== undefined ? { licenseSize } : {}) }, a.endian);
  } catch (e) {
    // Map declaration errors were already reported when `.maps` was laid out.
    if (e instanceof XdptsError) return;
    throw e;
  }
  const saved = a.current;
  for (const [name, bytes] of [['.BTF', built.btf], ['.BTF.ext', built.btfExt]] as const) {
    if (!bytes) continue;
    const s = a.section(name);
    s.flagsGiven = true;
    s.align = 4;
    a.current = s;
    a.emit(bytes);
  }
  a.current = saved;
}
