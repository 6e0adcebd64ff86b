/**
 * The step API: one XDP run recorded instruction by instruction ({@link Recorder}) beside the
 * verifier's envelope of the program ({@link Envelope}), navigated like a debugger — step,
 * back, continue to a breakpoint on an instruction or a source line — with the registers (and
 * the verifier's abstract value of each), the stack frame and the packet at every step. The
 * whole run is kept, so stepping backwards is as cheap as forwards. `xdpts run --trace
 * --verifier` and the playground's debugger stand on it.
 */
import type { BtfLineInfo } from '../btf';
import { OP_LDDW } from '../isa';
import type { ObjectSpec, ProgramSpec } from '../object';
import { Envelope, kernelInsnString, type RegCheck } from '../verifier';
import { Recorder, TAG_STACK, type StepObserver, type TraceStep } from '../vm';
import { MAP_PTR_TAG } from './helpers/context';
import { Kernel } from './kernel';
import type { BpfMap } from './maps';
import { xdpActionName, type TestRunResult } from './test-run';
import type { XdpMdIn } from './xdp-md';

/** A mismatch (or an untracked value) found at one step of a run. */
export interface StepCheck extends RegCheck {
  readonly step: number;
  readonly insn: number;
}

/**
 * Checks every recorded step against the envelope (see src/verifier/envelope.ts): a `mismatch`
 * is a concrete register outside what the verifier proved, on a path it followed.
 */
export function checkRun(rec: Recorder, env: Envelope): StepCheck[] {
  const pruned = env.prunedAt;
  const out: StepCheck[] = [];
  let afterPrune = false;
  rec.tracer.steps.forEach((s, k) => {
    // A map handle's high half is the kernel's MAP_PTR_TAG, which the VM does not know.
    const regs = rec.registers(k).map((r) => (r && r.value >> 32n === BigInt(MAP_PTR_TAG) ? { ...r, region: 'map' } : r));
    // The current frame's r10; a program that never names r10 has no stack pointers to place.
    const fp = regs[10] && regs[10].region === 'stack' ? Number(regs[10].value & 0xffffffffn) : Recorder.fp(0);
    for (const c of env.check(s.slot, { regs, packet: rec.packetBounds(k), fp }, afterPrune)) out.push({ ...c, step: k, insn: s.slot });
    if (pruned.has(s.slot)) afterPrune = true;
  });
  return out;
}

/** Source position of an instruction. */
export interface DebugSource {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly text: string;
}

/** A register at the current step. */
export interface DebugRegister {
  readonly reg: number;
  readonly value: bigint;
  /** `pkt+14`, `fp-8`, or the unsigned decimal value. */
  readonly text: string;
  /** The verifier's value at this instruction, as its log prints it; absent when not initialised. */
  readonly verifier?: string;
}

/** Where {@link DebugRun.continue} stops: an instruction slot, or entering a source line. */
export type Breakpoint = { readonly insn: number } | { readonly line: number; readonly file?: string };

/** Options of {@link debugRun}. */
export interface DebugOptions {
  /** data_in. */
  readonly packet: Uint8Array;
  /** Function or section name of the program (default: the first). */
  readonly program?: string;
  /** Steps recorded (default 100000); the run goes on beyond, unrecorded. */
  readonly maxSteps?: number;
  readonly ctx?: XdpMdIn;
  /** Seed of bpf_get_prandom_u32. */
  readonly seed?: number;
  /** Run the verifier's envelope beside the run (default true). */
  readonly verifier?: boolean;
}

/** One recorded run, positioned on a step. */
export class DebugRun {
  /** The step about to run (0 .. length-1). */
  position = 0;
  /** Registers outside the verifier's envelope (empty when xdpts is right). */
  readonly checks: StepCheck[];
  private readonly breakpoints: Breakpoint[] = [];
  private readonly lineAt: (BtfLineInfo | undefined)[] = [];

  constructor(
    readonly program: ProgramSpec,
    readonly result: TestRunResult,
    readonly maps: ReadonlyMap<string, BpfMap>,
    readonly recorder: Recorder,
    readonly envelope: Envelope | undefined,
  ) {
    let cur: BtfLineInfo | undefined;
    for (let i = 0; i < program.insns.length; i++) this.lineAt.push((cur = program.lineInfo.get(i) ?? cur));
    this.checks = envelope ? checkRun(recorder, envelope) : [];
  }

  /** The XDP action's name (`XDP_PASS`). */
  get action(): string {
    return xdpActionName(this.result.retval);
  }
  /** Steps recorded. */
  get length(): number {
    return this.recorder.length;
  }
  /** Instructions executed (recorded or not). */
  get executed(): number {
    return this.recorder.tracer.executed;
  }
  /** The current step's record: instruction slot and index, registers written, memory touched. */
  get current(): TraceStep {
    return this.recorder.tracer.steps[this.position]!;
  }
  /** The instruction slot about to run. */
  get insn(): number {
    return this.current.slot;
  }
  /** The instruction as the kernel's log prints it. */
  get text(): string {
    const i = this.current.index;
    const ref = this.program.references.get(i);
    const ins = this.program.insns[i]!;
    return kernelInsnString(ins, ref?.kind === 'map' && ins.opcode === OP_LDDW ? ref.map : undefined);
  }
  /** The source line of the current instruction (BTF line info), when the object has one. */
  get source(): DebugSource | undefined {
    return sourceOf(this.lineAt[this.current.index]);
  }

  /** Moves `n` steps forwards; false (and no move) past the last step. */
  step(n = 1): boolean {
    return this.goto(this.position + n);
  }
  /** Moves `n` steps backwards; false (and no move) before the first. */
  back(n = 1): boolean {
    return this.goto(this.position - n);
  }
  /** Moves to step `k`; false when there is no such step. */
  goto(k: number): boolean {
    if (!Number.isInteger(k) || k < 0 || k >= this.length) return false;
    this.position = k;
    return true;
  }
  /** Runs forwards to the next breakpoint (true) or to the last step (false). */
  continue(): boolean {
    for (let k = this.position + 1; k < this.length; k++) if (this.hits(k)) return this.goto(k);
    this.goto(this.length - 1);
    return false;
  }
  /** Runs backwards to the previous breakpoint (true) or to the first step (false). */
  reverseContinue(): boolean {
    for (let k = this.position - 1; k >= 0; k--) if (this.hits(k)) return this.goto(k);
    this.goto(0);
    return false;
  }
  addBreakpoint(b: Breakpoint): void {
    this.breakpoints.push(b);
  }
  clearBreakpoints(): void {
    this.breakpoints.length = 0;
  }

  /**
   * The registers the program uses, before the current step runs, with the verifier's value of
   * each (registers no instruction names are left out: nothing can observe them).
   */
  registers(): DebugRegister[] {
    return this.recorder.registers(this.position).flatMap((r, reg) => {
      if (!r) return [];
      const v = this.envelope?.text(this.insn, reg);
      return [{ reg, value: r.value, text: r.text, ...(v !== undefined ? { verifier: v } : {}) }];
    });
  }
  /** The current frame's 512 stack bytes (fp-512 .. fp-1) before the current step. */
  stack(): Uint8Array {
    // A program that never names r10 has no stack to show.
    const r10 = this.recorder.registers(this.position)[10];
    if (!r10 || Number(r10.value >> 32n) !== TAG_STACK) return new Uint8Array(0);
    return this.recorder.stack(this.position, Number(r10.value & 0xffffffffn));
  }
  /** The packet (data .. data_end) before the current step. */
  packet(): Uint8Array {
    return this.recorder.packet(this.position);
  }

  private hits(k: number): boolean {
    const s = this.recorder.tracer.steps[k]!;
    for (const b of this.breakpoints) {
      if ('insn' in b) {
        if (b.insn === s.slot) return true;
        continue;
      }
      const li = this.lineAt[s.index];
      if (!li || li.lineNum !== b.line || (b.file !== undefined && li.fileName.replace(/^.*\//, '') !== b.file.replace(/^.*\//, ''))) continue;
      // Entering the line: the step before was on another line (or there is none).
      const prev = k > 0 ? this.lineAt[this.recorder.tracer.steps[k - 1]!.index] : undefined;
      if (prev !== li) return true;
    }
    return false;
  }
}

function sourceOf(li: BtfLineInfo | undefined): DebugSource | undefined {
  return li ? { file: li.fileName, line: li.lineNum, col: li.lineCol, text: li.line.trim() } : undefined;
}

/** An observer bound once the program (and so the recorder) exists. */
class LateObserver implements StepObserver {
  target: StepObserver | undefined;
  step(pc: number, R: Int32Array, regions: Parameters<StepObserver['step']>[2]): void {
    this.target?.step(pc, R, regions);
  }
}

/**
 * Loads `spec` into a fresh in-memory kernel, runs its XDP program once on `opts.packet` on the
 * interpreter and returns the recorded run. Throws VerifierError when the verifier refuses it.
 */
export function debugRun(spec: ObjectSpec, opts: DebugOptions): DebugRun {
  const late = new LateObserver();
  const kernel = new Kernel({ engine: 'interp', observer: late, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const obj = kernel.loadObject(spec, { ...(opts.program !== undefined ? { programs: [opts.program] } : { programs: [spec.programs[0]?.name ?? ''] }), type: 6 });
  const prog = obj.programs[0]!;
  const picked = spec.programs.find((p) => p.name === prog.funcName)!;
  const rec = new Recorder(prog.vm.insns, opts.maxSteps ?? 100_000);
  late.target = rec;
  const result = kernel.testRun(prog, { packet: opts.packet, ...(opts.ctx ? { ctx: opts.ctx } : {}) });
  rec.finish();
  const env = opts.verifier === false ? undefined : new Envelope(picked.type ? picked : { ...picked, type: 6 }, spec.maps, { progType: 6 });
  return new DebugRun(picked, result, obj.maps, rec, env);
}
