/**
 * The differential verifier corpus: our own programs (fixtures/verifier-corpus/*.c, inline-asm
 * bodies compiled by clang-19, several per file, one file per topic) pinning the behaviours the
 * kernel's verifier selftests (tools/testing/selftests/bpf/progs/verifier_*.c) exercise, with the
 * real Linux 6.18 kernel's verdicts recorded in fixtures/verifier-corpus/kernel.json: verdict,
 * errno, last error line, processed insns and total_states, and the level-1 log of rejections.
 *
 * Here xdpts is compared with the recorded truth (the programs of the slow_*.c files, which run
 * into the 1M-instruction budget, and the live kernel's re-check are in
 * test/heavy/verifier-corpus-live.test.ts). Every disagreement must be listed in
 * verifier-corpus-gaps.ts with its reason, and every listed one must still disagree: fixing one
 * fails the test until it is taken off its list.
 *
 * Upstream topics left out, and why: kfuncs other than the conntrack ones (ct.c), iterators (bpf_iter_*), dynptrs, arenas, spin locks,
 * timers, refcounted kptrs and BTF-typed contexts (fentry/lsm/struct_ops/raw_tp BTF args) need
 * BTF-described kernel objects an XDP program does not get; cgroup/sock/sockopt/netfilter return
 * codes and ctx layouts belong to other program types; unprivileged mode (`__failure_unpriv`)
 * cannot be tested differentially as root; LD_ABS/LD_IND are refused for XDP whatever the
 * program; load flags (BPF_F_ANY_ALIGNMENT, BPF_F_TEST_STATE_FREQ) have no xdpts equivalent;
 * load-acquire/store-release need an LLVM newer than clang-19.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CORPUS_DIR, TRUTH_FILE, type Verdict, compareVerdicts, corpusPrograms, figures, gapsAmong, xdptsVerdict,
} from './verifier-corpus-oracle';
import { KNOWN_COUNT_GAPS, KNOWN_MESSAGE_GAPS, KNOWN_WRONG_ACCEPTS, KNOWN_WRONG_REJECTS } from './verifier-corpus-gaps';

const all = corpusPrograms('all').map((p) => p.key);
const programs = corpusPrograms('fast');
const keys = programs.map((p) => p.key);
const stored: Record<string, Verdict> = existsSync(TRUTH_FILE) ? JSON.parse(readFileSync(TRUTH_FILE, 'utf8')) : {};
const byKey = new Map(programs.map((p) => [p.key, p]));

describe('verifier corpus (our own programs, kernel verdicts recorded)', () => {
  it('has 600+ uniquely named programs in 12+ topic files, each with a recorded kernel verdict', () => {
    expect(all.length).toBeGreaterThanOrEqual(600);
    expect(new Set(all).size).toBe(all.length);
    expect(new Set(all.map((k) => k.split('/')[0])).size).toBeGreaterThanOrEqual(12);
    const missing = all.filter((k) => !stored[k]);
    expect(missing, 'record them with XDPTS_UPDATE_VERDICTS=1 npx vitest run -c vitest.heavy.config.ts test/heavy/verifier-corpus-live.test.ts').toEqual([]);
  });

  it('covers the topics of 40+ upstream verifier_*.c files (named in each file\'s header)', () => {
    const topics = new Set<string>();
    for (const f of readdirSync(CORPUS_DIR).filter((x) => x.endsWith('.c'))) {
      const head = /^\/\*[\s\S]*?\*\//.exec(readFileSync(join(CORPUS_DIR, f), 'utf8'))?.[0] ?? '';
      for (const m of head.matchAll(/\bverifier_(\w+)/g)) topics.add(m[1]!);
    }
    expect(topics.size).toBeGreaterThanOrEqual(40);
  });

  it('lists known gaps only for existing programs', () => {
    for (const k of [KNOWN_WRONG_ACCEPTS, KNOWN_WRONG_REJECTS, KNOWN_MESSAGE_GAPS, KNOWN_COUNT_GAPS].flatMap(Object.keys)) {
      expect(all, k).toContain(k);
    }
  });

  it('agrees with the recorded kernel verdicts except for the listed gaps', () => {
    const ours = new Map(keys.map((k) => [k, xdptsVerdict(byKey.get(k)!)]));
    const c = compareVerdicts(keys, (k) => stored[k], (k) => ours.get(k)!);
    console.log(figures('the recorded kernel verdicts', c));
    // What a fixer pastes into verifier-corpus-gaps.ts (new entries) or deletes (listed, now agreeing).
    for (const [list, found] of [[KNOWN_WRONG_ACCEPTS, c.wrongAccepts], [KNOWN_WRONG_REJECTS, c.wrongRejects], [KNOWN_MESSAGE_GAPS, c.messages], [KNOWN_COUNT_GAPS, c.counts]] as const) {
      for (const k of found.filter((x) => !(x in list))) {
        const K = stored[k]!;
        const O = ours.get(k)!;
        console.log(`new gap  '${k}': 'kernel: ${K.errno || 'OK'} ${K.error} (${K.processed}/${K.states}); xdpts: ${O.errno || 'OK'} ${O.error} (${O.processed}/${O.states})',`);
      }
      for (const k of gapsAmong(list, keys).filter((x) => !found.includes(x))) console.log(`fixed    '${k}': remove it from verifier-corpus-gaps.ts`);
    }
    expect(c.total).toBe(keys.length);
    expect(c.wrongAccepts.sort(), 'wrong accepts (kernel refuses)').toEqual(gapsAmong(KNOWN_WRONG_ACCEPTS, keys));
    expect(c.wrongRejects.sort(), 'wrong rejects (kernel accepts)').toEqual(gapsAmong(KNOWN_WRONG_REJECTS, keys));
    expect(c.messages.sort(), 'last error line differs').toEqual(gapsAmong(KNOWN_MESSAGE_GAPS, keys));
    expect(c.counts.sort(), 'processed/states differ').toEqual(gapsAmong(KNOWN_COUNT_GAPS, keys));
  }, 300_000);
});
