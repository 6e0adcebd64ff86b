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
import { Kernel, TestRunError, xdpActionName, type BpfMap, type LoadedProgram, type TestRunResult, type XdpMdIn } from '../../kernel';
import { loadObject, type ObjectSpec, type ProgramSpec } from '../../object';
import { readPcap, writePcap, LINKTYPE_ETHERNET } from '../../pcap';
import { UsageError, VerifierError } from '../../util/errors';
import { fromHex, toHex } from '../../util/hex';
import { CliFailure, EXIT_FAIL, EXIT_OK, err, out, outJson, runCommand, type CommonOptions } from '../output';
import { readInput } from './build';
import type { RegisterCommand } from './index';

interface RunOptions extends CommonOptions {
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
}

/** Fields of `struct xdp_md` that `--ctx` may set. */
const CTX_FIELDS = ['ingress_ifindex', 'rx_queue_index', 'egress_ifindex'] as const;

const isElf = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

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

function engineOf(v: string | undefined): 'interp' | 'jit' {
  if (v === undefined || v === 'jit' || v === 'interp') return v ?? 'jit';
  throw new UsageError(`invalid --engine '${v}': expected interp or jit`);
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

/** Every entry of a map as user space sees it (bpftool map dump), hex key and value. */
export function dumpMap(m: BpfMap): { key: string; value: string }[] {
  const rows: { key: string; value: string }[] = [];
  for (const [k, v] of m.entries()) rows.push({ key: toHex(k), value: toHex(v) });
  return rows;
}

/** A hex dump the way `bpftool prog run ... data_out -` prints one. */
export function bpftoolHexdump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < b.length; off += 16) {
    const row = b.subarray(off, off + 16);
    const groups: string[] = [];
    for (let i = 0; i < row.length; i += 2) groups.push(toHex(row.subarray(i, i + 2)));
    const ascii = [...row].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
    const text = ascii.length > 8 ? `${ascii.slice(0, 8)} ${ascii.slice(8)}` : ascii;
    lines.push(`${off.toString(16).padStart(7, '0')}\t${groups.join(' ').padEnd(39)} | ${text}`);
  }
  return lines.join('\n');
}

function spaced(hex: string): string {
  return (hex.match(/../g) ?? []).join(' ');
}

interface JsonResult {
  r0: string;
  action: string;
  packet: string;
  duration_ns?: number;
  fault?: string;
}

function jsonResult(r: TestRunResult, repeat: number | undefined): JsonResult {
  return {
    r0: r.r0,
    action: xdpActionName(r.retval),
    packet: toHex(r.dataOut),
    ...(repeat !== undefined ? { duration_ns: r.durationNs } : {}),
    ...(r.fault ? { fault: r.fault.message } : {}),
  };
}

function textResult(r: TestRunResult, repeat: number | undefined, label?: string): string {
  const dur = repeat !== undefined && repeat > 1 ? 'duration (average)' : 'duration';
  const lines = [
    ...(label ? [label] : []),
    `Return value: ${r.retval}, ${dur}: ${r.durationNs}ns`,
    `Action: ${xdpActionName(r.retval)}`,
  ];
  if (r.fault) lines.push(`Fault: ${r.fault.message}`);
  lines.push(`Packet out (${r.dataOut.length} bytes${r.metaLen ? `, ${r.metaLen} of metadata first` : ''}):`);
  if (r.dataOut.length) lines.push(bpftoolHexdump(r.dataOut));
  return lines.join('\n');
}

function textMaps(maps: ReadonlyMap<string, BpfMap>): string {
  const lines: string[] = [];
  for (const [name, m] of maps) {
    const rows = dumpMap(m);
    lines.push(`Map ${name} (${m.typeName}, id ${m.id}): ${rows.length} ${rows.length === 1 ? 'entry' : 'entries'}`);
    for (const r of rows) lines.push(`  key: ${spaced(r.key)}  value: ${spaced(r.value)}`);
  }
  return lines.join('\n');
}

function runRawFile(bytes: Uint8Array, opts: RunOptions): number {
  if (bytes.length % 8 !== 0) throw new UsageError(`raw instruction file size ${bytes.length} is not a multiple of 8`);
  const { insns, problem } = decode(bytes, 'le');
  if (problem) throw new UsageError(`raw instructions: ${problem.message} at byte ${problem.offset}`);
  if (opts.packet || opts.pcap) throw new UsageError('a raw instruction file runs on --mem, not --packet/--pcap');
  const mem = opts.mem !== undefined ? fromHex(opts.mem, '--mem') : undefined;
  const kernel = new Kernel({ engine: engineOf(opts.engine), ...seedOpt(opts) });
  // Raw programs are not verified (uBPF semantics): the VM's checks keep them from escaping.
  const prog = kernel.loadInsns(insns, { name: 'raw', type: 0 });
  const r = prog.vm.runRaw(mem ? { mem } : {});
  if (r.fault) {
    if (opts.json) outJson({ error: r.fault.message });
    else err(`xdpts: ${r.fault.message}`);
    return EXIT_FAIL;
  }
  const r0 = `0x${r.r0.toString(16)}`;
  if (opts.json) outJson({ r0 });
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
  const ctx = parseCtx(opts.ctx);
  const spec = loadObject(bytes, file);
  const picked = pickProgram(spec, opts.section, opts.name);
  const kernel = new Kernel({ engine: engineOf(opts.engine), ...seedOpt(opts) });
  const { prog, maps } = loadForRun(kernel, spec, picked);
  const runOne = (packet: Uint8Array): TestRunResult => {
    try {
      return kernel.testRun(prog, { packet, ...(repeat !== undefined ? { repeat } : {}), ...(ctx ? { ctx } : {}) });
    } catch (e) {
      if (e instanceof TestRunError) throw new CliFailure(`failed to run program: ${e.message}`, EXIT_FAIL, { errno: e.errno });
      throw e;
    }
  };
  const mapsJson = (): Record<string, { key: string; value: string }[]> => Object.fromEntries([...maps].map(([n, m]) => [n, dumpMap(m)]));

  if (opts.packet !== undefined) {
    const r = runOne(fromHex(opts.packet, '--packet'));
    if (opts.json) outJson({ ...jsonResult(r, repeat), maps: mapsJson() });
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
    outJson({ results: results.map((r) => (r instanceof CliFailure ? { error: r.message } : jsonResult(r, repeat))), maps: mapsJson() });
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

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('run')
    .description('run an XDP program on packets like BPF_PROG_TEST_RUN (bpftool prog run), or raw bytecode on memory')
    .argument('<file>', 'ELF object (.o), or raw instructions (.bin) run with --mem')
    .option('-s, --section <sec>', 'the program\'s ELF section (default: the first program)')
    .option('-n, --name <name>', 'the program\'s function name')
    .option('--packet <hex>', 'one packet (data_in), hex with or without spaces')
    .option('--pcap <file>', 'run every packet of a capture, in order, maps kept')
    .option('--out <file>', 'with --pcap: write the packet after each run (data_out) to a capture')
    .option('--repeat <n>', 'run each packet N times and report the average duration, like bpftool')
    .option('--mem <hex>', 'raw mode: the memory r1 points to (r2 = its length)')
    .option('--engine <engine>', 'interp or jit (default jit)')
    .option('--seed <n>', 'seed of bpf_get_prandom_u32 (default random)')
    .option('--ctx <field=value>', 'struct xdp_md input: ingress_ifindex=N, rx_queue_index=N (repeatable)', collect)
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: RunOptions) =>
      runCommand(opts.json, setExit, () => {
        const bytes = new Uint8Array(readInput(file));
        try {
          return isElf(bytes) ? runObject(file, bytes, opts) : runRawFile(bytes, opts);
        } catch (e) {
          // bpftool prints the verifier's log before the error; so do we (text mode).
          if (!opts.json && e instanceof CliFailure && typeof e.details?.['log'] === 'string') err(String(e.details['log']).trimEnd());
          throw e;
        }
      }),
    );
};
