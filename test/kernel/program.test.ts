/** The live-program record helpers: kernel object names, map references, sizes. */
import { describe, expect, it } from 'vitest';
import { insnBytes, isMapLoad, isMapValueLoad, kernelObjectName, referencedMapIds } from '../../src/kernel';
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, OP_LDDW, type Instruction } from '../../src/isa';

const ld = (src: number, imm: number, imm2 = 0): Instruction => ({ opcode: OP_LDDW, dst: 1, src, off: 0, imm, imm2 });
const mov: Instruction = { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 };

describe('program records', () => {
  it('cuts kernel object names to 15 characters of [A-Za-z0-9_.]', () => {
    expect(kernelObjectName('xdp_prog_with_a_long_name')).toBe('xdp_prog_with_a');
    expect(kernelObjectName('a-b$c')).toBe('abc');
    expect(kernelObjectName('')).toBe('');
  });

  it('finds map references (fd and value loads) in first-use order, once each', () => {
    const insns = [ld(BPF_PSEUDO_MAP_FD, 3), mov, ld(BPF_PSEUDO_MAP_VALUE, 1, 8), ld(BPF_PSEUDO_MAP_FD, 3), ld(0, 77)];
    expect(referencedMapIds(insns)).toEqual([3, 1]);
    expect(insns.map(isMapLoad)).toEqual([true, false, true, true, false]);
    expect(insns.map(isMapValueLoad)).toEqual([false, false, true, false, false]);
    expect(insnBytes(insns)).toBe(4 * 16 + 8);
  });
});
