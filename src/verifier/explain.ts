/**
 * `explain`: a verifier rejection in a learner's terms. The verifier runs at log level 1, whose
 * log (like the kernel's) holds exactly the failing path: every instruction from the entry to
 * the rejected one with the state after it. explain reads that path back and computes a
 * backward slice over it: from the register (or the operands) of the failing instruction,
 * through definitions of registers and stack slots, plus the conditional jumps on the path
 * whose operands come from the same origin (the compare that bounded the pointer). Each step
 * carries its source line (BTF line info) and the verifier's state after it.
 */
import { OP_LDDW, type Instruction } from '../isa';
import type { MapSpec, ProgramSpec } from '../object';
import { CATEGORY_TEXT, categorize, suggest, type ExplainCategory } from './explain-text';
import { verifyProgram, type VerifyOptions } from './verifier';

export type { ExplainCategory } from './explain-text';

export interface ExplainSource {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly text: string;
}

/** One instruction of the causal chain. */
export interface ExplainStep {
  /** Instruction index as the kernel counts it (lddw takes two). */
  readonly insn: number;
  /** As the kernel's log prints it. */
  readonly text: string;
  readonly source?: ExplainSource;
  /** The verifier's state after it, as its log prints it (`R4=pkt(off=14,r=14)`). */
  readonly state?: string;
  /** What it contributes: `defines r2`, `writes fp-8`, `compares r4 (same origin as r2)`. */
  readonly role: string;
}

export interface Explanation {
  readonly program: string;
  readonly category: ExplainCategory;
  readonly title: string;
  /** Two sentences: what the kernel protects against. */
  readonly protects: string;
  readonly suggestion: string;
  /** The kernel's message (all its lines). */
  readonly message: string[];
  readonly errno: string;
  /** The failing instruction, absent when the object was refused before any instruction. */
  readonly insn?: number;
  readonly text?: string;
  readonly source?: ExplainSource;
  /** The register the message is about, when it names one. */
  readonly register?: number;
  /** What the verifier had proven about that register on the failing path, when it knew. */
  readonly proven?: string;
  /** The backward slice, in program order, ending at the failing instruction. */
  readonly chain: ExplainStep[];
}

interface PathEntry {
  idx: number;
  text: string;
  state?: string;
}

const INSN_LINE = /^(\d+): \(([0-9a-f]{2})\) (.*?)(?:\s+; (.*))?$/;

/** The failing path from a level-1 log, and the message lines after it. */
export function parsePath(log: string): { path: PathEntry[]; messages: string[] } {
  const path: PathEntry[] = [];
  let after: string[] = [];
  for (const line of log.split('\n')) {
    const m = INSN_LINE.exec(line);
    if (m) {
      // `4: (2d) if r4 > r3 goto pc+2 7: R1=...`: a resumed state joined onto its jump's line.
      const joined = /^(.*?) (\d+: R.*)$/.exec(m[3]!);
      const text = joined && m[4] === undefined ? joined[1]! : m[3]!;
      const state = joined && m[4] === undefined ? joined[2]!.replace(/^\d+: /, '') : m[4];
      path.push({ idx: Number(m[1]), text, ...(state !== undefined ? { state } : {}) });
      after = [];
      continue;
    }
    if (/^\d+: R/.test(line) || line.startsWith(';') || line === '' || line.startsWith('from ')) continue;
    if (/^processed \d+ insns/.test(line)) break;
    after.push(line.replace(/processed \d+ insns.*$/, ''));
  }
  return { path, messages: after.filter((l) => l !== '') };
}

/** Registers an instruction reads and writes (r0..r10), and the stack offset it touches. */
function defUse(ins: Instruction): { defs: number[]; uses: number[]; helper: boolean; local: boolean } {
  const cls = ins.opcode & 7;
  const x = (ins.opcode & 8) !== 0;
  if (ins.opcode === OP_LDDW) return { defs: [ins.dst], uses: [], helper: false, local: false };
  if (cls === 4 || cls === 7) {
    const op = ins.opcode & 0xf0;
    const uses = op === 0xb0 ? [] : [ins.dst];
    if (x && op !== 0xd0) uses.push(ins.src);
    return { defs: [ins.dst], uses, helper: false, local: false };
  }
  if (cls === 1) return { defs: [ins.dst], uses: [ins.src], helper: false, local: false };
  if (cls === 2) return { defs: [], uses: [ins.dst], helper: false, local: false };
  if (cls === 3) return { defs: (ins.imm & 1) !== 0 && (ins.opcode & 0xe0) === 0xc0 ? [ins.imm === 0xf1 ? 0 : ins.src] : [], uses: [ins.dst, ins.src], helper: false, local: false };
  if (ins.opcode === 0x85) return ins.src === 1 ? { defs: [], uses: [], helper: false, local: true } : { defs: [0, 1, 2, 3, 4, 5], uses: [1, 2, 3, 4, 5], helper: true, local: false };
  if (ins.opcode === 0x95 || ins.opcode === 0x05 || ins.opcode === 0x06) return { defs: [], uses: [], helper: false, local: false };
  return { defs: [], uses: x ? [ins.dst, ins.src] : [ins.dst], helper: false, local: false };
}

const isCond = (ins: Instruction): boolean => {
  const cls = ins.opcode & 7;
  const op = ins.opcode & 0xf0;
  return (cls === 5 || cls === 6) && op !== 0x00 && op !== 0x80 && op !== 0x90 && ins.opcode !== 0xe5;
};

/**
 * The backward slice over the path. Forward first: each register's origin (the path position
 * of the load, call or constant its value descends from, through moves and arithmetic) and the
 * stack offset of registers pointing into the frame. Then backwards from the failing entry.
 */
function slice(path: PathEntry[], insnAt: (idx: number) => Instruction | undefined, start: number[]): { pos: number; role: string }[] {
  const n = path.length;
  const origin: number[][] = [];
  const fpOff: (number | undefined)[][] = [];
  const slotOf: (number | undefined)[] = [];
  let org = new Array<number>(11).fill(-1);
  let fp = new Array<number | undefined>(11).fill(undefined);
  fp[10] = 0;
  for (let p = 0; p < n; p++) {
    origin.push(org.slice());
    fpOff.push(fp.slice());
    const ins = insnAt(path[p]!.idx);
    if (!ins) continue;
    const cls = ins.opcode & 7;
    if (cls === 1 && fp[ins.src] !== undefined) slotOf[p] = fp[ins.src]! + ins.off;
    if ((cls === 2 || cls === 3) && fp[ins.dst] !== undefined) slotOf[p] = fp[ins.dst]! + ins.off;
    const { defs } = defUse(ins);
    org = org.slice();
    fp = fp.slice();
    if (ins.opcode === 0xbf) {
      org[ins.dst] = org[ins.src]!;
      fp[ins.dst] = fp[ins.src];
    } else if (ins.opcode === 0x07 && fp[ins.dst] !== undefined) {
      fp[ins.dst]! += ins.imm;
    } else if ((cls === 4 || cls === 7) && (ins.opcode & 0xf0) !== 0xb0) {
      // Arithmetic keeps the destination's origin (a pointer plus an offset stays that pointer).
      if (org[ins.dst]! < 0 && (ins.opcode & 8)) org[ins.dst] = org[ins.src]!;
      fp[ins.dst] = undefined;
    } else {
      for (const d of defs) {
        org[d] = p;
        fp[d] = undefined;
      }
    }
  }
  const regs = new Set(start);
  const slots = new Set<number>();
  const out: { pos: number; role: string }[] = [];
  for (let p = n - 2; p >= 0; p--) {
    const ins = insnAt(path[p]!.idx);
    if (!ins) continue;
    const { defs, uses, helper } = defUse(ins);
    const slot = slotOf[p];
    const cls = ins.opcode & 7;
    if (isCond(ins)) {
      const want = [...regs].map((r) => origin[p]![r]!).filter((o) => o >= 0);
      const ops = uses.filter((r) => regs.has(r) || want.includes(origin[p]![r]!));
      if (ops.length > 0) {
        out.push({ pos: p, role: `compares ${ops.map((r) => `r${r}`).join(', ')}` });
        // The bound comes from both operands: follow where they came from too.
        for (const u of uses) if (u !== 10) regs.add(u);
      }
      continue;
    }
    if ((cls === 2 || cls === 3) && slot !== undefined && slots.has(slot)) {
      slots.delete(slot);
      out.push({ pos: p, role: `writes fp${slot}` });
      if (cls === 3) regs.add(ins.src);
      continue;
    }
    const hit = defs.filter((d) => regs.has(d) && (!helper || d === 0));
    if (hit.length === 0) continue;
    for (const d of helper ? [0, 1, 2, 3, 4, 5] : defs) regs.delete(d);
    out.push({ pos: p, role: helper ? 'returns r0' : `defines ${hit.map((r) => `r${r}`).join(', ')}` });
    if (helper) continue;
    if (cls === 1 && slot !== undefined) slots.add(slot);
    else for (const u of uses) if (u !== 10) regs.add(u);
  }
  return out.reverse();
}

/** The register a message is about: `R2 offset is outside...`, `..., R2(id=0,...)`. */
function messageRegister(messages: readonly string[]): number | undefined {
  for (const l of messages) {
    const m = /\bR(\d+)\b/.exec(l);
    if (m && Number(m[1]) <= 10) return Number(m[1]);
  }
  return undefined;
}

/**
 * Explains why the verifier rejects `prog`; undefined when it accepts it. `opts` are the
 * verifier's (its log level is always 1 here).
 */
export function explainProgram(prog: ProgramSpec, maps: readonly MapSpec[], opts: Omit<VerifyOptions, 'logLevel'> = {}): Explanation | undefined {
  const r = verifyProgram(prog, maps, { ...opts, logLevel: 1 });
  if (r.accepted) return undefined;
  // Instruction slots (the kernel's numbering) to indices of prog.insns (lddw counts once).
  const indexOf = new Map<number, number>();
  let slot = 0;
  prog.insns.forEach((ins, i) => {
    indexOf.set(slot, i);
    slot += ins.opcode === OP_LDDW ? 2 : 1;
  });
  const insnAt = (idx: number): Instruction | undefined => {
    const i = indexOf.get(idx);
    return i === undefined ? undefined : prog.insns[i];
  };
  const sourceAt = (idx: number): ExplainSource | undefined => {
    let i = indexOf.get(idx);
    if (i === undefined) return undefined;
    for (; i >= 0; i--) {
      const li = prog.lineInfo.get(i);
      if (li) return { file: li.fileName, line: li.lineNum, col: li.lineCol, text: li.line.trim() };
    }
    return undefined;
  };
  const { path, messages: parsed } = parsePath(r.log);
  const messages = parsed.length > 0 ? parsed : [r.error ?? 'rejected'];
  const failing = r.insn !== undefined && path.length > 0 && path[path.length - 1]!.idx === r.insn ? path[path.length - 1] : undefined;
  const register = messageRegister(messages);
  const failIns = failing ? insnAt(failing.idx) : undefined;
  // The offending register's type on the path: its last `Rn=type(...)` in the states before.
  let regType: string | undefined;
  if (register !== undefined) {
    for (let p = path.length - 1; p >= 0 && regType === undefined; p--) {
      const m = new RegExp(`\\bR${register}(?:_w)?=([a-z_]+)`).exec(path[p]!.state ?? '');
      if (m) regType = m[1];
    }
  }
  const category = categorize(messages, regType);
  let chain: ExplainStep[] = [];
  let proven: string | undefined;
  let provenBytes: number | undefined;
  if (failing && failIns) {
    const start = register !== undefined ? [register] : defUse(failIns).uses;
    const steps = slice(path, insnAt, start);
    const step = (p: number, role: string): ExplainStep => {
      const e = path[p]!;
      const src = sourceAt(e.idx);
      return { insn: e.idx, text: e.text, ...(src ? { source: src } : {}), ...(e.state !== undefined ? { state: e.state } : {}), role };
    };
    chain = [...steps.map((s) => step(s.pos, s.role)), step(path.length - 1, 'is rejected')];
    // What the path had proven: the largest packet range any state on the chain shows.
    if (category === 'packet-bounds') {
      for (const s of chain) {
        for (const m of (s.state ?? '').matchAll(/pkt\([^)]*\br=(\d+)/g)) {
          const v = Number(m[1]);
          if (v < 0x10000 && (provenBytes === undefined || v > provenBytes)) provenBytes = v;
        }
      }
      if (provenBytes === undefined) provenBytes = 0;
      const where = chain.find((s) => s.role.startsWith('compares'));
      const at = where?.source ? ` at ${where.source.file.replace(/^.*\//, '')}:${where.source.line} (insn ${where.insn})` : '';
      proven = provenBytes > 0 ? `${at ? `${at.slice(1)}, t` : 'T'}he packet was proven to hold ${provenBytes} bytes` : 'No comparison with data_end on this path proved any packet bytes';
    }
  }
  const src = failing ? sourceAt(failing.idx) : undefined;
  return {
    program: prog.name,
    category,
    title: CATEGORY_TEXT[category].title,
    protects: CATEGORY_TEXT[category].protects,
    suggestion: suggest(category, messages, register, provenBytes),
    message: messages,
    errno: r.errno ?? '',
    ...(r.insn !== undefined ? { insn: r.insn } : {}),
    ...(failing ? { text: failing.text } : {}),
    ...(src ? { source: src } : {}),
    ...(register !== undefined ? { register } : {}),
    ...(proven !== undefined ? { proven } : {}),
    chain,
  };
}
