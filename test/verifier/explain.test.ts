/**
 * `explain` (src/verifier/explain.ts) on every rejected program of the verifier corpora (the
 * C corpus in fixtures/verifier-corpus and the instruction corpus of test/verifier/corpus.ts):
 * each gets a category from a rule (none left as `other`), the failing instruction at the end
 * of its causal chain, and packet-bounds rejections whose path compares with data_end show the
 * compare in the chain. A few chains are checked instruction by instruction.
 */
import { describe, expect, it } from 'vitest';
import type { MapSpec, ProgramSpec } from '../../src/object';
import { explainProgram, type Explanation } from '../../src/verifier';
import { corpusPrograms } from '../oracle/verifier-corpus-oracle';
import { toSpec } from './builder';
import { CORPUS } from './corpus';

const progs: { key: string; prog: ProgramSpec; maps: readonly MapSpec[] }[] = [
  ...corpusPrograms('fast'),
  ...CORPUS.map((c) => ({ key: `corpus/${c.name}`, ...toSpec(c) })),
];

const chainOf = (e: Explanation): [number, string][] => e.chain.map((s) => [s.insn, s.role]);

describe('explain on the verifier corpora', () => {
  // explainProgram is undefined for an accepted program: the rest are the rejections.
  const explained = new Map(progs.map((p) => [p.key, explainProgram(p.prog, p.maps)] as const).filter(([, e]) => e !== undefined));
  const rejected = progs.filter((p) => explained.has(p.key));

  it('gives every rejection a category, the kernel message and the failing instruction last', () => {
    expect(rejected.length).toBeGreaterThan(300);
    const counts = new Map<string, number>();
    const other: string[] = [];
    for (const p of rejected) {
      const e = explained.get(p.key);
      expect(e, p.key).toBeDefined();
      counts.set(e!.category, (counts.get(e!.category) ?? 0) + 1);
      if (e!.category === 'other') other.push(`${p.key}: ${e!.message.join(' | ')}`);
      expect(e!.message.length, p.key).toBeGreaterThan(0);
      expect(e!.protects.split('. ').length, p.key).toBeGreaterThanOrEqual(2);
      if (e!.insn !== undefined && e!.chain.length > 0) expect(e!.chain.at(-1)!.insn, p.key).toBe(e!.insn);
    }
    expect(other).toEqual([]);
    for (const c of ['packet-bounds', 'map-value-bounds', 'null-pointer', 'uninitialised', 'pointer-arithmetic', 'helper-argument', 'context-access', 'loop-complexity', 'calls'])
      expect(counts.get(c) ?? 0, c).toBeGreaterThan(0);
  });

  it('puts the data_end compare that set the packet range into the chain', () => {
    let checked = 0;
    for (const p of rejected) {
      const e = explained.get(p.key)!;
      if (e.category !== 'packet-bounds' || !/\br=[1-9]/.test(e.message.join('\n'))) continue;
      checked++;
      expect(e.chain.some((s) => s.role.startsWith('compares') && /pkt/.test(s.state ?? '')), p.key).toBe(true);
    }
    expect(checked).toBeGreaterThan(5);
  });

  const byKey = (key: string): Explanation => explained.get(key)!;

  it('packet read one byte past the check: the whole chain, the proven range and the fix', () => {
    const e = byKey('packet/pkt_rd_u16_straddle');
    expect(e.category).toBe('packet-bounds');
    expect(e.insn).toBe(5);
    expect(e.register).toBe(2);
    expect(chainOf(e)).toEqual([
      [0, 'defines r2'], [1, 'defines r3'], [2, 'defines r4'], [3, 'defines r4'], [4, 'compares r4'], [5, 'is rejected'],
    ]);
    expect(e.chain[4]!.state).toBe('R3=pkt_end() R4=pkt(off=14,r=14)');
    expect(e.source).toMatchObject({ line: 12 });
    expect(e.proven).toBe('at packet.c:12 (insn 4), the packet was proven to hold 14 bytes');
    expect(e.suggestion).toContain('Compare `data + 15` with `data_end`');
    expect(e.message).toEqual(['invalid access to packet, off=13 size=2, R2(id=0,off=13,r=14)', 'R2 offset is outside of the packet']);
  });

  it('arithmetic on a lookup result before its null check: the call is the cause', () => {
    const e = byKey('map_value/mv_null_check_after_add');
    expect(e.category).toBe('null-pointer');
    expect(chainOf(e)).toEqual([[6, 'returns r0'], [7, 'is rejected']]);
    expect(e.chain[0]!.state).toContain('R0=map_value_or_null');
  });

  it('a value spilled to the stack and filled back is followed through the slot', () => {
    // r0 = lookup (unchecked), spilled to fp-8, filled into r1, dereferenced.
    const spilled = rejected.map((p) => ({ p, e: explained.get(p.key)! })).find(({ e }) => e.chain.some((s) => s.role.startsWith('writes fp')));
    expect(spilled).toBeDefined();
    const roles = spilled!.e.chain.map((s) => s.role);
    const w = roles.findIndex((r) => r.startsWith('writes fp'));
    expect(roles.slice(w + 1).some((r) => r.startsWith('defines'))).toBe(true);
  });
});
