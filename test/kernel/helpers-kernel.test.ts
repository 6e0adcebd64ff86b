/**
 * Helper programs against the real kernel's BPF_PROG_TEST_RUN: each fixtures/kernel/helpers/NAME.c
 * (compiled by clang-19 into NAME.o) is run on the packets its NAME.json lists (`case` N is a
 * 256-byte packet whose first byte is N, run in order on one loaded object); the kernel's return
 * value and data_out were recorded in NAME.json. xdpts must give the same on both engines. Where root + bpftool + clang-19 exist
 * the object is rebuilt and re-run on the kernel (XDPTS_UPDATE_FIXTURES=1 re-records).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel, TestRunError } from '../../src/kernel';
import { loadObject } from '../../src/object';
import { toHex } from '../../src/util/hex';
import { needs, tools } from '../helpers/tools';
import { kernelLoadAll, kernelTestRun, kernelUnloadAll } from '../oracle/run-kernel';

const DIR = join(import.meta.dirname, '../../fixtures/kernel/helpers');
const UPDATE = process.env['XDPTS_UPDATE_FIXTURES'] === '1';

interface Expected {
  /** Program (function) name. */
  prog: string;
  cases: { case: number; retval?: number; out?: string; error?: string }[];
}

const packet = (n: number): Uint8Array => {
  const p = new Uint8Array(256);
  p[0] = n;
  return p;
};

/** Runs every case in order on one kernel (maps carry over, as on the real kernel). */
function xdptsRuns(engine: 'interp' | 'jit', obj: string, prog: string, cases: readonly number[]): Expected['cases'] {
  const k = new Kernel({ engine, ncpus: 2, seed: 1 });
  k.loadObject(loadObject(new Uint8Array(readFileSync(obj)), obj.split('/').pop()), { type: 6 });
  const p = k.programList().find((x) => x.funcName === prog)!;
  return cases.map((n) => {
    try {
      const r = k.testRun(p, { packet: packet(n) });
      return { case: n, retval: r.retval, out: toHex(r.dataOut) };
    } catch (e) {
      if (e instanceof TestRunError) return { case: n, error: e.errno };
      throw e;
    }
  });
}

const NAMES = readdirSync(DIR).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2));

describe('helper programs give the kernel results (fixtures/kernel/helpers)', () => {
  it('has fixtures', () => expect(NAMES.length).toBeGreaterThan(0));
  for (const name of NAMES) {
    it(`${name}: every case on both engines`, () => {
      const want = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Expected;
      expect(want.cases.length).toBeGreaterThan(0);
      for (const engine of ['interp', 'jit'] as const) {
        expect(xdptsRuns(engine, join(DIR, `${name}.o`), want.prog, want.cases.map((c) => c.case)), `${name} (${engine})`).toEqual(want.cases);
      }
    });
  }
});

describe.skipIf(!tools.kernel || !tools.clang19)(`helper programs on the live kernel${needs('kernel')}${needs('clang19')}`, () => {
  for (const name of NAMES) {
    it(`${name}: the kernel still gives the recorded results`, () => {
      const obj = join(DIR, `${name}.o`);
      if (UPDATE) {
        execFileSync(tools.clang19!, ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(DIR, `${name}.c`), '-o', obj]);
      }
      const want = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Expected;
      const ko = kernelLoadAll(obj);
      expect(ko.error).toBeUndefined();
      try {
        const got = want.cases.map((c) => {
          const r = kernelTestRun(ko, want.prog, packet(c.case));
          return r.error !== undefined ? { case: c.case, error: r.error } : { case: c.case, retval: r.retval!, out: toHex(r.dataOut!) };
        });
        if (UPDATE) return writeFileSync(join(DIR, `${name}.json`), JSON.stringify({ ...want, cases: got }, null, 1) + '\n');
        expect(got).toEqual(want.cases);
      } finally {
        kernelUnloadAll(ko);
      }
    });
  }
});
