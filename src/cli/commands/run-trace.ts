/**
 * `xdpts run prog.o --packet HEX --trace | --trace-json [--max-steps N]`: the run on the
 * interpreter with a {@link Tracer} attached, printed per executed instruction: step, index,
 * the source line when it changes (BTF line info), the instruction (src/asm's printer), the
 * registers written with their new values and the memory read or written.
 */
import { formatOrUndefined } from '../../asm';
import type { BtfLineInfo } from '../../btf';
import type { Instruction } from '../../isa';
import type { ProgramSpec } from '../../object';
import type { StepCheck } from '../../kernel';
import { UsageError } from '../../util/errors';
import type { Envelope } from '../../verifier';
import type { Recorder, Tracer, StepObserver, TraceStep } from '../../vm';

/** An observer the kernel is made with before the program (and so the tracer) exists. */
export class LateTracer implements StepObserver {
  target: Tracer | Recorder | undefined;
  step(pc: number, R: Int32Array, regions: Parameters<StepObserver['step']>[2]): void {
    this.target?.step(pc, R, regions);
  }
}

/** The verifier beside a trace (`--verifier`): its envelope and the run's check against it. */
export interface TraceVerifier {
  readonly envelope: Envelope;
  readonly checks: readonly StepCheck[];
}

/** The verifier's value of register `reg` after step `k` (at the next executed instruction). */
function after(tr: Tracer, v: TraceVerifier, k: number, reg: number): string | undefined {
  const next = tr.steps[k + 1];
  return next ? v.envelope.text(next.slot, reg) : undefined;
}

/** The check's findings as text lines; mismatches first (they are bugs of xdpts). */
export function checkText(v: TraceVerifier, steps: number): string[] {
  const bad = v.checks.filter((c) => c.kind === 'mismatch');
  const soft = v.checks.filter((c) => c.kind === 'untracked');
  const lines = bad.map((c) => `MISMATCH at step ${c.step} (insn ${c.insn}): ${c.why}`);
  if (bad.length) lines.push(`xdpts BUG: ${bad.length} concrete value(s) outside what the verifier proved; please report it with this program and packet`);
  for (const c of soft.slice(0, 20)) lines.push(`note: step ${c.step} (insn ${c.insn}): ${c.why}; untracked: the run joined a path the verifier explored, where this value did not matter`);
  if (soft.length > 20) lines.push(`note: ${soft.length - 20} more untracked value(s)`);
  if (!bad.length) lines.push(`verifier check: every register of the ${steps} recorded steps lies inside the verifier's envelope${soft.length ? ` (${soft.length} untracked)` : ''}`);
  return lines;
}

/** `--max-steps N` (default 10000 recorded instructions). */
export function parseMaxSteps(v: string | undefined): number {
  if (v === undefined) return 10000;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`invalid --max-steps '${v}': expected a positive integer`);
  return n;
}

/** Source line of each instruction index: the line info at it or the closest one before it. */
function sourceOf(spec: ProgramSpec, count: number): (BtfLineInfo | undefined)[] {
  const at: (BtfLineInfo | undefined)[] = [];
  let cur: BtfLineInfo | undefined;
  for (let i = 0; i < count; i++) at.push((cur = spec.lineInfo.get(i) ?? cur));
  return at;
}

/** An instruction as the object spells it (`r1 = pkt_count ll`), else as the VM runs it. */
function insnText(spec: ProgramSpec, insns: readonly Instruction[], i: number): string {
  const same = spec.insns.length === insns.length;
  const ins = same ? spec.insns[i] : insns[i];
  if (!ins) return '?';
  const ref = same ? spec.references.get(i) : undefined;
  // A map reference as clang -S writes it.
  if (ref?.kind === 'map') return `r${ins.dst} = ${ref.map}${ref.offset ? ` + ${ref.offset}` : ''} ll`;
  return formatOrUndefined(ins) ?? '<unknown>';
}

const hex = (v: bigint): string => (v < 10n ? v.toString() : `0x${v.toString(16)}`);

/**
 * One step's effects as text: `r2=pkt+14 r3=0x2a  read pkt+12/2=0x8  write fp-8/8=0x0`; with the
 * verifier, each register written is followed by its abstract value: `r2=pkt+14 (pkt(off=14,r=0))`.
 */
function effects(s: TraceStep, abs?: (reg: number) => string | undefined): string {
  const parts = s.regs.map((r) => {
    const a = abs?.(r.reg);
    return `r${r.reg}=${/^\d+$/.test(r.text) ? hex(r.value) : r.text}${a !== undefined ? ` (${a})` : ''}`;
  });
  for (const m of s.mem) parts.push(`${m.kind} ${m.addr}/${m.size}${m.value !== undefined ? `=${hex(m.value)}` : ''}`);
  return parts.join('  ');
}

/** The trace as text lines. */
export function traceText(tr: Tracer, insns: readonly Instruction[], spec: ProgramSpec, v?: TraceVerifier): string[] {
  const src = spec.insns.length === insns.length ? sourceOf(spec, insns.length) : [];
  const lines: string[] = [];
  let last: BtfLineInfo | undefined;
  for (const s of tr.steps) {
    const li = src[s.index];
    // Several line-info records may name one line (clang emits one per column): print it once.
    if (li && (li.lineNum !== last?.lineNum || li.fileName !== last.fileName)) lines.push(`; ${li.line.trim()} @ ${li.fileName.replace(/^.*\//, '')}:${li.lineNum}`);
    last = li;
    const text = insnText(spec, insns, s.index);
    const head = `${String(s.step).padStart(5)} ${String(s.slot).padStart(4)}: ${text}`;
    const eff = effects(s, v ? (reg) => after(tr, v, s.step, reg) : undefined);
    lines.push(eff ? `${head.padEnd(48)} ; ${eff}` : head);
  }
  if (tr.truncated) lines.push(`... trace stopped after ${tr.steps.length} of ${tr.executed} executed instructions (--max-steps); the run went on`);
  else lines.push(`${tr.executed} instructions executed`);
  if (v) lines.push(...checkText(v, tr.steps.length));
  return lines;
}

/** The trace as plain data for `--trace-json`. */
export function traceJson(tr: Tracer, insns: readonly Instruction[], spec: ProgramSpec, v?: TraceVerifier): object {
  const src = spec.insns.length === insns.length ? sourceOf(spec, insns.length) : [];
  return {
    executed: tr.executed,
    truncated: tr.truncated,
    steps: tr.steps.map((s) => {
      const li = src[s.index];
      return {
        step: s.step,
        insn: s.slot,
        text: insnText(spec, insns, s.index),
        ...(li ? { source: { file: li.fileName, line: li.lineNum, col: li.lineCol, text: li.line.trim() } } : {}),
        regs: s.regs.map((r) => ({ reg: `r${r.reg}`, value: r.text, raw: `0x${r.value.toString(16)}` })),
        mem: s.mem.map((m) => ({ kind: m.kind, addr: m.addr, size: m.size, ...(m.value !== undefined ? { value: `0x${m.value.toString(16)}` } : {}) })),
        ...(v ? { verifier: verifierAt(v, s.slot) } : {}),
      };
    }),
    ...(v
      ? {
          verifierCheck: {
            mismatches: v.checks.filter((c) => c.kind === 'mismatch').map(checkJson),
            untracked: v.checks.filter((c) => c.kind === 'untracked').map(checkJson),
          },
        }
      : {}),
  };
}

/** The verifier's value of every register at an instruction (before it runs), by name. */
function verifierAt(v: TraceVerifier, slot: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let r = 0; r <= 10; r++) {
    const t = v.envelope.text(slot, r);
    if (t !== undefined) out[`r${r}`] = t;
  }
  return out;
}

const checkJson = (c: StepCheck): object => ({ step: c.step, insn: c.insn, reg: c.reg >= 0 ? `r${c.reg}` : null, why: c.why });
