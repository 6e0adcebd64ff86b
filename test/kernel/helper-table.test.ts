/**
 * The helper table against the prototypes the verifier checks calls with (src/isa
 * helper-protos.ts): every helper the kernel lets an XDP program call is either implemented or
 * listed as not emulated with its reason (never both), and every implementation has a
 * prototype, under the kernel's id.
 */
import { describe, expect, it } from 'vitest';
import { HELPER_PROTOS, XDP_HELPERS, helperProto, protoModelled, xdpHelperProto } from '../../src/isa/helper-protos';
import { helperId, helperName } from '../../src/isa/helpers';
import { IMPLEMENTED_HELPERS, KernelHelpers, NOT_EMULATED_HELPERS } from '../../src/kernel/helpers';

const k = new KernelHelpers({ maps: () => undefined, seed: 1 });
const implemented = k.table.helpers.flatMap((f, id) => (f ? [id] : []));

describe('helper table', () => {
  it('implements every helper XDP may call, or names it as not emulated (tail_call through the tail-call hook)', () => {
    // A might_sleep helper is refused by the kernel itself in XDP ("helper call might sleep").
    const sleeps = (n: string): boolean => helperProto(helperId(n)!)?.mightSleep === true;
    const missing = XDP_HELPERS.filter((n) => !implemented.includes(helperId(n)!) && n !== 'tail_call' && !(n in NOT_EMULATED_HELPERS) && !sleeps(n));
    expect(missing).toEqual([]);
    const both = Object.keys(NOT_EMULATED_HELPERS).filter((n) => implemented.includes(helperId(n)!));
    expect(both).toEqual([]);
    for (const n of Object.keys(NOT_EMULATED_HELPERS)) expect(XDP_HELPERS, `${n} is not callable from XDP at all`).toContain(n);
    expect(k.table.tailCall).toBeDefined();
  });

  it('has a prototype for every XDP helper, and models every implemented one', () => {
    for (const n of XDP_HELPERS) expect(helperProto(helperId(n)!), n).toBeDefined();
    for (const id of implemented) {
      const p = xdpHelperProto(id)!;
      expect(p, helperName(id)).toBeDefined();
      expect(protoModelled(p), helperName(id)).toBe(true);
    }
  });

  it('has a prototype for every implementation, at the kernel id', () => {
    const protoIds = new Set(HELPER_PROTOS.map((p) => p.id));
    expect(implemented.filter((id) => !protoIds.has(id)).map((id) => helperName(id))).toEqual([]);
    for (const id of implemented) expect(HELPER_PROTOS.find((p) => p.id === id)!.name).toBe(`bpf_${helperName(id)}`);
  });

  it('IMPLEMENTED_HELPERS lists exactly the table', () => {
    expect(IMPLEMENTED_HELPERS.map((n) => helperId(n)!).filter((id) => helperName(id) !== 'tail_call').sort((a, b) => a - b)).toEqual(implemented);
  });
});
