/**
 * The VM against the real kernel. fixtures/vm/kernel/progs.c (compiled by clang-19 -mcpu=v4, so
 * sdiv/smod/movsx/ldsx/bswap appear) holds XDP programs without maps: MAC swap, TTL decrement
 * with checksum update, heavy arithmetic with a bpf-to-bpf call, adjust_head pop/push and
 * adjust_tail. Every program runs over a set of packets in BPF_PROG_TEST_RUN (through bpftool
 * prog run) and on both VM engines; return values and output packets must be equal.
 *
 * The kernel's outputs are recorded in fixtures/vm/kernel/expected.json so that the comparison
 * also runs where there is no kernel; with root, bpftool and clang the live part recompiles,
 * reloads and compares against the kernel directly (XDPTS_UPDATE_FIXTURES=1 rewrites the recording).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decode, encode, type Instruction } from '../../src/isa';
import { compile, type Engine } from '../../src/vm';
import { needs, tools } from '../helpers/tools';
import { prng } from './helpers/random-program';
import { xdpHelpers } from './helpers/xdp-helpers';

const DIR = join(__dirname, '../../fixtures/vm/kernel');
const EXPECTED = join(DIR, 'expected.json');
const UPDATE = process.env.XDPTS_UPDATE_FIXTURES === '1';
const PIN = '/sys/fs/bpf/xdptsD_oracle';

interface Recording {
  /** Program name → linked instruction bytes (hex, little-endian). */
  programs: Record<string, string>;
  cases: { prog: string; packet: string; retval: number; out: string }[];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** The packets every program sees: IPv4 frames around the TTL edge, non-IP, short and random frames. */
function packets(): Uint8Array[] {
  const ipv4 = (ttl: number, len = 60): Uint8Array => {
    const p = new Uint8Array(len);
    p.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00], 0);
    const ip = [0x45, 0, 0, len - 14, 0x12, 0x34, 0x40, 0, ttl, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += (ip[i]! << 8) | ip[i + 1]!;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    ip[10] = (~sum >> 8) & 0xff;
    ip[11] = ~sum & 0xff;
    p.set(ip, 14);
    return p;
  };
  const rnd = prng(99);
  const random = (n: number) => new Uint8Array(n).map(() => Math.floor(rnd() * 256));
  const arp = new Uint8Array(42).fill(0xff);
  arp.set([0x08, 0x06], 12);
  // Probes for tail_probe/head_probe: a big-endian u16 in bytes 0-1 just at and past each limit
  // (64-byte packet: tail room 4096 - 320 - 256 - 64 = 3456; head room 256 - 40 = 216).
  const probe = (v: number) => {
    const p = random(64);
    p[0] = v >> 8;
    p[1] = v & 0xff;
    return p;
  };
  return [ipv4(64), ipv4(2), ipv4(1), ipv4(0), ipv4(255, 98), arp, random(14), random(15), random(16),
    random(20), random(33), random(34), random(60), random(64), random(100), random(1500),
    probe(3456), probe(3457), probe(216), probe(217)];
}

/** Extracts each program of the `xdp` section from the object, linking calls into .text like libbpf. */
function extractPrograms(obj: string, work: string): Record<string, Instruction[]> {
  const readelf = (args: string[]) => execFileSync(tools.llvmReadelf!, [...args, '--wide', obj], { encoding: 'utf8' });
  const section = (name: string): Uint8Array => {
    const out = join(work, `${name.replace(/\W/g, '_')}.bin`);
    execFileSync(tools.llvmReadelf!.replace(/llvm-readelf[^/]*$/, 'llvm-objcopy'), ['-O', 'binary', `--only-section=${name}`, obj, out]);
    return new Uint8Array(readFileSync(out));
  };
  const xdp = section('xdp');
  const text = section('.text');
  const shndx = /\[\s*(\d+)\]\s+xdp\s/.exec(readelf(['-S']))![1]!;
  const funcs = [...readelf(['-s']).matchAll(/^\s*\d+:\s+([0-9a-f]+)\s+(\d+)\s+FUNC\s+GLOBAL\s+\S+\s+(\d+)\s+(\w+)$/gm)]
    .filter((m) => m[3] === shndx)
    .map((m) => ({ name: m[4]!, at: parseInt(m[1]!, 16), size: Number(m[2]) }));
  const relText = readelf(['-r']).split(/Relocation section/).find((s) => s.startsWith(" '.relxdp'")) ?? '';
  const calls = [...relText.matchAll(/^([0-9a-f]{16})\s+\S+\s+R_BPF_64_32\s+([0-9a-f]+)\s+\.text$/gm)]
    .map((m) => ({ at: parseInt(m[1]!, 16), symValue: parseInt(m[2]!, 16) }));
  const out: Record<string, Instruction[]> = {};
  for (const f of funcs) {
    const body = xdp.slice(f.at, f.at + f.size);
    const mine = calls.filter((c) => c.at >= f.at && c.at < f.at + f.size);
    const bytes = new Uint8Array(body.length + (mine.length ? text.length : 0));
    bytes.set(body);
    if (mine.length) bytes.set(text, body.length);
    const view = new DataView(bytes.buffer);
    for (const c of mine) {
      const slot = (c.at - f.at) / 8;
      // libbpf: the callee is at sym + (imm + 1) * 8 in .text; make the call pc-relative.
      const target = (body.length + c.symValue + (view.getInt32(slot * 8 + 4, true) + 1) * 8) / 8;
      view.setInt32(slot * 8 + 4, target - slot - 1, true);
    }
    out[f.name] = decode(bytes).insns;
  }
  return out;
}

function runVm(insns: Instruction[], packet: Uint8Array, engine: Engine) {
  const r = compile(insns, { engine, helpers: xdpHelpers }).runXdp({ packet });
  return { retval: r.action, out: hex(r.packet), fault: r.fault?.message };
}

describe.each(['interp', 'jit', 'wasm'] as Engine[])('VM (%s) reproduces recorded kernel results', (engine) => {
  test('every recorded program and packet', () => {
    if (!existsSync(EXPECTED)) throw new Error(`${EXPECTED} is missing: run with XDPTS_UPDATE_FIXTURES=1 on a machine with the kernel tools`);
    const rec = JSON.parse(readFileSync(EXPECTED, 'utf8')) as Recording;
    expect(rec.cases.length).toBeGreaterThanOrEqual(140);
    for (const c of rec.cases) {
      const insns = decode(unhex(rec.programs[c.prog]!)).insns;
      const got = runVm(insns, unhex(c.packet), engine);
      expect({ prog: c.prog, packet: c.packet, ...got }).toEqual({ prog: c.prog, packet: c.packet, retval: c.retval, out: c.out, fault: undefined });
    }
  });
});

const live = tools.kernel && tools.clang19 && tools.llvmReadelf;
describe.skipIf(!live)(`VM against the live kernel (BPF_PROG_TEST_RUN via bpftool)${needs('kernel')}${needs('clang19')}`, () => {
  test('same return values and output packets', () => {
    const work = mkdtempSync(join(tmpdir(), 'xdptsD-'));
    try {
      const obj = join(work, 'progs.o');
      execFileSync(tools.clang19!, ['-O2', '-g', '-target', 'bpf', '-mcpu=v4', '-I/usr/include/x86_64-linux-gnu', '-c', join(DIR, 'progs.c'), '-o', obj]);
      const progs = extractPrograms(obj, work);
      expect(Object.keys(progs).sort()).toEqual(['arith', 'head_probe', 'mac_swap', 'pop4', 'push8', 'tail_probe', 'ttl_dec']);
      rmSync(PIN, { recursive: true, force: true });
      execFileSync(tools.bpftool!, ['prog', 'loadall', obj, PIN, 'type', 'xdp'], { stdio: 'ignore' });
      const rec: Recording = { programs: {}, cases: [] };
      try {
        for (const [name, insns] of Object.entries(progs)) {
          rec.programs[name] = hex(encode(insns));
          for (const [k, packet] of packets().entries()) {
            const din = join(work, `in-${name}-${k}`);
            const dout = join(work, `out-${name}-${k}`);
            writeFileSync(din, packet);
            const text = execFileSync(tools.bpftool!, ['prog', 'run', 'pinned', `${PIN}/${name}`, 'data_in', din, 'data_out', dout], { encoding: 'utf8' });
            const retval = Number(/Return value: (\d+)/.exec(text)![1]);
            const out = hex(new Uint8Array(readFileSync(dout)));
            rec.cases.push({ prog: name, packet: hex(packet), retval, out });
            for (const engine of ['interp', 'jit', 'wasm'] as Engine[]) {
              expect({ name, k, engine, ...runVm(insns, packet, engine) }).toEqual({ name, k, engine, retval, out, fault: undefined });
            }
          }
        }
      } finally {
        rmSync(PIN, { recursive: true, force: true });
      }
      if (UPDATE) writeFileSync(EXPECTED, JSON.stringify(rec, null, 1) + '\n');
      else if (existsSync(EXPECTED)) {
        const old = JSON.parse(readFileSync(EXPECTED, 'utf8')) as Recording;
        expect(old.cases).toEqual(rec.cases);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
