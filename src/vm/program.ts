/**
 * Making and running programs: `compile()` validates and pre-decodes once, builds the chosen
 * engine, and returns an immutable {@link VmProgram} whose `runRaw`/`runXdp` set up the memory
 * of a run (the XDP frame of BPF_PROG_TEST_RUN, or uBPF's raw memory) and turn a fault into a
 * result value.
 */
import type { Instruction } from '../isa';
import { joinU64 } from './alu64';
import { decodeProgram } from './decode';
import { interpCode } from './interp';
import { jitCode } from './jit';
import { wasmCode } from './wasm-code';
import { CODE, Run, type Code } from './runtime';
import { Space } from './space';
import {
  TAG_CTX, VmFault, XDP_ABORTED, XDP_FRAME_STRUCT_SIZE, XDP_MAX_PACKET, XDP_PACKET_HEADROOM, type CompileOptions, type Engine, type HelperTable,
  type RawInput, type RunResult, type VmCoverage, type VmProgram, type VmSpace, type XdpInput, type XdpResult,
} from './types';
import { XdptsError } from '../util';

const NO_HELPERS: HelperTable = { helpers: [] };
const DEFAULT_MAX_STEPS = 1 << 26;
const EMPTY = new Uint8Array(0);
/** The frags of a frame without any (shared: helpers replace the array, never push into it). */
const NO_FRAGS: Uint8Array[] = [];

class Program implements VmProgram {
  readonly engine: Engine;
  readonly insns: readonly Instruction[];
  readonly engineNote?: string;
  readonly [CODE]: Code;
  readonly coverage?: VmCoverage;
  constructor(engine: Engine, insns: readonly Instruction[], code: Code, note?: string) {
    this.engine = engine;
    if (note !== undefined) this.engineNote = note;
    if (code.coverage) this.coverage = code.coverage;
    // A frozen copy: the program keeps meaning what it was compiled from.
    this.insns = Object.freeze(insns.map((i) => Object.freeze({ ...i })));
    this[CODE] = code;
    Object.freeze(this);
  }

  runRaw(input: RawInput = {}): RunResult {
    const code = this[CODE];
    const run = runOf(code.space);
    run.begin(code, false);
    const args = new Int32Array(10);
    const mem = input.mem !== undefined && input.mem.length > 0 ? input.mem.slice() : undefined;
    let r: Result;
    try {
      if (mem !== undefined) {
        // uBPF: r1 = the memory, r2 = its length; a copy so the caller's bytes stay unchanged.
        args[0] = 0;
        args[1] = run.exposeRaw(mem);
        args[2] = mem.length;
      }
      code.exec(run, 0, args);
      r = result(run.xlo, run.xhi);
    } catch (e) {
      r = faulted(e);
    } finally {
      run.end();
    }
    if (mem !== undefined) r.mem = mem;
    return r;
  }

  runXdp(input: XdpInput): XdpResult {
    const code = this[CODE];
    if (input.packet.length > XDP_MAX_PACKET) {
      throw new XdptsError(`packet of ${input.packet.length} bytes is larger than the ${XDP_MAX_PACKET} bytes an XDP frame holds`, 'EINVAL');
    }
    if (input.meta !== undefined && input.meta.length > XDP_PACKET_HEADROOM - XDP_FRAME_STRUCT_SIZE) {
      throw new XdptsError(`${input.meta.length} bytes of metadata do not fit the ${XDP_PACKET_HEADROOM - XDP_FRAME_STRUCT_SIZE} bytes of headroom past struct xdp_frame`, 'EINVAL');
    }
    const run = runOf(code.space);
    run.begin(code, true);
    const x = run.xdpState;
    x.load(input.packet, input.meta);
    x.frags = input.frags ? input.frags.map((f) => f.slice()) : NO_FRAGS;
    x.ingressIfindex = input.ingressIfindex ?? 0;
    x.rxQueueIndex = input.rxQueueIndex ?? 0;
    x.egressIfindex = input.egressIfindex ?? 0;
    x.syncIds();
    const args = run.entryArgs;
    args[0] = 0;
    args[1] = TAG_CTX;
    let lo = 0;
    let hi = 0;
    let fault: VmFault | undefined;
    // Timing costs two clock reads: only when asked for (test_run passes repeat).
    const timed = input.repeat !== undefined;
    const repeat = Math.max(1, input.repeat ?? 1);
    const t0 = timed ? performance.now() : 0;
    try {
      if (code.execRepeat !== undefined) {
        code.execRepeat(run, 0, args, repeat);
        lo = run.xlo;
        hi = run.xhi;
      } else {
        for (let i = 0; i < repeat; i++) {
          code.exec(run, 0, args);
          lo = run.xlo;
          hi = run.xhi;
        }
      }
    } catch (e) {
      fault = faulted(e).fault;
    } finally {
      run.end();
    }
    const durationNs = timed ? Math.round(((performance.now() - t0) * 1e6) / repeat) : 0;
    const meta = x.dataMeta === x.data ? EMPTY : x.frame.slice(x.dataMeta, x.data);
    const frags = x.frags;
    x.frags = NO_FRAGS;
    return new XdpRunResult(lo, hi, fault, x.frame.slice(x.data, x.dataEnd), meta, frags, durationNs);
  }
}

function runOf(space: Space): Run {
  return (space.runState ??= new Run(space)) as Run;
}

/** A run's result; `r0` as a BigInt is computed only when asked for (keeps BigInt off the hot path). */
class Result implements RunResult {
  readonly r0lo: number;
  readonly r0hi: number;
  readonly fault?: VmFault;
  mem?: Uint8Array;
  constructor(lo: number, hi: number, fault?: VmFault) {
    this.r0lo = lo;
    this.r0hi = hi;
    if (fault) this.fault = fault;
  }
  get r0(): bigint {
    return joinU64(this.r0lo, this.r0hi);
  }
}

/** An XDP run's result: one flat class (a subclass's super() call showed in profiles). */
class XdpRunResult implements XdpResult {
  readonly r0lo: number;
  readonly r0hi: number;
  readonly fault?: VmFault;
  readonly action: number;
  readonly packet: Uint8Array;
  readonly meta: Uint8Array;
  readonly frags: readonly Uint8Array[];
  readonly durationNs: number;
  constructor(lo: number, hi: number, fault: VmFault | undefined, packet: Uint8Array, meta: Uint8Array, frags: readonly Uint8Array[], durationNs: number) {
    this.r0lo = lo;
    this.r0hi = hi;
    if (fault) this.fault = fault;
    this.action = fault ? XDP_ABORTED : lo >>> 0;
    this.packet = packet;
    this.meta = meta;
    this.frags = frags;
    this.durationNs = durationNs;
  }
  get r0(): bigint {
    return joinU64(this.r0lo, this.r0hi);
  }
}

function result(lo: number, hi: number): Result {
  return new Result(lo, hi);
}

function faulted(e: unknown): Result {
  if (e instanceof VmFault) return new Result(0, 0, e);
  // Deep host recursion (tail calls of callbacks of tail calls...) is reported, not thrown.
  if (e instanceof RangeError && /call stack/i.test(e.message)) return new Result(0, 0, new VmFault(-1, 'host stack exhausted'));
  // Anything else is a bug in a helper or in the VM: let it surface.
  throw e;
}

/**
 * Compiles a program for the chosen engine. Validates it (unknown opcodes, bad registers,
 * writes to r10, jumps outside the program, calls to helpers missing from the table) and
 * throws a VmCompileError on the first problem.
 */
export function compile(insns: readonly Instruction[], opts: CompileOptions): VmProgram {
  const helpers = withKfuncs(opts.helpers ?? NO_HELPERS);
  const space = (opts.space ?? new Space()) as Space;
  if (!(space instanceof Space)) throw new XdptsError('the address space was not made by createSpace()', 'vm');
  const dec = decodeProgram(insns, opts.resolvePseudo, (id) => helpers.helpers[id] !== undefined, helpers.tailCall !== undefined);
  const maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  if (!(maxSteps >= 0)) throw new XdptsError(`maxSteps must be a number >= 0, not ${maxSteps}`, 'vm');
  // Coverage counts in the interpreter: it runs one instruction at a time (the JIT would need
  // counters in its generated code).
  if (opts.coverage || opts.observer) return new Program('interp', insns, interpCode(dec, space, helpers, maxSteps, opts.coverage === true, opts.observer));
  if (opts.engine === 'wasm') {
    // Programs the translator cannot take run on the JIT, with the reason kept on the program.
    const code = wasmCode(dec, space, helpers, maxSteps);
    if (typeof code !== 'string') return new Program('wasm', insns, code);
    return new Program('jit', insns, jitCode(dec, space, helpers, maxSteps), code);
  }
  const code = opts.engine === 'jit' ? jitCode(dec, space, helpers, maxSteps) : interpCode(dec, space, helpers, maxSteps);
  return new Program(opts.engine, insns, code);
}

const merged = new WeakMap<HelperTable, HelperTable>();

/**
 * The table the engines index by `imm`: the helpers, plus each kfunc at its BTF id (far above
 * every helper id), so a kfunc call compiles to a helper call (see decode).
 */
function withKfuncs(t: HelperTable): HelperTable {
  if (!t.kfuncs || t.kfuncs.size === 0) return t;
  let m = merged.get(t);
  if (!m) {
    const all = t.helpers.slice();
    for (const [id, fn] of t.kfuncs) all[id] = fn;
    m = { ...t, helpers: all };
    merged.set(t, m);
  }
  return m;
}

/** Convenience: compile and run raw bytecode once (uBPF style). */
export function runRaw(prog: VmProgram, mem?: Uint8Array): RunResult {
  return prog.runRaw(mem === undefined ? {} : { mem });
}

/** Convenience: run an XDP program over one packet. */
export function runXdp(prog: VmProgram, input: XdpInput): XdpResult {
  return prog.runXdp(input);
}

/** Type re-export for callers that make spaces. */
export type { VmSpace };
