/**
 * BPF_PROG_TEST_RUN's context for XDP (`struct xdp_md` as ctx_in, and ctx_out) against Linux
 * 6.18: every case of CASES was run with `bpftool prog run pinned P data_in F ctx_in C ctx_out
 * D` on fixtures/api/ctx.o, and the kernel's errno or its retval, data_out and ctx_out are in
 * fixtures/api/ctx-kernel.json. The emulation must give the same through the library
 * (`Program.testRun` with ctx bytes, `Program.run` with ctx fields and meta) and the CLI
 * (`xdpts run --ctx-in/--ctx-out`, `xdpts prog run ... ctx_in F ctx_out G`). With root the
 * kernel is asked again live (pins /sys/fs/bpf/xdptsX_*); XDPTS_UPDATE_FIXTURES=1 re-records.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Kernel, TestRunError } from '../../src/index';
import { needs, tools } from '../helpers/tools';
import { ROOT } from './helpers';

const OBJ = join(ROOT, 'fixtures/api/ctx.o');
const FIXTURE = join(ROOT, 'fixtures/api/ctx-kernel.json');
const BIN = join(ROOT, 'bin', 'xdpts');

/** data_in: n bytes, byte i = i * 13 + 1. */
const pkt = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + 1) & 0xff);

/** struct xdp_md bytes; data_end defaults to the packet's length. */
function md(f: { data?: number; end?: number; meta?: number; ing?: number; rxq?: number; egr?: number; n?: number; size?: number }): string {
  const b = Buffer.alloc(Math.max(24, f.size ?? 24));
  [f.data ?? 0, f.end ?? f.n ?? 60, f.meta ?? 0, f.ing ?? 0, f.rxq ?? 0, f.egr ?? 0].forEach((v, i) => b.writeUInt32LE(v, i * 4));
  return b.subarray(0, f.size ?? 24).toString('hex');
}

interface Case {
  readonly name: string;
  readonly prog: 'ctx_fields' | 'meta_read' | 'meta_grow';
  readonly n: number;
  /** ctx_in as hex; absent: no ctx at all. */
  readonly ctx?: string;
}

const CASES: readonly Case[] = [
  { name: 'no ctx', prog: 'ctx_fields', n: 60 },
  { name: 'all zero: data_end 0, a linear part of no bytes', prog: 'ctx_fields', n: 60, ctx: md({ end: 0 }) },
  { name: 'data_end = size', prog: 'ctx_fields', n: 60, ctx: md({}) },
  { name: 'data_end past data_in', prog: 'ctx_fields', n: 60, ctx: md({ end: 61 }) },
  { name: 'data_end short of data_in: the rest in a frag', prog: 'ctx_fields', n: 60, ctx: md({ end: 59 }) },
  { name: 'data_meta set', prog: 'ctx_fields', n: 60, ctx: md({ meta: 4 }) },
  { name: 'data past data_end', prog: 'ctx_fields', n: 60, ctx: md({ data: 64, end: 60 }) },
  { name: '4 bytes of metadata', prog: 'meta_read', n: 60, ctx: md({ data: 4 }) },
  { name: '36 bytes of metadata', prog: 'meta_read', n: 60, ctx: md({ data: 36 }) },
  { name: 'metadata not a multiple of 4', prog: 'meta_read', n: 60, ctx: md({ data: 3 }) },
  { name: '216 bytes of metadata (headroom less struct xdp_frame)', prog: 'meta_read', n: 300, ctx: md({ data: 216, n: 300 }) },
  { name: '220 bytes of metadata', prog: 'meta_read', n: 300, ctx: md({ data: 220, n: 300 }) },
  { name: 'metadata leaving 14 bytes', prog: 'ctx_fields', n: 46, ctx: md({ data: 32, n: 46 }) },
  { name: 'metadata leaving 13 bytes', prog: 'ctx_fields', n: 45, ctx: md({ data: 32, n: 45 }) },
  { name: 'metadata and a linear part of no bytes', prog: 'ctx_fields', n: 60, ctx: md({ data: 4, end: 4 }) },
  { name: 'data_end 20 of 4000 bytes', prog: 'ctx_fields', n: 4000, ctx: md({ end: 20, n: 4000 }) },
  { name: 'ingress_ifindex 1 (lo)', prog: 'ctx_fields', n: 60, ctx: md({ ing: 1 }) },
  { name: 'rx_queue_index past lo\'s one queue', prog: 'ctx_fields', n: 60, ctx: md({ ing: 1, rxq: 1 }) },
  { name: 'rx_queue_index without a device', prog: 'ctx_fields', n: 60, ctx: md({ rxq: 1 }) },
  { name: 'an ifindex no device has', prog: 'ctx_fields', n: 60, ctx: md({ ing: 999 }) },
  { name: 'egress_ifindex set', prog: 'ctx_fields', n: 60, ctx: md({ egr: 1 }) },
  { name: 'ctx_in of 8 bytes (zero-filled)', prog: 'ctx_fields', n: 60, ctx: md({ size: 8 }) },
  { name: 'ctx_in of 1 byte', prog: 'ctx_fields', n: 60, ctx: '00' },
  { name: 'ctx_in of 32 bytes, zero past the struct', prog: 'ctx_fields', n: 60, ctx: md({ size: 32 }) },
  { name: 'ctx_in of 32 bytes, non-zero past the struct', prog: 'ctx_fields', n: 60, ctx: md({}) + '01' + '00'.repeat(7) },
  { name: 'empty ctx_in', prog: 'ctx_fields', n: 60, ctx: '' },
  { name: 'adjust_meta and adjust_tail, ctx_out follows', prog: 'meta_grow', n: 60, ctx: md({}) },
  { name: 'adjust_meta on given metadata', prog: 'meta_grow', n: 60, ctx: md({ data: 8 }) },
  { name: 'adjust_meta past the limit', prog: 'meta_grow', n: 300, ctx: md({ data: 216, n: 300 }) },
];

/** What the kernel did: an errno, or the results. */
interface Outcome {
  readonly errno?: string;
  readonly retval?: number;
  readonly data_out?: string;
  readonly ctx_out?: string;
}

const ERRNO: Readonly<Record<string, string>> = {
  'Invalid argument': 'EINVAL',
  'No such device': 'ENODEV',
  'Argument list too long': 'E2BIG',
  'No space left on device': 'ENOSPC',
  'Cannot allocate memory': 'ENOMEM',
};

const tmp = mkdtempSync(join(tmpdir(), 'xdptsX_ctx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every case on the real kernel (root, bpftool). */
function kernelOutcomes(): Record<string, Outcome> {
  const pins = `/sys/fs/bpf/xdptsX_ctx_${process.pid}`;
  const load = spawnSync(tools.bpftool!, ['prog', 'loadall', OBJ, pins, 'type', 'xdp'], { encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`bpftool prog loadall: ${load.stderr}`);
  try {
    const got: Record<string, Outcome> = {};
    for (const c of CASES) {
      const [inF, outF, ctxF, ctxOutF] = ['in', 'out', 'ctx', 'ctxout'].map((f) => join(tmp, f)) as [string, string, string, string];
      rmSync(ctxOutF, { force: true });
      writeFileSync(inF, pkt(c.n));
      const args = ['-j', 'prog', 'run', 'pinned', join(pins, c.prog), 'data_in', inF, 'data_out', outF];
      if (c.ctx !== undefined) {
        writeFileSync(ctxF, Buffer.from(c.ctx, 'hex'));
        args.push('ctx_in', ctxF, 'ctx_out', ctxOutF);
      }
      const r = spawnSync(tools.bpftool!, args, { encoding: 'utf8' });
      const j = JSON.parse(r.stdout || '{}') as { retval?: number; error?: string };
      if (j.error !== undefined) {
        const errno = ERRNO[j.error.replace(/^failed to run program: /, '')];
        if (!errno) throw new Error(`${c.name}: ${j.error}`);
        got[c.name] = { errno };
      } else {
        got[c.name] = {
          retval: j.retval!,
          data_out: readFileSync(outF).toString('hex'),
          ...(c.ctx !== undefined ? { ctx_out: readFileSync(ctxOutF).toString('hex') } : {}),
        };
      }
    }
    return got;
  } finally {
    rmSync(pins, { recursive: true, force: true });
  }
}

/** Every case through the library's testRun on a fresh in-memory kernel. */
function emulatedOutcomes(): Record<string, Outcome> {
  const coll = Kernel.inMemory().loadCollection(OBJ);
  const got: Record<string, Outcome> = {};
  for (const c of CASES) {
    try {
      const r = coll.programs[c.prog]!.testRun({ data: pkt(c.n), ...(c.ctx !== undefined ? { ctx: Buffer.from(c.ctx, 'hex') } : {}) });
      got[c.name] = { retval: r.retval, data_out: Buffer.from(r.data).toString('hex'), ...(r.ctx ? { ctx_out: Buffer.from(r.ctx).toString('hex') } : {}) };
    } catch (e) {
      if (!(e instanceof TestRunError)) throw e;
      got[c.name] = { errno: e.errno };
    }
  }
  coll.close();
  return got;
}

function xdpts(...args: string[]): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, XDPTS_STATE_DIR: join(tmp, 'state'), NO_COLOR: '1' } });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the XDP test run context (ctx_in, ctx_out) as Linux 6.18 has it', { timeout: 120_000 }, () => {
  it('Program.testRun with ctx bytes gives the kernel\'s errno, or its retval, data_out and ctx_out', () => {
    if (process.env['XDPTS_UPDATE_FIXTURES'] === '1' && tools.kernel) writeFileSync(FIXTURE, JSON.stringify(kernelOutcomes(), null, 1) + '\n');
    expect(existsSync(FIXTURE), 'fixture missing: run with XDPTS_UPDATE_FIXTURES=1 as root').toBe(true);
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Outcome>;
    expect(Object.keys(recorded).sort()).toEqual(CASES.map((c) => c.name).sort());
    // The recording covers every errno the checks can give.
    expect(new Set(Object.values(recorded).map((o) => o.errno ?? 'ok'))).toEqual(new Set(['ok', 'EINVAL', 'ENODEV', 'E2BIG']));
    expect(emulatedOutcomes()).toEqual(recorded);
  });

  it.skipIf(!tools.kernel)(`live: the kernel still gives what is recorded${needs('kernel')}`, () => {
    expect(kernelOutcomes()).toEqual(JSON.parse(readFileSync(FIXTURE, 'utf8')));
  });

  it('Program.run takes the context by field and metadata as bytes, with the same checks', () => {
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Outcome>;
    const coll = Kernel.inMemory().loadCollection<never, 'ctx_fields' | 'meta_read' | 'meta_grow'>(OBJ);
    const errnoOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return e instanceof TestRunError ? e.errno : String(e);
      }
      return undefined;
    };
    const p = pkt(60);
    expect(coll.programs.ctx_fields.run(p, { ctx: { ingressIfindex: 1 } }).retval).toBe(recorded['ingress_ifindex 1 (lo)']!.retval);
    // eth0 of the in-memory kernel's network is ifindex 2, with one queue.
    expect(coll.programs.ctx_fields.run(p, { ctx: { ingressIfindex: 2 } }).retval).toBe((2 << 24) | 60);
    expect(errnoOf(() => coll.programs.ctx_fields.run(p, { ctx: { ingressIfindex: 999 } }))).toBe(recorded['an ifindex no device has']!.errno);
    expect(errnoOf(() => coll.programs.ctx_fields.run(p, { ctx: { ingressIfindex: 1, rxQueueIndex: 1 } }))).toBe(recorded["rx_queue_index past lo's one queue"]!.errno);
    expect(errnoOf(() => coll.programs.ctx_fields.run(p, { ctx: { rxQueueIndex: 1 } }))).toBe(recorded['rx_queue_index without a device']!.errno);
    expect(errnoOf(() => coll.programs.ctx_fields.run(p, { ctx: { egressIfindex: 1 } }))).toBe(recorded['egress_ifindex set']!.errno);
    expect(errnoOf(() => coll.programs.ctx_fields.run(p, { ctx: { ingressIfndex: 1 } as never }))).toMatch(/unknown ctx field 'ingressIfndex'/);
    // meta: the first 4 bytes of data_in as metadata, as ctx_in data = 4 gives.
    const four = recorded['4 bytes of metadata']!;
    const r = coll.programs.meta_read.run(p.subarray(4), { meta: p.subarray(0, 4) });
    expect(r.retval).toBe(four.retval);
    expect(Buffer.concat([r.meta, r.packet]).toString('hex')).toBe(four.data_out);
    expect(errnoOf(() => coll.programs.meta_read.run(p.subarray(3), { meta: p.subarray(0, 3) }))).toBe('EINVAL');
    const grown = coll.programs.meta_grow.run(p);
    expect(Buffer.concat([grown.meta, grown.packet]).toString('hex')).toBe(recorded['adjust_meta and adjust_tail, ctx_out follows']!.data_out);
    expect(grown.meta).toEqual(Uint8Array.of(0xc0, 0xff, 0xee, 0x01));
    coll.close();
  });

  it('xdpts run --ctx-in/--ctx-out and xdpts prog run ... ctx_in F ctx_out G give the kernel\'s results', () => {
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Record<string, Outcome>;
    const c = CASES.find((x) => x.name === '4 bytes of metadata')!;
    const want = recorded[c.name]!;
    const ctxF = join(tmp, 'ctx-in');
    const ctxOutF = join(tmp, 'ctx-out');
    writeFileSync(ctxF, Buffer.from(c.ctx!, 'hex'));
    const hex = Buffer.from(pkt(c.n)).toString('hex');
    const r = xdpts('run', OBJ, '--name', c.prog, '--packet', hex, '--ctx-in', ctxF, '--ctx-out', ctxOutF, '--json');
    expect(r.exit, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { r0: string; packet: string; ctx_out: Record<string, number> };
    expect(j).toMatchObject({ r0: `0x${want.retval!.toString(16)}`, packet: want.data_out });
    expect(j.ctx_out).toEqual({ data: 4, data_end: 60, data_meta: 0, ingress_ifindex: 0, rx_queue_index: 0, egress_ifindex: 0 });
    expect(readFileSync(ctxOutF).toString('hex')).toBe(want.ctx_out);
    // The same context by field.
    expect(JSON.parse(xdpts('run', OBJ, '--name', c.prog, '--packet', hex, '--ctx', 'data=4', '--json').stdout).r0).toBe(j.r0);
    const bad = xdpts('run', OBJ, '--name', 'ctx_fields', '--packet', hex, '--ctx', 'ingress_ifindex=999');
    expect(bad.exit).toBe(1);
    expect(bad.stderr).toBe('xdpts: failed to run program: test run: no device with ifindex 999 (ENODEV)\n');
    expect(xdpts('run', OBJ, '--packet', hex, '--ctx-out', ctxOutF).exit).toBe(2);

    // bpftool's spelling, on a program loaded in the shared state.
    expect(xdpts('load', '-m', 'skb', 'eth0', OBJ, '--prog-name', c.prog).exit).toBe(0);
    const inF = join(tmp, 'data-in');
    writeFileSync(inF, pkt(c.n));
    const p = xdpts('prog', 'run', 'name', c.prog, 'data_in', inF, 'ctx_in', ctxF, 'ctx_out', '-', '-j');
    expect(p.exit, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ retval: want.retval, ctx_out: [...Buffer.from(want.ctx_out!, 'hex')] });
    const text = xdpts('prog', 'run', 'name', c.prog, 'data_in', inF, 'ctx_in', ctxF, 'ctx_out', '-');
    expect(text.stdout).toMatch(/^0000000\t0400 0000 3c00 0000 0000 0000 0000 0000 \| \.\.\.\.<\.\.\. \.\.\.\.\.\.\.\.\n0000010\t0000 0000 0000 0000 {21}\| \.\.\.\.\.\.\.\. \nReturn value: \d+, duration: \d+ns\n$/);
    expect(xdpts('prog', 'run', 'name', c.prog, 'data_in', inF, 'ctx_in', ctxF, 'ctx_out', ctxOutF, 'ctx_size_out', '8')).toMatchObject({ exit: 1 });
    expect(xdpts('prog', 'run', 'name', c.prog, 'data_in', inF, 'data_size_out', '10').stderr).toMatch(/ENOSPC/);
  });
});
