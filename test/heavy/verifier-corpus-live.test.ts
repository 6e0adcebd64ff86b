/**
 * The heavy half of the differential verifier corpus (test/oracle/verifier-corpus.test.ts has the
 * rest): the live kernel re-checks every recorded verdict of fixtures/verifier-corpus/kernel.json
 * (XDPTS_UPDATE_VERDICTS=1 re-records it), and xdpts is compared with the record on the slow_*.c
 * programs, which run into the 1M processed-instruction budget and take seconds each.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { needs, tools } from '../helpers/tools';
import {
  TRUTH_FILE, type Verdict, compareVerdicts, corpusPrograms, figures, gapsAmong, kernelCorpusVerdicts, xdptsVerdict,
} from '../oracle/verifier-corpus-oracle';
import { KNOWN_COUNT_GAPS, KNOWN_MESSAGE_GAPS, KNOWN_WRONG_ACCEPTS, KNOWN_WRONG_REJECTS } from '../oracle/verifier-corpus-gaps';
import { buildLoader } from '../oracle/verifier-oracle';

const programs = corpusPrograms('all');
const keys = programs.map((p) => p.key);
const stored: Record<string, Verdict> = existsSync(TRUTH_FILE) ? JSON.parse(readFileSync(TRUTH_FILE, 'utf8')) : {};
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

describe(`verifier corpus vs the live kernel${needs('kernel')}`, () => {
  it.skipIf(!tools.kernel)("the recorded verdicts are the live kernel's", () => {
    const loader = buildLoader('bpf-verify-obj.c');
    expect(loader, 'cc + libbpf-dev needed to build test/oracle/bpf-verify-obj.c').toBeDefined();
    let live: Map<string, Verdict>;
    try {
      live = kernelCorpusVerdicts(loader!.path, [...new Set(programs.map((p) => p.object))]);
    } finally {
      loader!.dispose();
    }
    expect(sorted([...live.keys()])).toEqual(sorted(keys));
    if (process.env.XDPTS_UPDATE_VERDICTS === '1') {
      const obj: Record<string, Verdict> = {};
      for (const k of keys) obj[k] = live.get(k)!;
      writeFileSync(TRUTH_FILE, JSON.stringify(obj, null, 1) + '\n');
      Object.assign(stored, obj);
    }
    const strip = (v: Verdict | undefined): unknown => v && { ...v, log: undefined };
    const differ = keys.filter((k) => JSON.stringify(strip(live.get(k))) !== JSON.stringify(strip(stored[k])));
    expect(differ, 'the live kernel disagrees with kernel.json: re-record with XDPTS_UPDATE_VERDICTS=1').toEqual([]);
  }, 900_000);
});

describe('verifier corpus: the slow programs (1M-instruction budget) vs the recorded verdicts', () => {
  const slow = corpusPrograms('slow');
  const slowKeys = slow.map((p) => p.key);
  const byKey = new Map(slow.map((p) => [p.key, p]));
  it('agrees except for the listed gaps', () => {
    expect(slowKeys.length).toBeGreaterThan(0);
    const c = compareVerdicts(slowKeys, (k) => stored[k], (k) => xdptsVerdict(byKey.get(k)!));
    console.log(figures('the recorded kernel verdicts (slow programs)', c));
    expect(c.total).toBe(slowKeys.length);
    expect(c.wrongAccepts.sort()).toEqual(gapsAmong(KNOWN_WRONG_ACCEPTS, slowKeys));
    expect(c.wrongRejects.sort()).toEqual(gapsAmong(KNOWN_WRONG_REJECTS, slowKeys));
    expect(c.messages.sort()).toEqual(gapsAmong(KNOWN_MESSAGE_GAPS, slowKeys));
    expect(c.counts.sort()).toEqual(gapsAmong(KNOWN_COUNT_GAPS, slowKeys));
  }, 900_000);
});
