/**
 * Globals set before load (`--set`, RewriteConstants): the variable found by BTF name in its
 * data section, written in the object's byte order, and seen by the program at run time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel';
import { loadObject, parseAssignments, rewriteConstants } from '../../src/object';

const spec = loadObject(new Uint8Array(readFileSync('fixtures/real/globals_kconfig/prog.o')), 'prog.o');
const packet = new Uint8Array(70);

function action(s: typeof spec): number {
  const k = new Kernel({ engine: 'interp', seed: 1 });
  const { programs } = k.loadObject(s, { type: 6 });
  return k.testRun(programs[0]!, { packet }).retval;
}

describe('rewriteConstants', () => {
  it('writes a const volatile in .rodata and the program sees it (XDP_PASS at 60, XDP_DROP at 100)', () => {
    expect(action(spec)).toBe(2);
    const set = rewriteConstants(spec, { drop_len: 100 });
    expect(action(set)).toBe(1);
    const ro = set.maps.find((m) => m.name === 'prog.rodata')!;
    expect([...ro.initialValue!.subarray(0, 5)]).toEqual([100, 0, 0, 0, 0]);
    // The original spec is untouched.
    expect([...spec.maps.find((m) => m.name === 'prog.rodata')!.initialValue!.subarray(0, 4)]).toEqual([60, 0, 0, 0]);
  });

  it('sets .data too, booleans and negative values in two\'s complement', () => {
    const set = rewriteConstants(spec, { seen: -2n, verbose: true });
    const data = set.maps.find((m) => m.name === 'prog.data')!;
    expect([...data.initialValue!.subarray(0, 8)]).toEqual([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(set.maps.find((m) => m.name === 'prog.rodata')!.initialValue![4]).toBe(1);
  });

  it('names an unknown variable and a value that does not fit', () => {
    expect(() => rewriteConstants(spec, { nope: 1 })).toThrow("constant 'nope' does not exist");
    expect(() => rewriteConstants(spec, { verbose: 256 })).toThrow("value 256 of 'verbose' does not fit its 1 bytes");
  });

  it('parses NAME=VALUE lists (decimal, hex, negative, booleans) and names the bad one', () => {
    expect(parseAssignments(['a=10', 'b=0x1f', 'c=-3', 'd=true'])).toEqual({ a: 10n, b: 31n, c: -3n, d: true });
    expect(() => parseAssignments(['a=1', 'b'])).toThrow('b: expected NAME=VALUE');
    expect(() => parseAssignments(['x=1.5'])).toThrow("x=1.5: '1.5' is not an integer");
  });
});

describe('the library: ObjectCollectionSpec.rewriteConstants', () => {
  it('gives a spec whose load sees the value (cilium/ebpf RewriteConstants)', async () => {
    const { loadCollectionSpec } = await import('../../src/index');
    const cs = loadCollectionSpec('fixtures/real/globals_kconfig/prog.o');
    const set = cs.rewriteConstants({ drop_len: 100 });
    expect(set.object.maps.find((m) => m.name === 'prog.rodata')!.initialValue![0]).toBe(100);
    expect(cs.object.maps.find((m) => m.name === 'prog.rodata')!.initialValue![0]).toBe(60);
    expect(() => cs.rewriteConstants({ nope: 1 })).toThrow("constant 'nope' does not exist");
  });
});
