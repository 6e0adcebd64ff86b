// Verification cost per processed instruction: xdpts' verifier next to the real kernel's
// `verification time N usec` (a log_level 4 stats load through test/oracle/bpf-verify.c, where
// root, cc and libbpf are available) on generated programs of 100 to 100k instructions.
// Run by `npm run bench` after the VM table, or alone: node bench/verifier.mjs [--quick]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const dir = mkdtempSync(join(tmpdir(), 'xdpts-vbench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

await build({
  stdin: { contents: "export { verifyProgram } from './src/verifier/index.ts';", resolveDir: root, loader: 'ts' },
  outfile: join(dir, 'verifier.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  logLevel: 'warning',
});
const { verifyProgram } = await import(pathToFileURL(join(dir, 'verifier.mjs')).href);

const ins = (opcode, dst, src, off, imm) => ({ opcode, dst, src, off, imm });
/**
 * About `n` instructions: r6 = rx_queue_index, then blocks that test a bit of r6 and OR it into
 * r0 (an if/else diamond each, the shape of real parsers' flag checks), spill and refill a
 * counter, and return r0 & 3.
 */
function program(n) {
  const out = [ins(0x61, 6, 1, 16, 0), ins(0xb7, 0, 0, 0, 0), ins(0xb7, 7, 0, 0, 0)];
  for (let k = 0; out.length < n - 2; k++) {
    const bit = 1 << (k % 30);
    out.push(
      ins(0xbf, 1, 6, 0, 0), ins(0x57, 1, 0, 0, bit), ins(0x15, 1, 0, 1, 0), ins(0x47, 0, 0, 0, bit),
      ins(0x07, 7, 0, 0, 1), ins(0x7b, 10, 7, -8 - 8 * (k % 4), 0), ins(0x79, 7, 10, -8 - 8 * (k % 4), 0),
    );
  }
  out.push(ins(0x57, 0, 0, 0, 3), ins(0x95, 0, 0, 0, 0));
  return out;
}

function spec(name, insns) {
  return {
    prog: { name, section: 'xdp', type: 6, attachType: 37, insns, references: new Map(), lineInfo: new Map(), subprograms: [], license: 'GPL', btfFuncId: 0 },
    maps: [],
  };
}

/** Best of `reps` runs: ms and processed count. */
function ours(insns, reps) {
  const { prog, maps } = spec('bench', insns);
  let best = Infinity;
  let processed = 0;
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    const r = verifyProgram(prog, maps, {});
    best = Math.min(best, performance.now() - t0);
    if (!r.accepted) throw new Error(`xdpts refused the bench program: ${r.error}`);
    processed = r.stats.processed;
  }
  return { ms: best, processed };
}

/** The kernel's `verification time` (usec, best of `reps`) and processed count, or undefined. */
function buildLoader() {
  if (process.getuid?.() !== 0) return undefined;
  const out = join(dir, 'bpf-verify');
  const r = spawnSync('cc', ['-O2', '-o', out, join(root, 'test/oracle/bpf-verify.c'), '-lbpf'], { encoding: 'utf8' });
  return r.status === 0 ? out : undefined;
}
function kernel(loader, insns, reps) {
  const text = `prog bench\n${insns.map((i) => `insn ${i.opcode} ${i.dst} ${i.src} ${i.off} ${i.imm}`).join('\n')}\nend\n`;
  let best = Infinity;
  let processed = 0;
  for (let k = 0; k < reps; k++) {
    const r = spawnSync(loader, ['4'], { input: text, encoding: 'utf8', maxBuffer: 1 << 26 });
    const t = /verification time (\d+) usec/.exec(r.stdout ?? '');
    const p = /processed (\d+) insns/.exec(r.stdout ?? '');
    if (!t || !p) return undefined;
    best = Math.min(best, Number(t[1]));
    processed = Number(p[1]);
  }
  return { us: best, processed };
}

const loader = buildLoader();
const sizes = quick ? [100, 1000, 10000] : [100, 1000, 10000, 100000];
const rows = [['insns', 'processed', 'xdpts ms', 'ns/insn', 'kernel us', 'ns/insn', 'ratio']];
for (const n of sizes) {
  const insns = program(n);
  const reps = n >= 100000 ? 2 : n >= 10000 ? 3 : 10;
  ours(insns, 1); // warm-up
  const o = ours(insns, reps);
  const k = loader ? kernel(loader, insns, reps) : undefined;
  const oNs = (o.ms * 1e6) / o.processed;
  const kNs = k ? (k.us * 1e3) / k.processed : undefined;
  if (k && k.processed !== o.processed) console.log(`  (processed differs at ${n}: kernel ${k.processed}, xdpts ${o.processed})`);
  rows.push([
    String(insns.length), String(o.processed), o.ms.toFixed(1), oNs.toFixed(0),
    k ? String(k.us) : '-', kNs ? kNs.toFixed(0) : '-', kNs ? `${(oNs / kNs).toFixed(1)}x` : '-',
  ]);
}
console.log('\nVerifier: cost per processed instruction (best of several loads; target: within 2x of the kernel)');
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log('  ' + r.map((c, i) => c.padStart(widths[i])).join('  '));
if (!loader) console.log('  kernel: not measured (needs root, cc and libbpf-dev for test/oracle/bpf-verify.c)');
