// `npm run bench`: ns per packet and packets per second of xdpts' engines (WebAssembly, JIT,
// interpreter) on the tutorial's drop and counter programs (programs/*.asm), a parser (Ethernet →
// IPv4 → UDP, hash map lookups, counters) and the speed issue's shapes (fixtures/bench/bench.c: a
// protocol switch, a checksum loop, bpf-to-bpf calls, a 16-byte-key hash), next to the real
// kernel's BPF_PROG_TEST_RUN time for the same objects
// (where root and bpftool are available) and a small C interpreter (bench/cinterp.c, cc -O2)
// running the same as-loaded bytecode. Every engine must return the same verdict.
//
//   npm run bench            (or: node bench/run.mjs [--quick] [--library]); then the verifier table (bench/verifier.mjs)
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'xdpts-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

await build({
  stdin: {
    contents: "export * from './src/kernel/index.ts'; export { Kernel as LibraryKernel } from './src/api/kernel-api.ts'; export { loadObject } from './src/object/index.ts'; export { encode } from './src/isa/index.ts'; export { assemble } from './src/asm/index.ts'; export { writeElf } from './src/object/index.ts';",
    resolveDir: root,
    loader: 'ts',
  },
  outfile: join(dir, 'lib.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
  // elfy is CommonJS: give the ESM bundle a require, as scripts/bundle.mjs does.
  banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
});
const { Kernel, LibraryKernel, loadObject, encode, assemble, writeElf } = await import(pathToFileURL(join(dir, 'lib.mjs')).href);

// A 64-byte Ethernet/IPv4/UDP frame to port 53 (the parser's hash lookups miss the blocklist).
const PACKET = Buffer.from(
  '02000000000b02000000000a0800' + '4500003212344000401114850a0000010a000002' + '9c400035001e0000' + '00'.repeat(22),
  'hex',
);

/** The tutorial's programs are assembled by xdpts itself; the parser is a clang-19 build. */
function assembled(src) {
  const r = assemble(readFileSync(join(root, src), 'utf8'), { file: src });
  if (r.kind !== 'elf') throw new Error(`${src}: expected an ELF object`);
  const out = join(dir, src.split('/').pop().replace(/\.asm$/, '.o'));
  writeFileSync(out, writeElf(r.elf));
  return out;
}

const BENCH_O = join(root, 'fixtures/bench/bench.o');
const PROGRAMS = [
  { name: 'drop', file: assembled('programs/xdp_drop.asm') },
  { name: 'counter', file: assembled('programs/counter.asm') },
  { name: 'parser', file: join(root, 'fixtures/oracle/parser.o') },
  // The speed issue's shapes (fixtures/bench/bench.c), one object, picked by name.
  { name: 'switch', file: BENCH_O, prog: 'proto_switch' },
  { name: 'csum', file: BENCH_O, prog: 'csum_loop' },
  { name: 'calls', file: BENCH_O, prog: 'calls' },
  { name: 'hash16', file: BENCH_O, prog: 'hash16' },
];

/** Time to aim at per measurement, and the warm-up time that lets V8 tier the code up. */
const TARGET_MS = quick ? 150 : 500;
const WARMUP_MS = quick ? 300 : 1500;

/**
 * Loads a program in a fresh kernel, runs it for WARMUP_MS (V8 optimises the JIT's generated
 * function and the helpers over the first ~10^6 runs), then takes the best of 3 test_runs of
 * about TARGET_MS each. Maps keep counting throughout, as with test_run's repeat.
 */
function xdpts(file, engine, name) {
  const k = new Kernel({ engine, seed: 1 });
  const spec = loadObject(new Uint8Array(readFileSync(file)), file.split('/').pop());
  const prog = k.loadObject(spec, { type: 6, ...(name ? { programs: [name] } : {}) }).programs[0];
  const t0 = performance.now();
  let n = 1000;
  let r = k.testRun(prog, { packet: PACKET, repeat: n });
  while (performance.now() - t0 < WARMUP_MS) {
    n = Math.max(1000, Math.min(5_000_000, Math.round((TARGET_MS * 1e6) / Math.max(1, r.durationNs) / 4)));
    r = k.testRun(prog, { packet: PACKET, repeat: n });
  }
  n = Math.max(1000, Math.min(10_000_000, Math.round((TARGET_MS * 1e6) / Math.max(1, r.durationNs))));
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    r = k.testRun(prog, { packet: PACKET, repeat: n });
    best = Math.min(best, r.durationNs);
  }
  return { retval: r.retval, ns: best, prog, spec, engine: prog.vm.engine, note: prog.vm.engineNote };
}

/**
 * The library's per-packet path as a unit test uses it: `Kernel.inMemory()`, then one
 * `program.run(packet)` call per packet (BPF_PROG_TEST_RUN with repeat 1, the result object,
 * the copy of the packet out). Measured against the same program's VM time (`run` with a
 * repeat: the program alone), interleaved so that both see the same machine load, in CPU time
 * of this process (process.cpuUsage): on a machine shared with other work, wall time mostly
 * measures the other work.
 */
function library(file, name) {
  const coll = LibraryKernel.inMemory({ seed: 1 }).loadCollection(file);
  const prog = name ? coll.programs[name] : Object.values(coll.programs)[0];
  const pkt = new Uint8Array(PACKET);
  const cpuNs = (f, n) => {
    const c0 = process.cpuUsage();
    f(n);
    const c = process.cpuUsage(c0);
    return ((c.user + c.system) * 1000) / n;
  };
  const perCall = (n) => {
    for (let i = 0; i < n; i++) prog.run(pkt);
  };
  const t0 = performance.now();
  while (performance.now() - t0 < WARMUP_MS) perCall(10000);
  let call = Infinity;
  let vm = Infinity;
  let retval;
  const n = quick ? 30000 : 200000;
  for (let i = 0; i < 7; i++) {
    call = Math.min(call, cpuNs(perCall, n));
    vm = Math.min(vm, cpuNs((k) => (retval = prog.run(pkt, { repeat: k }).retval), n * 4));
  }
  coll.close();
  return { retval, call: Math.round(call), vm: Math.round(vm * 10) / 10 };
}

// --- the C interpreter ---
let cinterp;
{
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
  if (cc) {
    cinterp = join(dir, 'cinterp');
    const r = spawnSync(cc, ['-O2', '-o', cinterp, join(root, 'bench/cinterp.c')], { encoding: 'utf8' });
    if (r.status !== 0) {
      console.error(`bench: could not build bench/cinterp.c: ${r.stderr}`);
      cinterp = undefined;
    }
  }
}

function cRun(prog, spec, repeat) {
  const insns = encode(prog.insns, 'le');
  const head = [prog.insns.reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0), spec.maps.length];
  for (const m of spec.maps) head.push(m.type, m.keySize, m.valueSize, m.maxEntries);
  const buf = Buffer.alloc(head.length * 4 + insns.length + 4 + PACKET.length);
  let o = 0;
  for (const v of head) o = buf.writeUInt32LE(v, o);
  Buffer.from(insns).copy(buf, o);
  o += insns.length;
  o = buf.writeUInt32LE(PACKET.length, o);
  PACKET.copy(buf, o);
  const f = join(dir, 'prog.bin');
  writeFileSync(f, buf);
  const [retval, ns] = execFileSync(cinterp, [f, String(repeat)], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { retval, ns };
}

// --- the real kernel ---
const bpftool = ['/usr/sbin/bpftool', '/usr/bin/bpftool', '/usr/local/sbin/bpftool'].find((p) => existsSync(p));
const kernelOk = bpftool && process.getuid?.() === 0 && existsSync('/sys/fs/bpf');

function kernelRun(file, repeat, name) {
  // loadall pins every program of the object under a directory, by function name.
  const pinDir = `/sys/fs/bpf/xdptsI_bench_${process.pid}`;
  const inF = join(dir, 'pkt');
  writeFileSync(inF, PACKET);
  try {
    const l = spawnSync(bpftool, ['prog', 'loadall', file, pinDir, 'type', 'xdp'], { encoding: 'utf8' });
    if (l.status !== 0) return undefined;
    const pin = name ? join(pinDir, name) : join(pinDir, readdirSync(pinDir)[0]);
    const r = spawnSync(bpftool, ['-j', 'prog', 'run', 'pinned', pin, 'data_in', inF, 'repeat', String(repeat)], { encoding: 'utf8' });
    const j = JSON.parse(r.stdout);
    return { retval: j.retval, ns: j.duration };
  } finally {
    rmSync(pinDir, { recursive: true, force: true });
  }
}

/** The kernel's cost of one BPF_PROG_TEST_RUN syscall per packet (bench/testrun-percall.c, libbpf). */
let percall;
if (kernelOk) {
  const cc = ['cc', 'gcc', 'clang'].find((c) => spawnSync(c, ['--version']).status === 0);
  const out = join(dir, 'percall');
  if (cc && spawnSync(cc, ['-O2', '-o', out, join(root, 'bench/testrun-percall.c'), '-lbpf']).status === 0) percall = out;
}
function kernelPerCall(file) {
  if (!percall) return undefined;
  const pkt = join(dir, 'pkt-percall');
  writeFileSync(pkt, PACKET);
  const r = spawnSync(percall, [file, pkt, String(quick ? 20000 : 200000)], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const [retval, call] = r.stdout.trim().split(' ').map(Number);
  return { retval, call };
}

// --- measure ---
/** `--library`: only the in-memory run rows (the library's per-packet cost), then stop. */
if (process.argv.includes('--library')) {
  console.log('In-memory kernel: program.run(packet) per call and the VM time (run with repeat), CPU ns:');
  for (const p of PROGRAMS) {
    const lib = library(p.file, p.prog);
    console.log(`  ${p.name.padEnd(8)} ${String(lib.call).padStart(6)} ns/call  vm ${String(lib.vm).padStart(6)} ns (${(lib.call / Math.max(1, lib.vm)).toFixed(1)}x)`);
  }
  process.exit(0);
}
const rows = [];
for (const p of PROGRAMS) {
  const wasm = xdpts(p.file, 'wasm', p.prog);
  const jit = xdpts(p.file, 'jit', p.prog);
  const interp = xdpts(p.file, 'interp', p.prog);
  if (wasm.engine !== 'wasm') console.error(`bench: ${p.name} ran on the ${wasm.engine} instead of wasm: ${wasm.note}`);
  if (wasm.retval !== jit.retval) throw new Error(`${p.name}: wasm returned ${wasm.retval}, jit ${jit.retval}`);
  const best = (f) => [f(), f(), f()].reduce((a, b) => (b && (!a || b.ns < a.ns) ? b : a));
  let c;
  try {
    c = cinterp ? best(() => cRun(interp.prog, interp.spec, quick ? 300000 : 3000000)) : undefined;
  } catch {
    c = undefined; // bench/cinterp.c runs a subset (no bpf-to-bpf calls, small map keys)
  }
  if (c && c.retval !== jit.retval) c = undefined;
  const kern = kernelOk ? best(() => kernelRun(p.file, quick ? 300000 : 3000000, p.prog)) : undefined;
  for (const [what, r] of [['c-interp', c], ['kernel', kern]])
    if (r && r.retval !== jit.retval) throw new Error(`${p.name}: ${what} returned ${r.retval}, xdpts ${jit.retval}`);
  if (interp.retval !== jit.retval) throw new Error(`${p.name}: interp returned ${interp.retval}, jit ${jit.retval}`);
  const lib = library(p.file, p.prog);
  // (the per-call helper loads an object's first program: only for one-program objects)
  lib.kernelCall = p.prog ? undefined : kernelPerCall(p.file)?.call;
  if (lib.retval !== jit.retval) throw new Error(`${p.name}: the library's run returned ${lib.retval}, the kernel's test run ${jit.retval}`);
  rows.push({ name: p.name, retval: jit.retval, wasm: wasm.ns, jit: jit.ns, interp: interp.ns, c: c?.ns, kernel: kern?.ns, lib });
}

const pps = (ns) => (ns > 0 ? Math.round(1e9 / ns).toLocaleString('en-US') : '-');
const fmt = (ns) => (ns === undefined ? '-' : `${ns}`);
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(2)}x`);
const table = [
  ['program', 'verdict', 'engine', 'ns/pkt', 'pkts/s', 'vs kernel', 'vs C interp'],
  ...rows.flatMap((r) => [
    [r.name, String(r.retval), 'xdpts wasm', fmt(r.wasm), pps(r.wasm), ratio(r.wasm, r.kernel), ''],
    ['', '', 'xdpts jit', fmt(r.jit), pps(r.jit), ratio(r.jit, r.kernel), ''],
    ['', '', 'xdpts interp', fmt(r.interp), pps(r.interp), ratio(r.interp, r.kernel), ratio(r.interp, r.c)],
    ['', '', 'C interp (cc -O2)', r.c === undefined ? '-' : r.c.toFixed(1), r.c ? pps(r.c) : '-', ratio(r.c, r.kernel), ''],
    ['', '', 'kernel test_run', r.kernel === undefined ? '(not available)' : fmt(r.kernel), r.kernel ? pps(r.kernel) : '-', '', ''],
  ]),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const row of table) console.log(row.map((c, i) => (i >= 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  '));
console.log('\nIn-memory kernel, one program.run(packet) call per packet (what a unit test pays), next to the');
console.log('program\'s own VM time (run with repeat), both in CPU ns, and the real kernel\'s BPF_PROG_TEST_RUN syscall per packet:');
for (const r of rows) {
  const k = r.lib.kernelCall;
  console.log(
    `  ${r.name.padEnd(8)} ${String(r.lib.call).padStart(6)} ns/call  vm ${String(r.lib.vm).padStart(5)} ns (${(r.lib.call / Math.max(1, r.lib.vm)).toFixed(1)}x)` +
      `  kernel test_run syscall ${k === undefined ? '(not available)' : `${k} ns/call (${(r.lib.call / k).toFixed(2)}x)`}`,
  );
}
// Program load time (verify + translate + instantiate) of the ~1k-instruction `big`, per engine.
{
  const spec = loadObject(new Uint8Array(readFileSync(BENCH_O)), 'bench.o');
  const slots = spec.programs.find((p) => p.name === 'big').insns.reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0);
  const loadMs = (engine) => {
    const times = [];
    for (let i = 0; i < 9; i++) {
      const k = new Kernel({ engine, seed: 1 });
      const t0 = performance.now();
      const prog = k.loadObject(spec, { type: 6, programs: ['big'] }).programs[0];
      if (i >= 2) times.push(performance.now() - t0); // two warm-up loads: V8 compiles the toolchain itself first
      if (prog.vm.engine !== engine) console.error(`bench: big ran on the ${prog.vm.engine}: ${prog.vm.engineNote}`);
    }
    return times.sort((a, b) => a - b)[3].toFixed(1);
  };
  console.log(`\nLoad time of a ${slots}-instruction program (verify + compile), median of 7: ` +
    ['wasm', 'jit', 'interp'].map((e) => `${e} ${loadMs(e)} ms`).join(', ') + ' (goal: < 50 ms for wasm)');
}
console.log(`\npacket: ${PACKET.length}-byte IPv4/UDP frame; node ${process.version}; kernel test_run ${kernelOk ? 'measured' : 'not available (needs root, bpffs and bpftool)'}.`);

// The verifier's cost per processed instruction next to the kernel's (bench/verifier.mjs).
await import('./verifier.mjs');
// xdpts test at scale (bench/test-runner.mjs).
await import('./test-runner.mjs');
