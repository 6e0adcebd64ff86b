/**
 * Differential test of the verifier against the real kernel: every corpus case's verdict and
 * error line must equal the kernel's. With a usable kernel the live verdicts are compared (and
 * stored with XDPTS_UPDATE_VERDICTS=1); the stored verdicts are always compared.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyProgram } from '../../src/verifier';
import { tools, needs } from '../helpers/tools';
import { CORPUS } from '../verifier/corpus';
import { toSpec } from '../verifier/builder';
import { type KernelVerdict, buildLoader, kernelVerdicts } from './verifier-oracle';

const FIXTURE = join(__dirname, '../../fixtures/verifier/verdicts.json');
const stored: Record<string, KernelVerdict> = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : {};

const memo = new Map<string, { accepted: boolean; error: string }>();
/** xdpts' verdict for a case (computed once; the 1M-instruction cases take seconds). */
function ours(name: string): { accepted: boolean; error: string } {
  const hit = memo.get(name);
  if (hit) return hit;
  const c = CORPUS.find((x) => x.name === name)!;
  const { prog, maps } = toSpec(c);
  const r = verifyProgram(prog, maps, { logLevel: 0 });
  const v = { accepted: r.accepted, error: r.error ?? '' };
  memo.set(name, v);
  return v;
}

describe('verifier corpus', () => {
  it('has at least 150 uniquely named cases', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });
});

describe(`verifier vs the live kernel${needs('kernel')}`, () => {
  it.skipIf(!tools.kernel)('agrees with the kernel on every case', () => {
    const loader = buildLoader();
    expect(loader, 'cc + libbpf-dev needed to build test/oracle/bpf-verify.c').toBeDefined();
    let live: Map<string, KernelVerdict>;
    try {
      live = kernelVerdicts(loader!.path, CORPUS);
    } finally {
      loader!.dispose();
    }
    expect(live.size).toBe(CORPUS.length);
    if (process.env.XDPTS_UPDATE_VERDICTS === '1') {
      const obj: Record<string, KernelVerdict> = {};
      for (const c of CORPUS) obj[c.name] = live.get(c.name)!;
      writeFileSync(FIXTURE, JSON.stringify(obj, null, 1) + '\n');
    }
    const bad: string[] = [];
    let verdictOk = 0;
    let errorOk = 0;
    for (const c of CORPUS) {
      const k = live.get(c.name)!;
      const o = ours(c.name);
      if (o.accepted === k.accepted) verdictOk++;
      if (o.accepted === k.accepted && o.error === k.error) errorOk++;
      else bad.push(`${c.name}: kernel ${k.accepted ? 'OK' : `"${k.error}"`} xdpts ${o.accepted ? 'OK' : `"${o.error}"`}`);
    }
    console.log(`verifier agreement with the live kernel: verdict ${verdictOk}/${CORPUS.length}, verdict+error ${errorOk}/${CORPUS.length}`);
    expect(bad).toEqual([]);
  }, 120_000);
});

describe('verifier vs the stored kernel verdicts', () => {
  for (const c of CORPUS) {
    it(c.name, () => {
      const k = stored[c.name];
      expect(k, `no stored verdict for ${c.name}: run with XDPTS_UPDATE_VERDICTS=1 on a BPF-capable machine`).toBeDefined();
      const o = ours(c.name);
      expect({ accepted: o.accepted, error: o.error }).toEqual({ accepted: k!.accepted, error: k!.error });
    });
  }
});
