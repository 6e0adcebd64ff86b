/**
 * The helper table against the prototypes the verifier checks calls with (src/isa
 * helper-protos.ts): every helper an XDP program may call has an implementation, and every
 * implementation has a prototype, under the kernel's id.
 */
import { describe, expect, it } from 'vitest';
import { HELPER_PROTOS, xdpHelperProto } from '../../src/isa/helper-protos';
import { helperId, helperName } from '../../src/isa/helpers';
import { IMPLEMENTED_HELPERS, KernelHelpers } from '../../src/kernel/helpers';

const k = new KernelHelpers({ maps: () => undefined, seed: 1 });
const implemented = k.table.helpers.flatMap((f, id) => (f ? [id] : []));

describe('helper table', () => {
  it('implements every helper XDP may call (tail_call through the tail-call hook)', () => {
    const callable = HELPER_PROTOS.filter((p) => xdpHelperProto(p.id) !== undefined).map((p) => p.id);
    const missing = callable.filter((id) => !implemented.includes(id) && helperName(id) !== 'tail_call');
    expect(missing.map((id) => helperName(id))).toEqual([]);
    expect(k.table.tailCall).toBeDefined();
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
