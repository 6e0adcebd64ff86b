/**
 * Differential test of the verifier against the real kernel (6.18): for every corpus case the
 * verdict and error line, the complete level-1 log of rejected programs (map addresses and
 * `map[id:N]` normalised) and the `processed N insns` count of accepted ones must equal the
 * kernel's. With a usable kernel the live results are compared (and stored with
 * XDPTS_UPDATE_VERDICTS=1); the stored ones are always compared. The cases listed in
 * KNOWN_LOG_GAPS / KNOWN_PROCESSED_GAPS are asserted to still differ, so fixing one fails the
 * test until it is removed from the list.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyProgram } from '../../src/verifier';
import { tools, needs } from '../helpers/tools';
import { CORPUS } from '../verifier/corpus';
import { toSpec } from '../verifier/builder';
import { type KernelVerdict, buildLoader, kernelVerdicts, normalizeLog, sameLog, statsLine } from './verifier-oracle';

const FIXTURE = join(__dirname, '../../fixtures/verifier/verdicts.json');
const stored: Record<string, KernelVerdict> = existsSync(FIXTURE) ? JSON.parse(readFileSync(FIXTURE, 'utf8')) : {};

/** Rejected cases whose level-1 log still differs from the kernel's, and why. */
const KNOWN_LOG_GAPS: Record<string, string> = {
  prec_diamonds_6_offset_oob: 'bounds: after `r1 &= 2; if r1 == 0` the kernel knows r1=2 on the other side (a tnum with one unknown bit and umin >= 1)',
};

/** Accepted cases whose processed count still differs from the kernel's, and why. */
const KNOWN_PROCESSED_GAPS: Record<string, string> = {};

/**
 * Accepted cases whose statistics line (`max_states_per_insn`, `total_states`, `peak_states`)
 * still differs from the kernel's while the processed count agrees, and why.
 */
const KNOWN_STATS_GAPS: Record<string, string> = {};

interface Ours {
  accepted: boolean;
  error: string;
  processed: number;
  log: string;
  stats: string;
}

const memo = new Map<string, Ours>();
/** xdpts' result for a case at log level 1 (computed once; the 1M-instruction cases take seconds). */
function ours(name: string): Ours {
  const hit = memo.get(name);
  if (hit) return hit;
  const c = CORPUS.find((x) => x.name === name)!;
  const { prog, maps } = toSpec(c);
  const r = verifyProgram(prog, maps, { logLevel: 1 });
  const v = { accepted: r.accepted, error: r.error ?? '', processed: r.stats.processed, log: r.log, stats: statsLine(r.log) ?? '' };
  memo.set(name, v);
  return v;
}

/** Agreement of xdpts with one set of kernel results; the lists name the disagreeing cases. */
function compare(kernel: (name: string) => KernelVerdict | undefined): {
  error: string[]; log: string[]; processed: string[]; stats: string[]; rejected: number; accepted: number;
} {
  const out = { error: [] as string[], log: [] as string[], processed: [] as string[], stats: [] as string[], rejected: 0, accepted: 0 };
  for (const c of CORPUS) {
    const k = kernel(c.name);
    if (!k) continue;
    const o = ours(c.name);
    if (o.accepted !== k.accepted || o.error !== k.error) out.error.push(c.name);
    if (!k.accepted) {
      out.rejected++;
      if (!sameLog(k, o.log)) out.log.push(c.name);
    } else {
      out.accepted++;
      if (o.processed !== k.processed) out.processed.push(c.name);
      else if (o.stats !== k.stats) out.stats.push(c.name);
    }
  }
  return out;
}

function report(what: string, r: ReturnType<typeof compare>): void {
  const n = CORPUS.length;
  console.log(
    `verifier vs ${what}: verdict+error ${n - r.error.length}/${n}, ` +
      `level-1 log (rejected) ${r.rejected - r.log.length}/${r.rejected}, ` +
      `processed (accepted) ${r.accepted - r.processed.length}/${r.accepted}, ` +
      `whole stats line (accepted) ${r.accepted - r.processed.length - r.stats.length}/${r.accepted}`,
  );
}

describe('verifier corpus', () => {
  it('has at least 150 uniquely named cases', () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(150);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });
  it('lists known gaps only for existing cases', () => {
    for (const n of [...Object.keys(KNOWN_LOG_GAPS), ...Object.keys(KNOWN_PROCESSED_GAPS), ...Object.keys(KNOWN_STATS_GAPS)]) {
      expect(CORPUS.some((c) => c.name === n), n).toBe(true);
    }
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
    const r = compare((n) => live.get(n));
    report('the live kernel', r);
    expect(r.error).toEqual([]);
    expect(r.log.sort()).toEqual(Object.keys(KNOWN_LOG_GAPS).sort());
    expect(r.processed.sort()).toEqual(Object.keys(KNOWN_PROCESSED_GAPS).sort());
    expect(r.stats.sort()).toEqual(Object.keys(KNOWN_STATS_GAPS).sort());
  }, 900_000);
});

describe('verifier vs the stored kernel results', () => {
  for (const c of CORPUS) {
    it(c.name, () => {
      const k = stored[c.name];
      expect(k, `no stored verdict for ${c.name}: run with XDPTS_UPDATE_VERDICTS=1 on a BPF-capable machine`).toBeDefined();
      const o = ours(c.name);
      expect({ accepted: o.accepted, error: o.error }).toEqual({ accepted: k!.accepted, error: k!.error });
      if (!k!.accepted) {
        expect(k!.log, `no stored log for ${c.name}: refresh with XDPTS_UPDATE_VERDICTS=1`).toBeDefined();
        const gap = KNOWN_LOG_GAPS[c.name];
        if (gap) expect(sameLog(k!, o.log), `known gap fixed, remove it from KNOWN_LOG_GAPS: ${gap}`).toBe(false);
        else if (k!.logTruncated) expect(normalizeLog(o.log).endsWith(normalizeLog(k!.log!)), 'tail of the rotated log').toBe(true);
        else expect(normalizeLog(o.log)).toBe(normalizeLog(k!.log!));
      } else {
        const gap = KNOWN_PROCESSED_GAPS[c.name];
        if (gap) expect(o.processed, `known gap fixed, remove it from KNOWN_PROCESSED_GAPS: ${gap}`).not.toBe(k!.processed);
        else expect(o.processed).toBe(k!.processed);
        const sgap = KNOWN_STATS_GAPS[c.name];
        expect(k!.stats, `no stored stats line for ${c.name}: refresh with XDPTS_UPDATE_VERDICTS=1`).toBeDefined();
        if (sgap) expect(o.stats, `known gap fixed, remove it from KNOWN_STATS_GAPS: ${sgap}`).not.toBe(k!.stats);
        else if (!gap) expect(o.stats).toBe(k!.stats);
      }
    });
  }
  it('reports the agreement rates', () => {
    const r = compare((n) => stored[n]);
    report('the stored kernel results', r);
    expect(r.error).toEqual([]);
    expect(r.log.sort()).toEqual(Object.keys(KNOWN_LOG_GAPS).sort());
    expect(r.processed.sort()).toEqual(Object.keys(KNOWN_PROCESSED_GAPS).sort());
    expect(r.stats.sort()).toEqual(Object.keys(KNOWN_STATS_GAPS).sort());
  });
});
