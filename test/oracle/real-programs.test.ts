/**
 * The real-programs corpus (fixtures/real/<case>/): programs written here in the style of
 * public XDP programs (parsers, rewriters, global data, kconfig, kfuncs, map-in-map, tail
 * calls, redirects, loops), compiled by clang-19 into prog.o and prog.s (fixtures/real/build.sh).
 * kernel.json holds the real kernel's verdict (bpftool prog loadall ... type xdp) and, for an
 * accepted object, BPF_PROG_TEST_RUN on every test packet (retval, data_out) and the maps after
 * each program's packets. xdpts must agree from clang's object AND from assembling clang's -S
 * output, on both engines. With root and bpftool, XDPTS_UPDATE_FIXTURES=1 re-records kernel.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { Kernel } from '../../src/kernel';
import { BPF_MAP_TYPE, loadObject, writeElf, type ObjectSpec } from '../../src/object';
import { fromHex, toHex } from '../../src/util/hex';
import { tools } from '../helpers/tools';
import { PACKETS, RUNTS } from './run-packets';
import { kernelLoadAll, kernelMapDump, kernelUnloadAll, type KernelObject } from './run-kernel';
import { kernelOutcome, short, xdptsMaps, xdptsRun, type Outcome } from './run-outcome';

const ROOT = join(__dirname, '..', '..', 'fixtures', 'real');
const CASES = readdirSync(ROOT).filter((d) => existsSync(join(ROOT, d, 'prog.c'))).sort();
const UPDATE = process.env.XDPTS_UPDATE_FIXTURES === '1';
const PACKET_SET = [...PACKETS, ...RUNTS];

/**
 * Where xdpts and the kernel still differ, each with its reason: a whole case (`case`, every
 * variant and engine) or one run (`case/program/packet`). The test asserts the difference, so
 * it fails once the gap is closed: then remove the entry.
 */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map([
  ['loops_callbacks', "verifier: a bpf_for_each_map_elem callback may read through its key pointer (PTR_TO_MAP_KEY); xdpts refuses 'R2 invalid mem access map_key'"],
]);

/** A PROG_ARRAY holds program ids, which differ between kernels: only which slots are set counts. */
function hideProgIds(spec: ObjectSpec, v: Comparable): void {
  const progArrays = new Set(spec.maps.filter((m) => m.type === BPF_MAP_TYPE.PROG_ARRAY).map((m) => m.name.replace(/\./g, '_')));
  for (const p of v.programs) for (const [name, rows] of Object.entries(p.maps)) if (progArrays.has(name)) p.maps[name] = rows.map((r) => ({ key: r.key, value: 'a program id' }));
}

/** Runs listed in EXCEPTIONS, taken out of a view (and returned) so the rest is compared exactly. */
function takeRunExceptions(c: string, v: Comparable): Record<string, Outcome> {
  const out: Record<string, Outcome> = {};
  for (const p of v.programs) {
    p.runs = p.runs.filter((r) => {
      const key = `${c}/${p.name}/${r.packet}`;
      if (!EXCEPTIONS.has(key)) return true;
      out[key] = r;
      return false;
    });
  }
  return out;
}

/** What kernel.json records. */
interface Recorded {
  /** Whether `bpftool prog loadall prog.o DIR type xdp` loaded every program. */
  loaded: boolean;
  /** The last lines bpftool printed when it did not. */
  error?: string;
  programs: {
    name: string;
    runs: ({ packet: string; packetHex: string } & Outcome)[];
    /** Every map (pin name) after this program's packets (maps persist across programs). */
    maps: Record<string, { key: string; value: string }[]>;
  }[];
}

/** The same view of xdpts (verdict, runs, maps), without the packet bytes. */
type Comparable = { loaded: boolean; programs: { name: string; runs: ({ packet: string } & Outcome)[]; maps: Recorded['programs'][number]['maps'] }[] };

function comparable(r: Recorded): Comparable {
  return { loaded: r.loaded, programs: r.programs.map((p) => ({ name: p.name, runs: p.runs.map(({ packetHex: _, ...o }) => o), maps: p.maps })) };
}

/**
 * What user space writes into the maps after the load and before the runs (`setup.json`, as a
 * control plane fills a load balancer's VIP table): hex key and value, or `map NAME` as the
 * value of a map-in-map (the inner map of that name).
 */
type Setup = { map: string; key: string; value: string }[];

function setupOf(dir: string): Setup {
  const f = join(dir, 'setup.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Setup) : [];
}

const hexWords = (h: string): string[] => ['hex', ...(h.match(/../g) ?? [])];

function kernelSetup(ko: KernelObject, setup: Setup): void {
  for (const u of setup) {
    const inner = /^map (\S+)$/.exec(u.value);
    const value = inner ? ['pinned', join(ko.mapDir, inner[1]!)] : hexWords(u.value);
    execFileSync(tools.bpftool!, ['map', 'update', 'pinned', join(ko.mapDir, u.map), 'key', ...hexWords(u.key), 'value', ...value]);
  }
}

function xdptsSetup(k: Kernel, setup: Setup): void {
  const byName = (n: string) => k.mapList().find((m) => m.name === n.slice(0, 15))!;
  for (const u of setup) {
    const inner = /^map (\S+)$/.exec(u.value);
    const value = inner ? new Uint8Array(new Uint32Array([byName(inner[1]!).id]).buffer) : fromHex(u.value);
    byName(u.map).update(fromHex(u.key), value);
  }
}

function record(dir: string): Recorded {
  const ko = kernelLoadAll(join(dir, 'prog.o'));
  if (ko.error === undefined) kernelSetup(ko, setupOf(dir));
  if (ko.error !== undefined) {
    const lines = ko.error.split('\n').filter((l) => !/^(Warning:|If it used to work|Error: failed to load object file)/.test(l));
    return { loaded: false, error: lines.slice(-6).join('\n'), programs: [] };
  }
  try {
    const spec = loadObject(new Uint8Array(readFileSync(join(dir, 'prog.o'))), 'prog.o');
    return {
      loaded: true,
      programs: spec.programs.map((p) => ({
        name: p.name,
        runs: PACKET_SET.map((pkt) => ({ packet: pkt.name, packetHex: short(toHex(pkt.bytes)), ...kernelOutcome(ko, p.name, pkt.bytes) })),
        maps: kernelMapDump(ko),
      })),
    };
  } finally {
    kernelUnloadAll(ko);
  }
}

function xdptsView(spec: ObjectSpec, engine: 'interp' | 'jit', setup: Setup): Comparable {
  const k = new Kernel({ engine, ncpus: availableParallelism(), seed: 1 });
  try {
    k.loadObject(spec, { type: 6 });
  } catch {
    return { loaded: false, programs: [] };
  }
  xdptsSetup(k, setup);
  return {
    loaded: true,
    programs: spec.programs.map((p) => ({
      name: p.name,
      runs: PACKET_SET.map((pkt) => ({ packet: pkt.name, ...xdptsRun(k, p.name, pkt.bytes) })),
      maps: xdptsMaps(k),
    })),
  };
}

function specOf(dir: string, variant: 'prog.o' | 'prog.s'): ObjectSpec {
  if (variant === 'prog.o') return loadObject(new Uint8Array(readFileSync(join(dir, 'prog.o'))), 'prog.o');
  const r = assemble(readFileSync(join(dir, 'prog.s'), 'utf8'), { file: 'prog.s' });
  if (r.kind !== 'elf') throw new Error('expected an ELF object from prog.s');
  // The object name (prefix of global data maps) is the one clang's object has: prog.
  return loadObject(writeElf(r.elf), 'prog.o');
}

describe('the real-programs corpus (fixtures/real)', () => {
  it('has cases, each with prog.c, prog.o, prog.s and kernel.json', () => {
    expect(CASES.length).toBeGreaterThan(0);
    for (const c of CASES) for (const f of ['prog.o', 'prog.s', 'kernel.json']) expect(existsSync(join(ROOT, c, f)), `${c}/${f}`).toBe(true);
  });

  for (const c of CASES) {
    const dir = join(ROOT, c);
    describe(c, () => {
      if (UPDATE && tools.kernel) {
        it('re-records kernel.json from the live kernel', () => {
          writeFileSync(join(dir, 'kernel.json'), JSON.stringify(record(dir), null, 1) + '\n');
        });
      }
      for (const variant of ['prog.o', 'prog.s'] as const) {
        it(`${variant}: xdpts (interp and jit) gives the kernel's verdict, test_run results and maps`, () => {
          const spec = specOf(dir, variant);
          for (const engine of ['interp', 'jit'] as const) {
            const want = comparable(JSON.parse(readFileSync(join(dir, 'kernel.json'), 'utf8')) as Recorded);
            const got = xdptsView(spec, engine, setupOf(dir));
            const gap = EXCEPTIONS.get(c);
            if (gap) {
              expect(got, `known gap fixed? (${gap}): remove it from EXCEPTIONS`).not.toEqual(want);
              continue;
            }
            hideProgIds(spec, want);
            hideProgIds(spec, got);
            const wantOdd = takeRunExceptions(c, want);
            const gotOdd = takeRunExceptions(c, got);
            for (const [key, w] of Object.entries(wantOdd)) expect(gotOdd[key], `known gap fixed? (${EXCEPTIONS.get(key)}): remove ${key} from EXCEPTIONS`).not.toEqual(w);
            expect(got, `${c} ${variant} ${engine}`).toEqual(want);
          }
        });
      }
    });
  }
});
