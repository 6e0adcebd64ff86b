/**
 * The differential verifier corpus: our own programs (fixtures/verifier-corpus/*.c, inline-asm
 * bodies compiled by clang-19, several per file, one file per topic) pinning the behaviours the
 * kernel's verifier selftests (tools/testing/selftests/bpf/progs/verifier_*.c) exercise, with the
 * real Linux 6.18 kernel's verdicts recorded in fixtures/verifier-corpus/kernel.json: verdict,
 * errno, last error line, processed insns and total_states, and the level-1 log of rejections.
 *
 * Always: xdpts is compared with the recorded truth. Where root + bpftool + libbpf exist: the live
 * kernel is compared with the record (XDPTS_UPDATE_VERDICTS=1 rewrites it). Every disagreement
 * must be listed in verifier-corpus-gaps.ts with its reason, and every listed one must still
 * disagree: fixing one fails the test until it is taken off its list.
 *
 * Upstream topics left out, and why: kfuncs, iterators (bpf_iter_*), dynptrs, arenas, spin locks,
 * timers, refcounted kptrs and BTF-typed contexts (fentry/lsm/struct_ops/raw_tp BTF args) need
 * BTF-described kernel objects an XDP program does not get; cgroup/sock/sockopt/netfilter return
 * codes and ctx layouts belong to other program types; unprivileged mode (`__failure_unpriv`)
 * cannot be tested differentially as root; LD_ABS/LD_IND are refused for XDP whatever the
 * program; load flags (BPF_F_ANY_ALIGNMENT, BPF_F_TEST_STATE_FREQ) have no xdpts equivalent.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { needs, tools } from '../helpers/tools';
import {
  TRUTH_FILE, type Verdict, compareVerdicts, corpusPrograms, figures, kernelCorpusVerdicts, xdptsVerdict,
} from './verifier-corpus-oracle';
import { KNOWN_COUNT_GAPS, KNOWN_MESSAGE_GAPS, KNOWN_WRONG_ACCEPTS, KNOWN_WRONG_REJECTS } from './verifier-corpus-gaps';
import { buildLoader } from './verifier-oracle';

const programs = corpusPrograms();
const keys = programs.map((p) => p.key);
const stored: Record<string, Verdict> = existsSync(TRUTH_FILE) ? JSON.parse(readFileSync(TRUTH_FILE, 'utf8')) : {};

const memo = new Map<string, Verdict>();
function ours(key: string): Verdict {
  let v = memo.get(key);
  if (!v) {
    v = xdptsVerdict(programs.find((p) => p.key === key)!);
    memo.set(key, v);
  }
  return v;
}

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

describe('verifier corpus (our own programs, kernel verdicts recorded)', () => {
  it('has 240+ uniquely named programs, each with a recorded kernel verdict', () => {
    expect(programs.length).toBeGreaterThanOrEqual(240);
    expect(new Set(keys).size).toBe(keys.length);
    const missing = keys.filter((k) => !stored[k]);
    expect(missing, 'record them with XDPTS_UPDATE_VERDICTS=1 on a BPF-capable machine').toEqual([]);
  });

  it('lists known gaps only for existing programs', () => {
    for (const k of [KNOWN_WRONG_ACCEPTS, KNOWN_WRONG_REJECTS, KNOWN_MESSAGE_GAPS, KNOWN_COUNT_GAPS].flatMap(Object.keys)) {
      expect(keys, k).toContain(k);
    }
  });

  it('agrees with the recorded kernel verdicts except for the listed gaps', () => {
    const c = compareVerdicts(keys, (k) => stored[k], ours);
    console.log(figures('the recorded kernel verdicts', c));
    expect(sorted(c.wrongAccepts), 'wrong accepts (kernel refuses)').toEqual(sorted(Object.keys(KNOWN_WRONG_ACCEPTS)));
    expect(sorted(c.wrongRejects), 'wrong rejects (kernel accepts)').toEqual(sorted(Object.keys(KNOWN_WRONG_REJECTS)));
    expect(sorted(c.messages), 'last error line differs').toEqual(sorted(Object.keys(KNOWN_MESSAGE_GAPS)));
    expect(sorted(c.counts), 'processed/states differ').toEqual(sorted(Object.keys(KNOWN_COUNT_GAPS)));
  }, 300_000);
});

describe(`verifier corpus vs the live kernel${needs('kernel')}`, () => {
  it.skipIf(!tools.kernel || !tools.clang19)('the recorded verdicts are the live kernel\'s', () => {
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
      for (const k of keys) stored[k] = live.get(k)!;
    }
    const strip = (v: Verdict | undefined): unknown => v && { ...v, log: undefined };
    const differ = keys.filter((k) => JSON.stringify(strip(live.get(k))) !== JSON.stringify(strip(stored[k])));
    expect(differ, 'live kernel disagrees with kernel.json: re-record with XDPTS_UPDATE_VERDICTS=1').toEqual([]);
    console.log(figures('the live kernel', compareVerdicts(keys, (k) => live.get(k), ours)));
  }, 600_000);
});
