/**
 * `xdpts run` — the `bpftool prog run` / BPF_PROG_TEST_RUN role. An ELF object is loaded into a
 * fresh emulated kernel (maps created, program verified and compiled) and its XDP program run
 * on one packet, or on every packet of a capture in order with the maps kept between packets.
 * A raw instruction file (no ELF magic, as `xdpts build --raw` writes) is run uBPF-style on
 * `--mem` (r1 = the memory, r2 = its length) without the verifier.
 *
 * Text output follows bpftool (`Return value: 2, duration: 15ns`, the data_out hex dump) plus
 * the action name and the maps; `--json` gives `{"r0","action","packet","maps"}`.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { decode } from '../../isa';
import { BPFTOOL_LEGACY_MAPS, btfValueLayout, checkRun, Kernel, LEGACY_MAPS_HINT, TestRunError, hasLegacyMaps, xdpActionName, type BpfMap, type LoadedProgram, type Selector, type TestRunResult, type XdpMdIn } from '../../kernel';
import { loadObject, type ObjectSpec, type ProgramSpec } from '../../object';
import { SET_FLAGS, SET_HELP, applySets, collectSet } from './set-option';
import { readPcap, writePcap, LINKTYPE_ETHERNET } from '../../pcap';
import { UsageError, VerifierError } from '../../util/errors';
import { fromHex } from '../../util/hex';
import { CliFailure, EXIT_FAIL, EXIT_OK, err, errorJson, out, outJson, runCommand, type CommonOptions } from '../output';
import { readInput } from './build';
import { Recorder, Tracer, type Engine, type VmProgram } from '../../vm';
import { Envelope } from '../../verifier';
import type { RegisterCommand } from './index';
import { inputKind } from './input-kind';
import { ctxOf, runLive } from './run-live';
import { LateTracer, parseMaxSteps, traceJson, traceText, type TraceVerifier } from './run-trace';
import { applyMapInit, type MapLayouts } from './run-maps';
import { jsonResult, mapsJson, textMaps, textResult } from './run-output';

export { bpftoolHexdump, dumpMap } from './run-output';

interface RunOptions extends CommonOptions {
  set?: string[];
  section?: string;
  name?: string;
  packet?: string;
  pcap?: string;
  out?: string;
  repeat?: string;
  mem?: string;
  engine?: string;
  seed?: string;
  ctx?: string[];
  ctxIn?: string;
  ctxOut?: string;
  mapInit?: string;
  pinned?: string;
  id?: string;
  trace?: boolean;
  traceJson?: boolean;
  verifier?: boolean;
  maxSteps?: string;
  raw?: boolean;
}

/** Fields of `struct xdp_md` that `--ctx` may set (data_end defaults to the packet's end). */
const CTX_FIELDS = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'] as const;

function parseUint(v: string | undefined, what: string, max = 0xffffffff): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v.trim());
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v.trim()) || !Number.isSafeInteger(n) || n > max) throw new UsageError(`invalid ${what} '${v}': expected an integer from 0 to ${max}`);
  return n;
}

function parseCtx(items: readonly string[] | undefined): XdpMdIn | undefined {
  if (!items || items.length === 0) return undefined;
  const ctx: Record<string, number> = {};
  for (const item of items.flatMap((s) => s.split(','))) {
    const m = /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/.exec(item);
    if (!m || !(CTX_FIELDS as readonly string[]).includes(m[1]!))
      throw new UsageError(`invalid --ctx '${item}': expected FIELD=VALUE with FIELD one of ${CTX_FIELDS.join(', ')}`);
    ctx[m[1]!] = parseUint(m[2], `--ctx ${m[1]}`)!;
  }
  return ctx as XdpMdIn;
}

/** The context of `--ctx FIELD=V...` or `--ctx-in FILE` (struct xdp_md bytes, as bpftool's ctx_in). */
function ctxInput(opts: RunOptions): { ctx?: XdpMdIn; ctxBytes?: Uint8Array } {
  if (opts.ctx !== undefined && opts.ctxIn !== undefined) throw new UsageError('give the context by --ctx fields or as a --ctx-in file, not both');
  if (opts.ctxOut !== undefined && opts.ctx === undefined && opts.ctxIn === undefined) throw new UsageError('--ctx-out writes the context after the run: give one with --ctx or --ctx-in');
  if (opts.ctxIn !== undefined) return { ctxBytes: new Uint8Array(readInput(opts.ctxIn)) };
  const ctx = parseCtx(opts.ctx);
  return ctx ? { ctx } : {};
}

function engineOf(v: string | undefined): { engine?: Engine } {
  if (v === undefined) return {};
  if (v === 'jit' || v === 'interp' || v === 'wasm') return { engine: v };
  throw new UsageError(`invalid --engine '${v}': expected wasm, jit or interp`);
}

/** The engine a program runs on, and why when it is not the one asked for (`--json`). */
function engineJson(vm: VmProgram): { engine: Engine; reason?: string } {
  return vm.engineNote === undefined ? { engine: vm.engine } : { engine: vm.engine, reason: vm.engineNote };
}

/** Picks the program like xdp-loader: `-s SEC` and/or `-n NAME`, else the first one. */
export function pickProgram(spec: ObjectSpec, section?: string, name?: string): ProgramSpec {
  const all = spec.programs;
  if (all.length === 0) throw new UsageError('the object has no programs');
  const found = all.find((p) => (section === undefined || p.section === section) && (name === undefined || p.name === name));
  if (!found) {
    const list = all.map((p) => `${p.name} (section ${p.section})`).join(', ');
    const want = [section !== undefined ? `section '${section}'` : '', name !== undefined ? `name '${name}'` : ''].filter(Boolean).join(' and ');
    throw new UsageError(`no program with ${want}; the object has: ${list}`);
  }
  return found;
}

function runRawFile(bytes: Uint8Array, opts: RunOptions): number {
  if (bytes.length % 8 !== 0) throw new UsageError(`raw instruction file size ${bytes.length} is not a multiple of 8`);
  const { insns, problem } = decode(bytes, 'le');
  if (problem) throw new UsageError(`raw instructions: ${problem.message} at byte ${problem.offset}`);
  if (opts.packet || opts.pcap) throw new UsageError('a raw instruction file runs on --mem, not --packet/--pcap');
  const mem = opts.mem !== undefined ? fromHex(opts.mem, '--mem') : undefined;
  const kernel = new Kernel({ ...engineOf(opts.engine), ...seedOpt(opts) });
  // Raw programs are not verified (uBPF semantics): the VM's checks keep them from escaping.
  const prog = kernel.loadInsns(insns, { name: 'raw', type: 0 });
  const r = prog.vm.runRaw(mem ? { mem } : {});
  if (r.fault) {
    if (opts.json) outJson(errorJson(r.fault.message, 'fault'));
    else err(`xdpts: ${r.fault.message}`);
    return EXIT_FAIL;
  }
  const r0 = `0x${r.r0.toString(16)}`;
  if (opts.json) outJson({ r0, ...engineJson(prog.vm) });
  else out(`r0: ${r0}`);
  return EXIT_OK;
}

function seedOpt(opts: RunOptions): { seed?: number } {
  const s = parseUint(opts.seed, '--seed', Number.MAX_SAFE_INTEGER);
  return s === undefined ? {} : { seed: s };
}

function loadForRun(kernel: Kernel, spec: ObjectSpec, picked: ProgramSpec): { prog: LoadedProgram; maps: ReadonlyMap<string, BpfMap> } {
  try {
    const obj = kernel.loadObject(spec, { programs: [picked.name], type: 6 });
    return { prog: obj.programs[0]!, maps: obj.maps };
  } catch (e) {
    if (e instanceof VerifierError) {
      throw new CliFailure(`the verifier refused program '${picked.name}': ${e.message.replace(/^program '[^']*': /, '')}`, EXIT_FAIL, {
        insn: e.insn,
        log: e.log,
      });
    }
    throw e;
  }
}

function runObject(file: string, bytes: Uint8Array, opts: RunOptions): number {
  if (opts.mem !== undefined) throw new UsageError('--mem is for raw instruction files; an object runs on --packet or --pcap');
  if ((opts.packet === undefined) === (opts.pcap === undefined)) throw new UsageError('give exactly one of --packet HEX or --pcap FILE');
  if (opts.out && !opts.pcap) throw new UsageError('--out writes a capture and needs --pcap');
  const repeat = parseUint(opts.repeat, '--repeat');
  const ctxIn = ctxInput(opts);
  if (opts.ctxOut !== undefined && opts.packet === undefined) throw new UsageError('--ctx-out runs one packet: give --packet HEX');
  const spec = applySets(loadObject(bytes, file), opts.set);
  // bpftool (libbpf >= 1.0) refuses legacy `maps` objects before loading anything.
  if (hasLegacyMaps(spec)) throw new CliFailure([...BPFTOOL_LEGACY_MAPS, LEGACY_MAPS_HINT].join('\n'), EXIT_FAIL);
  const picked = pickProgram(spec, opts.section, opts.name);
  const tracing = opts.trace === true || opts.traceJson === true;
  if (tracing && (opts.packet === undefined || repeat !== undefined)) throw new UsageError('--trace runs one packet once: give --packet HEX without --repeat');
  const late = tracing ? new LateTracer() : undefined;
  // Tracing runs on the interpreter (the observer is its hook); --engine is then ignored.
  const kernel = new Kernel({ ...(late ? { engine: 'interp' as const, observer: late } : engineOf(opts.engine)), ...seedOpt(opts) });
  const { prog, maps } = loadForRun(kernel, spec, picked);
  // --verifier records whole register files (Recorder) to check them against the envelope.
  const rec = late && opts.verifier ? new Recorder(prog.vm.insns, parseMaxSteps(opts.maxSteps)) : undefined;
  const tracer = rec ? rec.tracer : late ? new Tracer(prog.vm.insns, parseMaxSteps(opts.maxSteps)) : undefined;
  if (late) late.target = rec ?? tracer;
  const layoutsOf = (name: string): MapLayouts | undefined => {
    const ms = spec.maps.find((m) => m.name === name);
    if (!ms || !spec.btf) return undefined;
    return { key: ms.keyTypeId ? btfValueLayout(spec.btf, ms.keyTypeId) : undefined, value: ms.valueTypeId ? btfValueLayout(spec.btf, ms.valueTypeId) : undefined };
  };
  if (opts.mapInit !== undefined) applyMapInit(opts.mapInit, maps, layoutsOf, spec.endian);
  const runOne = (packet: Uint8Array): TestRunResult => {
    try {
      const ctx = ctxOf(ctxIn);
      return kernel.testRun(prog, { packet, ...(repeat !== undefined ? { repeat } : {}), ...(ctx ? { ctx } : {}) });
    } catch (e) {
      if (e instanceof TestRunError) throw new CliFailure(`failed to run program: ${e.message}`, EXIT_FAIL, { errno: e.errno });
      throw e;
    }
  };

  if (opts.packet !== undefined) {
    const r = runOne(fromHex(opts.packet, '--packet'));
    if (opts.ctxOut !== undefined && r.ctxOut) writeFileSync(opts.ctxOut, r.ctxOut);
    if (tracer) {
      if (rec) rec.finish();
      else tracer.finish();
      const v = rec ? verifierBeside(rec, picked, spec) : undefined;
      // A register outside what the verifier proved is a bug of xdpts: the run fails.
      const bad = v?.checks.some((c) => c.kind === 'mismatch') === true;
      // --trace --json is --trace-json (one JSON document, not text then JSON).
      if (opts.traceJson || opts.json) {
        outJson({ ...jsonResult(r, repeat), ...engineJson(prog.vm), trace: traceJson(tracer, prog.vm.insns, picked, v), maps: mapsJson(maps, layoutsOf) });
        return r.fault || bad ? EXIT_FAIL : EXIT_OK;
      }
      out(traceText(tracer, prog.vm.insns, picked, v).join('\n'));
      if (bad) err('xdpts: BUG: the run left the verifier\'s envelope (MISMATCH lines above)');
      if (bad) return EXIT_FAIL;
    }
    if (opts.json) outJson({ ...jsonResult(r, repeat), ...engineJson(prog.vm), maps: mapsJson(maps, layoutsOf) });
    else out([textResult(r, repeat), textMaps(maps)].filter(Boolean).join('\n'));
    return r.fault ? EXIT_FAIL : EXIT_OK;
  }
  const cap = readPcap(new Uint8Array(readInput(opts.pcap!)));
  if (cap.linktype !== LINKTYPE_ETHERNET) throw new UsageError(`${opts.pcap}: link type ${cap.linktype} is not Ethernet (1)`);
  // A packet test_run refuses (a runt in the capture) is reported in its place; the rest run on.
  const results: (TestRunResult | CliFailure)[] = [];
  for (const rec of cap.records) {
    try {
      results.push(runOne(rec.data));
    } catch (e) {
      if (!(e instanceof CliFailure)) throw e;
      results.push(e);
    }
  }
  if (opts.out) {
    // The output capture holds the packet after each run (data_out), with the input's timestamps;
    // a refused packet has no data_out and is left out.
    const written = results.flatMap((r, i) => (r instanceof CliFailure ? [] : [{ timeUs: cap.records[i]!.timeUs, data: r.dataOut }]));
    writeFileSync(opts.out, writePcap(written));
  }
  const failed = results.some((r) => r instanceof CliFailure || r.fault);
  if (opts.json) {
    outJson({ results: results.map((r) => (r instanceof CliFailure ? errorJson(r.message, r.code) : jsonResult(r, repeat))), ...engineJson(prog.vm), maps: mapsJson(maps, layoutsOf) });
    return failed ? EXIT_FAIL : EXIT_OK;
  }
  const parts = results.map((r, i) => (r instanceof CliFailure ? `Packet ${i + 1}:\nError: ${r.message}` : textResult(r, repeat, `Packet ${i + 1}:`)));
  const counts = new Map<string, number>();
  for (const r of results) {
    const what = r instanceof CliFailure ? 'refused' : xdpActionName(r.retval);
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  parts.push(`${results.length} packet(s): ${[...counts].map(([a, n]) => `${a} ${n}`).join(', ') || 'none'}`);
  parts.push(textMaps(maps));
  out(parts.filter(Boolean).join('\n'));
  return failed ? EXIT_FAIL : EXIT_OK;
}

/** The verifier's envelope of the program run (`--verifier`) and the run's check against it. */
function verifierBeside(rec: Recorder, picked: ProgramSpec, spec: ObjectSpec): TraceVerifier {
  const envelope = new Envelope(picked.type ? picked : { ...picked, type: 6 }, spec.maps, { progType: 6 });
  return { envelope, checks: checkRun(rec, envelope) };
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `run --pinned P | --id N | --name X` with no file: a program of the shared state. */
function runLoadedProgram(file: string | undefined, opts: RunOptions): Promise<number> {
  const given = [opts.pinned !== undefined, opts.id !== undefined, file === undefined && opts.name !== undefined].filter(Boolean).length;
  if (file !== undefined) throw new UsageError('--pinned and --id run a loaded program: give them without an object file');
  if (given !== 1) throw new UsageError('give an object file, or exactly one of --pinned PATH, --id N, --name NAME for a loaded program');
  for (const [flag, v] of [['--pcap', opts.pcap], ['--mem', opts.mem], ['--map-init', opts.mapInit], ['--section', opts.section], ['--engine', opts.engine], ['--seed', opts.seed], ['--out', opts.out]] as const)
    if (v !== undefined) throw new UsageError(`${flag} is for an object file; a loaded program runs on --packet with its live maps`);
  if (opts.packet === undefined) throw new UsageError('a loaded program runs on --packet HEX');
  const sel: Selector =
    opts.pinned !== undefined ? { by: 'pinned', path: opts.pinned } : opts.id !== undefined ? { by: 'id', id: parseUint(opts.id, '--id')! } : { by: 'name', name: opts.name! };
  const repeat = parseUint(opts.repeat, '--repeat');
  return runLive(sel, { packet: fromHex(opts.packet, '--packet'), ...(repeat !== undefined ? { repeat } : {}), ...ctxInput(opts) }, opts.json === true, opts.ctxOut);
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('run')
    .description('run an XDP program on packets like BPF_PROG_TEST_RUN (bpftool prog run), or raw bytecode on memory')
    .argument('[file]', 'ELF object (.o), or raw instructions (.bin) run with --mem; none with --pinned/--id/--name: a loaded program')
    .option('-s, --section <sec>', 'the program\'s ELF section (default: the first program)')
    .option('-n, --name <name>', 'the program\'s function name; without a file, a loaded program of that name')
    .option('--pinned <path>', 'run the program pinned at PATH in the emulated bpffs, with its live maps')
    .option('--id <n>', 'run the loaded program with this id, with its live maps')
    .option('--map-init <file>', 'JSON {"map": [{"key": K, "value": V}]} written into the maps before the run (hex or BTF-shaped values)')
    .option('--packet <hex>', 'one packet (data_in), hex with or without spaces')
    .option('--pcap <file>', 'run every packet of a capture, in order, maps kept')
    .option('--out <file>', 'with --pcap: write the packet after each run (data_out) to a capture')
    .option('--repeat <n>', 'run each packet N times and report the average duration, like bpftool')
    .option('--raw', 'read the file as raw instructions (implied by a .bin name)')
    .option('--mem <hex>', 'raw mode: the memory r1 points to (r2 = its length)')
    .option('--engine <engine>', 'wasm, jit or interp (default: the kernel\'s, jit)')
    .option('--seed <n>', 'seed of bpf_get_prandom_u32 (default random)')
    .option(SET_FLAGS, SET_HELP, collectSet)
    .option('--ctx <field=value>', 'struct xdp_md input: ingress_ifindex=N, rx_queue_index=N, data=N (metadata bytes at the packet\'s start), data_end=N (repeatable)', collect)
    .option('--ctx-in <file>', 'struct xdp_md input as bytes, like bpftool prog run\'s ctx_in')
    .option('--ctx-out <file>', 'write struct xdp_md after the run (bpftool\'s ctx_out)')
    .option('--trace', 'print every executed instruction: source line, registers written, memory read/written (interpreter)')
    .option('--trace-json', 'the result with the trace as JSON')
    .option('--verifier', 'with --trace: the verifier\'s value of each register beside the concrete one, and a check that the run stays inside it')
    .option('--max-steps <n>', 'with --trace: record at most N instructions (default 10000)')
    .option('--json', 'print the result as JSON')
    .action((file: string | undefined, opts: RunOptions) =>
      runCommand(opts.json, setExit, () => {
        if (file === undefined || opts.pinned !== undefined || opts.id !== undefined) {
          if (opts.trace || opts.traceJson) throw new UsageError('--trace runs an ELF object file, not a loaded program');
          return runLoadedProgram(file, opts);
        }
        const bytes = new Uint8Array(readInput(file));
        const kind = inputKind(file, bytes, opts.raw);
        if ((opts.trace || opts.traceJson) && kind !== 'elf') throw new UsageError('--trace runs an ELF object on --packet');
        if (opts.verifier && !opts.trace && !opts.traceJson) throw new UsageError('--verifier goes with --trace or --trace-json');
        try {
          return kind === 'elf' ? runObject(file, bytes, opts) : runRawFile(bytes, opts);
        } catch (e) {
          // bpftool prints the verifier's log before the error; so do we (text mode).
          if (!opts.json && e instanceof CliFailure && typeof e.details?.['log'] === 'string') err(String(e.details['log']).trimEnd());
          throw e;
        }
      }),
    );
};
