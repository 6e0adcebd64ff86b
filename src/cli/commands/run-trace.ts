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
import { UsageError } from '../../util/errors';
import { Tracer, type StepObserver, type TraceStep } from '../../vm';

/** An observer the kernel is made with before the program (and so the tracer) exists. */
export class LateTracer implements StepObserver {
  tracer: Tracer | undefined;
  step(pc: number, R: Int32Array, regions: Parameters<StepObserver['step']>[2]): void {
    this.tracer?.step(pc, R, regions);
  }
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

/** One step's effects as text: `r2=pkt+14 r3=0x2a  read pkt+12/2=0x8  write fp-8/8=0x0`. */
function effects(s: TraceStep): string {
  const parts = s.regs.map((r) => `r${r.reg}=${/^\d+$/.test(r.text) ? hex(r.value) : r.text}`);
  for (const m of s.mem) parts.push(`${m.kind} ${m.addr}/${m.size}${m.value !== undefined ? `=${hex(m.value)}` : ''}`);
  return parts.join('  ');
}

/** The trace as text lines. */
export function traceText(tr: Tracer, insns: readonly Instruction[], spec: ProgramSpec): string[] {
  const src = spec.insns.length === insns.length ? sourceOf(spec, insns.length) : [];
  const lines: string[] = [];
  let last: BtfLineInfo | undefined;
  for (const s of tr.steps) {
    const li = src[s.index];
    if (li && li !== last) lines.push(`; ${li.line.trim()} @ ${li.fileName.replace(/^.*\//, '')}:${li.lineNum}`);
    last = li;
    const text = insnText(spec, insns, s.index);
    const head = `${String(s.step).padStart(5)} ${String(s.slot).padStart(4)}: ${text}`;
    const eff = effects(s);
    lines.push(eff ? `${head.padEnd(48)} ; ${eff}` : head);
  }
  if (tr.truncated) lines.push(`... trace stopped after ${tr.steps.length} of ${tr.executed} executed instructions (--max-steps); the run went on`);
  else lines.push(`${tr.executed} instructions executed`);
  return lines;
}

/** The trace as plain data for `--trace-json`. */
export function traceJson(tr: Tracer, insns: readonly Instruction[], spec: ProgramSpec): object {
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
      };
    }),
  };
}
