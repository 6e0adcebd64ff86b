/**
 * bpf_spin_lock / bpf_spin_unlock and the verifier's lock rules (process_spin_lock, the call and
 * exit checks of do_check, check_map_access): fixtures/kernel/spin-lock/NAME.c, each breaking
 * one rule (ok.c none), compiled by clang-19; the 6.18 kernel's verdict (its last log line) is
 * in expected.json. xdpts must say the same; live, bpftool prog load re-checks the kernel.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel';
import { loadObject } from '../../src/object';
import { verifyProgram } from '../../src/verifier';
import { needs, tools } from '../helpers/tools';

const DIR = join(import.meta.dirname, '../../fixtures/kernel/spin-lock');
const EXPECTED = join(DIR, 'expected.json');
const NAMES = readdirSync(DIR).filter((f) => f.endsWith('.c')).map((f) => f.slice(0, -2)).sort();
const spec = (n: string) => loadObject(new Uint8Array(readFileSync(join(DIR, `${n}.o`))), `${n}.o`);

function xdptsVerdict(n: string): string {
  const s = spec(n);
  const r = verifyProgram(s.programs[0]!, s.maps);
  return r.accepted ? 'OK' : r.error!;
}

describe('bpf_spin_lock rules as the kernel checks them', () => {
  const want = JSON.parse(readFileSync(EXPECTED, 'utf8')) as Record<string, string>;
  it('covers every fixture', () => expect(Object.keys(want).sort()).toEqual(NAMES));
  for (const n of NAMES) it(n, () => expect(xdptsVerdict(n)).toBe(want[n]));

  it('a locked update runs and the lock reads back as zero', () => {
    for (const engine of ['interp', 'jit'] as const) {
      const k = new Kernel({ engine, ncpus: 1, seed: 1 });
      const { maps, programs } = k.loadObject(spec('ok'), { type: 6 });
      for (let i = 0; i < 3; i++) expect(k.testRun(programs[0]!, { packet: new Uint8Array(64) }).retval).toBe(2);
      const v = maps.get('locked')!.lookup(new Uint8Array(4));
      expect([...v]).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
  });
});

describe.skipIf(!tools.kernel)(`spin lock verdicts on the live kernel${needs('kernel')}`, () => {
  it('are still the recorded ones', () => {
    const got: Record<string, string> = {};
    for (const n of NAMES) {
      const pin = `/sys/fs/bpf/rh_sl_${n}_${process.pid}`;
      const r = spawnSync(tools.bpftool!, ['prog', 'load', join(DIR, `${n}.o`), pin, 'type', 'xdp'], { encoding: 'utf8' });
      rmSync(pin, { force: true });
      if (r.status === 0) {
        got[n] = 'OK';
        continue;
      }
      const lines = r.stderr.split('\n');
      const end = lines.findIndex((l) => l.startsWith('processed '));
      got[n] = lines[end - 1]!;
    }
    if (process.env['XDPTS_UPDATE_FIXTURES'] === '1') writeFileSync(EXPECTED, JSON.stringify(got, null, 1) + '\n');
    expect(got).toEqual(JSON.parse(readFileSync(EXPECTED, 'utf8')));
  });
});
