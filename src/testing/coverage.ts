/**
 * Coverage from the interpreter's counters (VmProgram.coverage: per slot, runs and taken jumps),
 * mapped to source lines through the program's `.BTF.ext` line info (a line-info record covers
 * the instructions up to the next one, as the kernel's verifier log uses it). Written as lcov
 * (the `geninfo` tracefile format: SF, FN/FNDA, DA, BRDA, LF/LH, BRF/BRH) and as a text summary
 * of the lines and branch directions no case reached. Without line info, instruction indices
 * stand in for lines.
 */
import { isJump, jumpOffset, OP_LDDW, BPF_JMP32, JMP_JA, type Instruction } from '../isa/index';
import type { ProgramSpec } from '../object/index';
import type { VmCoverage } from '../vm/index';

/** One conditional jump and how often each direction went. */
export interface BranchCount {
  readonly insn: number;
  readonly taken: number;
  readonly fallthrough: number;
}

/** Coverage of one source line. */
export interface LineCount {
  readonly file: string;
  readonly line: number;
  /** Most runs of any instruction of the line. */
  readonly count: number;
  readonly branches: readonly BranchCount[];
}

/** Coverage of one program. */
export interface ProgramCoverage {
  readonly program: string;
  readonly insns: number;
  readonly insnsHit: number;
  readonly branches: number;
  readonly branchesHit: number;
  readonly lines: readonly LineCount[];
  /** Whether lines are source lines (false: instruction numbers, no line info). */
  readonly sourceLines: boolean;
  readonly calls: number;
}

function isConditional(i: Instruction): boolean {
  return isJump(i) && (i.opcode & 0xf0) !== JMP_JA && !(i.opcode === (BPF_JMP32 | JMP_JA));
}

/** Coverage of a program from counters summed over its runs. */
export function programCoverage(prog: ProgramSpec, counters: VmCoverage, fallbackFile: string, sourcePath: (f: string) => string = (f) => f): ProgramCoverage {
  const { exec, taken } = counters;
  const lines = new Map<string, { file: string; line: number; count: number; branches: BranchCount[] }>();
  let slot = 0;
  let hit = 0;
  let branches = 0;
  let branchesHit = 0;
  let current: { file: string; line: number } | undefined;
  const sourceLines = prog.lineInfo.size > 0;
  prog.insns.forEach((ins, idx) => {
    const li = prog.lineInfo.get(idx);
    if (li) current = { file: sourcePath(li.fileName), line: li.lineNum };
    const where = sourceLines && current ? current : { file: fallbackFile, line: idx + 1 };
    const key = `${where.file}\u0000${where.line}`;
    let l = lines.get(key);
    if (!l) lines.set(key, (l = { ...where, count: 0, branches: [] }));
    const n = exec[slot] ?? 0;
    if (n > 0) hit++;
    l.count = Math.max(l.count, n);
    if (isConditional(ins) && jumpOffset(ins) !== 0) {
      const t = taken[slot] ?? 0;
      const b = { insn: idx, taken: t, fallthrough: n - t };
      l.branches.push(b);
      branches += 2;
      branchesHit += (b.taken > 0 ? 1 : 0) + (b.fallthrough > 0 ? 1 : 0);
    }
    slot += ins.opcode === OP_LDDW ? 2 : 1;
  });
  return {
    program: prog.name,
    insns: prog.insns.length,
    insnsHit: hit,
    branches,
    branchesHit,
    lines: [...lines.values()].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1)),
    sourceLines,
    calls: exec[0] ?? 0,
  };
}

/** Adds counters of several runs' targets (same program). */
export function sumCounters(all: readonly VmCoverage[]): VmCoverage | undefined {
  if (all.length === 0) return undefined;
  const exec = new Uint32Array(all[0]!.exec.length);
  const taken = new Uint32Array(all[0]!.taken.length);
  for (const c of all) {
    for (let i = 0; i < exec.length; i++) {
      exec[i]! += c.exec[i] ?? 0;
      taken[i]! += c.taken[i] ?? 0;
    }
  }
  return { exec, taken };
}

const pct = (a: number, b: number): string => (b === 0 ? '100.0' : ((100 * a) / b).toFixed(1));

/** Percentages of a coverage: instructions and branches. */
export function coveragePercent(c: ProgramCoverage): { insns: number; branches: number } {
  return { insns: c.insns ? (100 * c.insnsHit) / c.insns : 100, branches: c.branches ? (100 * c.branchesHit) / c.branches : 100 };
}

/** An lcov tracefile for programs (records grouped by source file). */
export function toLcov(covs: readonly ProgramCoverage[], testName = ''): string {
  const byFile = new Map<string, { fns: { name: string; line: number; calls: number }[]; lines: LineCount[] }>();
  for (const c of covs) {
    for (const l of c.lines) {
      let f = byFile.get(l.file);
      if (!f) byFile.set(l.file, (f = { fns: [], lines: [] }));
      f.lines.push(l);
    }
    const first = c.lines[0];
    if (first) byFile.get(first.file)!.fns.push({ name: c.program, line: first.line, calls: c.calls });
  }
  const out: string[] = [];
  for (const [file, f] of byFile) {
    out.push(`TN:${testName}`, `SF:${file}`);
    for (const fn of f.fns) out.push(`FN:${fn.line},${fn.name}`);
    for (const fn of f.fns) out.push(`FNDA:${fn.calls},${fn.name}`);
    out.push(`FNF:${f.fns.length}`, `FNH:${f.fns.filter((x) => x.calls > 0).length}`);
    // Lines shared by two programs (a header's inline function) are merged: most runs, all branches.
    const merged = new Map<number, LineCount>();
    for (const l of f.lines) {
      const m = merged.get(l.line);
      merged.set(l.line, m ? { ...m, count: Math.max(m.count, l.count), branches: [...m.branches, ...l.branches] } : l);
    }
    const lines = [...merged.values()].sort((a, b) => a.line - b.line);
    let brf = 0;
    let brh = 0;
    for (const l of lines) {
      l.branches.forEach((b) => {
        // An unreached line's branches are '-' (never evaluated), as lcov writes them.
        const show = (n: number): string => (l.count === 0 ? '-' : String(n));
        out.push(`BRDA:${l.line},${b.insn},0,${show(b.taken)}`, `BRDA:${l.line},${b.insn},1,${show(b.fallthrough)}`);
        brf += 2;
        brh += (b.taken > 0 ? 1 : 0) + (b.fallthrough > 0 ? 1 : 0);
      });
    }
    out.push(`BRF:${brf}`, `BRH:${brh}`);
    for (const l of lines) out.push(`DA:${l.line},${l.count}`);
    out.push(`LF:${lines.length}`, `LH:${lines.filter((l) => l.count > 0).length}`, 'end_of_record');
  }
  return out.join('\n') + '\n';
}

/** A text summary: percentages, then the lines and branch directions no case reached. */
export function coverageSummary(covs: readonly ProgramCoverage[]): string[] {
  const out: string[] = [];
  for (const c of covs) {
    const lines = c.lines.length;
    const linesHit = c.lines.filter((l) => l.count > 0).length;
    out.push(
      `${c.program}: instructions ${pct(c.insnsHit, c.insns)}% (${c.insnsHit}/${c.insns}), branches ${pct(c.branchesHit, c.branches)}% (${c.branchesHit}/${c.branches}), ${c.sourceLines ? 'lines' : 'instructions (no line info)'} ${pct(linesHit, lines)}% (${linesHit}/${lines})`,
    );
    const missed = c.lines.filter((l) => l.count === 0);
    if (missed.length) out.push(`  not reached: ${compactLines(missed)}`);
    const dirs: string[] = [];
    for (const l of c.lines) {
      if (l.count === 0) continue;
      const parts: string[] = [];
      for (const b of l.branches) {
        const miss = [b.taken === 0 ? 'jump never taken' : '', b.fallthrough === 0 ? 'never fell through' : ''].filter(Boolean);
        if (miss.length) parts.push(`insn ${b.insn}: ${miss.join(', ')}`);
      }
      if (parts.length) dirs.push(`${base(l.file)}:${l.line} (${parts.join('; ')})`);
    }
    if (dirs.length) out.push('  branch directions not reached:', ...dirs.map((d) => `    ${d}`));
  }
  return out;
}

const base = (f: string): string => f.slice(f.lastIndexOf('/') + 1);

function compactLines(ls: readonly LineCount[]): string {
  const by = new Map<string, number[]>();
  for (const l of ls) by.set(l.file, [...(by.get(l.file) ?? []), l.line]);
  return [...by].map(([f, nums]) => `${base(f)}:${ranges(nums)}`).join(', ');
}

function ranges(nums: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < nums.length; ) {
    let j = i;
    while (j + 1 < nums.length && nums[j + 1] === nums[j]! + 1) j++;
    out.push(j > i ? `${nums[i]}-${nums[j]}` : String(nums[i]));
    i = j + 1;
  }
  return out.join(',');
}
