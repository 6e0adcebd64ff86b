/**
 * Differential test: every map scenario runs on the real kernel (through libbpf, in
 * fixtures/kernel/map-driver.c) and must print exactly what the emulation prints. With
 * XDPTS_UPDATE_FIXTURES=1 the kernel's output is written to `<name>.out`, the expectation the
 * always-running maps-scenarios test compares against.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tools, needs } from '../helpers/tools';
import { runScript } from './map-script';
import { SCENARIO_DIR, scenarioEnv, scenarios, script } from './map-scenarios';
import { fuzzScript } from './map-fuzz';

/** The scenarios and the emulation assume 2 possible CPUs, as libbpf counts them (/sys/devices/system/cpu/possible). */
const POSSIBLE = '/sys/devices/system/cpu/possible';
const twoCpus = existsSync(POSSIBLE) && readFileSync(POSSIBLE, 'utf8').trim() === '0-1';

const cc = spawnSync('sh', ['-c', 'command -v cc && test -e /usr/include/bpf/bpf.h'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!tools.kernel || !cc || !twoCpus)(`map semantics against the real kernel${needs('kernel')}${cc ? '' : ' (skipped: cc or libbpf-dev missing)'}${twoCpus ? '' : ' (skipped: the scenarios assume 2 possible CPUs)'}`, () => {
  let dir = '';
  let driver = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xdptsE_'));
    driver = join(dir, 'map-driver');
    execFileSync('cc', [join(SCENARIO_DIR, '../map-driver.c'), '-lbpf', '-o', driver]);
    return () => rmSync(dir, { recursive: true, force: true });
  });

  it('has scenarios', () => expect(scenarios.length).toBeGreaterThanOrEqual(10));
  for (const name of scenarios) {
    it(name, () => {
      const text = script(name);
      const real = execFileSync(driver, { input: text, encoding: 'utf8' }).trimEnd().split('\n');
      expect(real[0], 'the scenarios assume 2 possible CPUs').toBe('ncpus 2');
      if (process.env.XDPTS_UPDATE_FIXTURES === '1') writeFileSync(join(SCENARIO_DIR, `${name}.out`), real.join('\n') + '\n');
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      const emu = runScript(text, scenarioEnv);
      // Pair each output with its command so a mismatch names the operation.
      const label = (out: string[]) => out.map((o, i) => `${i === 0 ? '' : lines[i - 1]} => ${o}`);
      expect(label(emu)).toEqual(label(real));
    });
  }

  // Random operation sequences: the emulation must give the kernel's answers line by line.
  for (const kind of ['hash', 'array', 'lpm', 'queue'] as const) {
    it(`random ${kind} operations`, () => {
      for (let seed = 1; seed <= 8; seed++) {
        const text = fuzzScript(kind, seed, 150);
        const real = execFileSync(driver, { input: text, encoding: 'utf8' }).trimEnd().split('\n');
        expect(real[0], 'the scenarios assume 2 possible CPUs').toBe('ncpus 2');
        const lines = text.split('\n').filter((l) => l);
        const label = (out: string[]) => out.map((o, i) => `${i === 0 ? `seed ${seed}` : lines[i - 1]} => ${o}`);
        expect(label(runScript(text, scenarioEnv))).toEqual(label(real));
      }
    });
  }

  // LRU maps run the kernel's own list algorithm (per-CPU free lists included): the driver is
  // pinned to CPU 0, where the emulation runs user-space calls.
  it('random lru operations (LRU_HASH / LRU_PERCPU_HASH, common and per-CPU lists)', () => {
    const taskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).stdout.trim();
    for (let seed = 1; seed <= 20; seed++) {
      const text = fuzzScript('lru', seed, 300);
      const out = taskset
        ? execFileSync(taskset, ['-c', '0', driver], { input: text, encoding: 'utf8' })
        : execFileSync(driver, { input: text, encoding: 'utf8' });
      const real = out.trimEnd().split('\n');
      expect(real[0], 'the scenarios assume 2 possible CPUs').toBe('ncpus 2');
      const lines = text.split('\n').filter((l) => l);
      const label = (o: string[]) => o.map((x, j) => `${j === 0 ? `seed ${seed}` : lines[j - 1]} => ${x}`);
      expect(label(runScript(text, scenarioEnv))).toEqual(label(real));
    }
  });
});
