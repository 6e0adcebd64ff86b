/**
 * The library against the real emulated kernel: loading counter.o from clang, running it with
 * testRun (BPF_PROG_TEST_RUN), reading the counter through a typed map, the kernel's errnos
 * surfacing as MapError, and handles freeing what nothing references.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel';
import { loadCollectionSpec, MapError, VerifierError, ElfError } from '../../src/index';
import { StateStore } from '../../src/state';
import { assemble } from '../../src/asm';
import { writeElf } from '../../src/object';
import { ROOT, fixtureObject, freshStateDir, u32, u64, udpFrame } from './helpers';

let state: { dir: string; remove: () => void };
beforeEach(() => {
  state = freshStateDir();
});
afterEach(() => state.remove());

/** The kernel as the state directory holds it now (what another process would see). */
function kernelOnDisk(): Kernel {
  const snap = new StateStore(state.dir).read();
  return Kernel.fromSnapshot((snap.kernel as { core: Parameters<typeof Kernel.fromSnapshot>[0] }).core);
}

describe('loadCollectionSpec', () => {
  it('reads specs without loading anything', () => {
    const spec = loadCollectionSpec(fixtureObject('counter'));
    expect(spec.byteOrder).toBe('le');
    expect([...spec.maps.keys()]).toEqual(['pkt_count']);
    expect(spec.maps.get('pkt_count')).toMatchObject({ type: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
    expect(spec.programs.get('count_packets')).toEqual({ name: 'count_packets', section: 'xdp', type: 6 });
    expect(loadCollectionSpec(fixtureObject('counter', true)).byteOrder).toBe('be');
    // A path works too.
    expect([...loadCollectionSpec(`${ROOT}/fixtures/c/counter.o`).programs.keys()]).toEqual(['count_packets']);
    expect(() => loadCollectionSpec(`${ROOT}/fixtures/c/none.o`)).toThrow(expect.objectContaining({ code: 'ENOENT' }) as Error);
  });

  it('refuses bytes that are not an ELF object with an ElfError', () => {
    expect(() => loadCollectionSpec(new Uint8Array(10))).toThrow(ElfError);
  });
});

describe('Collection against the emulated kernel', () => {
  it('loads, runs count_packets with repeat, and the typed map reads the count', () => {
    const coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const prog = coll.detachProgram('count_packets');
    const map = coll.detachMap('pkt_count', u32, u64);
    coll.close();
    // The state on disk has the program and the map, as a separate process would see them.
    const k = kernelOnDisk();
    expect(k.programList().map((p) => p.name)).toEqual(['count_packets']);
    expect(k.mapList().map((m) => m.name)).toEqual(['pkt_count']);

    const r = prog.testRun({ data: udpFrame(), repeat: 3 });
    expect(r.retval).toBe(2); // XDP_PASS
    expect(r.data).toEqual(udpFrame());
    expect(r.duration).toBeGreaterThanOrEqual(0);
    expect(map.lookup(0)).toBe(3n);
    prog.testRun({ data: udpFrame(100) });
    expect(map.lookup(0)).toBe(4n);
    expect([...map.entries()]).toEqual([[0, 4n]]);

    prog.close();
    map.close();
    // The last handles closed: the kernel freed both (no pin, no attachment).
    const after = kernelOnDisk();
    expect(after.programList()).toEqual([]);
    expect(after.mapList()).toEqual([]);
  });

  it('a runt packet is refused as BPF_PROG_TEST_RUN refuses it (EINVAL)', () => {
    using coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const prog = coll.programs.get('count_packets')!;
    expect(() => prog.testRun({ data: new Uint8Array(10) })).toThrow(expect.objectContaining({ code: 'EINVAL' }) as Error);
  });

  it('array maps give the kernel errnos: EEXIST on noexist, EINVAL on delete, E2BIG past the end', () => {
    using coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    using map = coll.detachMap('pkt_count', u32, u64);
    map.update(0, 41n);
    map.update(0, 42n, 'exist');
    expect(map.lookup(0)).toBe(42n);
    const codeOf = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(MapError);
        return (e as MapError).errno;
      }
      return 'no error';
    };
    expect(codeOf(() => map.update(0, 1n, 'noexist'))).toBe('EEXIST');
    expect(codeOf(() => map.delete(0))).toBe('EINVAL');
    expect(codeOf(() => map.update(1, 1n))).toBe('E2BIG');
    expect(map.lookup(1)).toBeUndefined();
    expect(codeOf(() => map.update(0, 1n, 7 as never))).toBe('EINVAL');
    expect(map.nextKey()).toBe(0);
    expect(map.nextKey(0)).toBeUndefined();
  });

  it('a closed handle refuses operations with EBADF, and close is idempotent', () => {
    const coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const map = coll.detachMap('pkt_count', u32, u64);
    coll.close();
    map.close();
    map.close();
    expect(() => map.lookup(0)).toThrow(expect.objectContaining({ code: 'EBADF' }) as Error);
  });

  it('a map still read by the application outlives its program; freed when the map closes too', () => {
    const coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const map = coll.detachMap('pkt_count', u32, u64);
    coll.close(); // closes the program: nothing attached, so it is unloaded
    expect(kernelOnDisk().programList()).toEqual([]);
    map.update(0, 7n);
    expect(map.lookup(0)).toBe(7n);
    map.close();
    expect(kernelOnDisk().mapList()).toEqual([]);
  });

  it('a program the verifier refuses leaves nothing loaded (VerifierError)', () => {
    // Reads ctx->data and dereferences it with no bounds check: the verifier refuses it.
    const src = '.map m, type=array, key=__u32, value=__u64, max_entries=1\n.section xdp,"ax",@progbits\n.globl bad\nbad:\n\tr2 = *(u32 *)(r1 + 0)\n\tr0 = *(u8 *)(r2 + 0)\n\texit\n.license "GPL"\n';
    const r = assemble(src, { file: 'bad.s' });
    if (r.kind !== 'elf') throw new Error('expected an object');
    const spec = loadCollectionSpec(writeElf(r.elf));
    expect(() => spec.load({ stateDir: state.dir })).toThrow(VerifierError);
    const k = new StateStore(state.dir).read().kernel;
    // Nothing was written, or what was written holds no map and no program.
    if (k !== null) {
      expect(kernelOnDisk().mapList()).toEqual([]);
      expect(kernelOnDisk().programList()).toEqual([]);
    }
  });
});
