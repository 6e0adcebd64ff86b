/**
 * The verifier's envelope (src/verifier/envelope.ts): the abstract values of each register at
 * each instruction over every state the walk reached, printed as the kernel's log prints them,
 * and the check of a concrete machine against them — which must fail on a value outside.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/object';
import { Envelope, type ConcreteState } from '../../src/verifier';

const spec = loadObject(new Uint8Array(readFileSync('fixtures/verifier-corpus/precision.o')), 'precision.o');
const prog = (name: string) => ({ ...spec.programs.find((p) => p.name === name)!, type: 6 });
const scalar = (v: bigint) => ({ value: v, region: '' });
const machine = (regs: ConcreteState['regs']): ConcreteState => ({ regs, packet: { meta: 256, data: 256, end: 320 }, fp: 4096 });
const CTX = { value: 1n << 32n, region: 'ctx' };
const FP = { value: (3n << 32n) | 4096n, region: 'stack' };

describe('Envelope', () => {
  // pr_dead_reg_ignored: r0 = prandom; r6 = r0; r1 = 0; if r6 & 1 goto +1; r1 = 1; r1 = 5; ...
  const env = new Envelope(prog('pr_dead_reg_ignored'), spec.maps, { progType: 6 });

  it('prints each register as the kernel log does, joining the states that reached an instruction', () => {
    expect(env.result.accepted).toBe(true);
    expect(env.text(0, 1)).toBe('ctx()');
    expect(env.text(0, 10)).toBe('fp0');
    expect(env.text(0, 2)).toBeUndefined();
    // Instruction 5 is reached with r1 = 1 (fall through) and r1 = 0 (the jump): one join.
    expect(env.at(5)!.visits).toBe(2);
    expect(env.text(5, 1)).toBe('scalar(smin=smin32=0,smax=umax=smax32=umax32=1,var_off=(0x0; 0x1))');
    // Instruction 8 is reached four times: explored once, pruned three times (`from 6 to 8: safe`,
    // `8: safe`, `from 6 to 8: safe` in the level-2 log).
    expect(env.at(8)).toMatchObject({ visits: 4, pruned: 3 });
    expect(env.prunedAt.has(8)).toBe(true);
  });

  it('accepts values inside and flags values outside as mismatches', () => {
    const regs = [undefined, CTX, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, FP];
    expect(env.check(0, machine(regs), false)).toEqual([]);
    // r1 at instruction 0 is the context; a scalar there is a bug of xdpts.
    const bad = env.check(0, machine([undefined, scalar(7n), ...regs.slice(2)]), false);
    expect(bad).toEqual([{ reg: 1, kind: 'mismatch', why: 'r1=7 is outside ctx()' }]);
    // r1 at instruction 5 is 0 or 1; 2 is outside.
    const at5 = [undefined, scalar(2n), undefined, undefined, undefined, undefined, scalar(3n), undefined, undefined, undefined, FP];
    expect(env.check(5, machine(at5), false).map((c) => [c.reg, c.kind])).toEqual([[1, 'mismatch']]);
    // A frame pointer off by 8 is not fp0.
    expect(env.check(0, machine([undefined, CTX, ...regs.slice(2, 10), { value: FP.value - 8n, region: 'stack' }]), false)[0]).toMatchObject({ reg: 10, kind: 'mismatch' });
    expect(env.check(99, machine(regs), false)).toEqual([{ reg: -1, kind: 'mismatch', why: 'the verifier never reached instruction 99' }]);
  });

  it('after a pruned path, a scalar outside the explored values is untracked, not a mismatch', () => {
    const at9 = [scalar(5n), scalar(5n), scalar(0n), undefined, undefined, undefined, scalar(3n), undefined, undefined, undefined, FP];
    // r0 = 6 (explored: 5), r2 = 0 (explored: 1, dead), r6 = 3 (explored: low bits clear, dead).
    const loose = env.check(9, machine([scalar(6n), ...at9.slice(1)]), true);
    expect(loose.map((c) => [c.reg, c.kind])).toEqual([[0, 'untracked'], [2, 'untracked'], [6, 'untracked']]);
    expect(loose[1]!.why).toBe('r2=0 is outside 1 (r2 is dead here)');
    // The same values with no pruning on the path are bugs.
    const strict = env.check(9, machine([scalar(6n), ...at9.slice(1)]), false);
    expect(strict.map((c) => [c.reg, c.kind])).toEqual([[0, 'mismatch'], [2, 'mismatch'], [6, 'mismatch']]);
    // Inside everywhere: nothing to say.
    expect(env.check(9, machine([scalar(5n), scalar(5n), scalar(1n), undefined, undefined, undefined, scalar(4n), undefined, undefined, undefined, FP]), false)).toEqual([]);
  });
});
