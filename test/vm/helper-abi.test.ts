/**
 * The helper ABI the kernel implements helpers against: arguments as int32 halves and
 * accessors, r0 through ret/retPtr/retBig, guest memory (check/read/write/expose), faults from
 * helpers, callbacks (invoke, as bpf_loop does), tail calls with the kernel's counting, address
 * spaces, pseudo lddw resolution, compile-time validation and the step limit. Both engines.
 */
import { describe, expect, test } from 'vitest';
import {
  compile, createSpace, MAX_TAIL_CALL_CNT, VmCompileError, type Engine, type HelperCall, type HelperFn, type VmProgram,
} from '../../src/vm';
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, helperId, insn, lddw } from '../../src/isa';
import { assembleUbpf } from './helpers/ubpf-asm';

const table = (h: Record<number, HelperFn>) => ({ helpers: Object.assign([] as HelperFn[], h) });
const LOOP = helperId('loop')!;
const TAIL = helperId('tail_call')!;

describe.each(['interp', 'jit', 'wasm'] as Engine[])('helper ABI on %s', (engine) => {
  test('arguments arrive as halves and through the accessors; c.pc is the slot of the call', () => {
    const seen: unknown[] = [];
    const h = table({
      7: (c: HelperCall) => {
        seen.push([...c.args], c.u32(1), c.num(2), c.big(3), c.num(4), c.pc);
        c.ret(-2);
      },
    });
    const p = compile(assembleUbpf(`
      lddw r1, 0xdeadbeef00000005
      mov r2, -3
      lddw r3, 0xffffffffffffffff
      lddw r4, 0x1fffffffffffff
      mov r5, 0
      call 7
      exit`), { engine, helpers: h });
    const r = p.runRaw();
    expect(r.r0).toBe(BigInt.asUintN(64, -2n));
    expect(seen).toEqual([
      [5, 0xdeadbeef | 0, -3, -1, -1, -1, -1, 0x1fffff, 0, 0],
      5, -3, 0xffffffffffffffffn, 2 ** 53 - 1, 8,
    ]);
  });

  test('ret, retBig and retPtr set the full 64-bit r0', () => {
    const cases: [HelperFn, bigint][] = [
      [(c) => c.ret(0xffffffff), 0xffffffffn],
      [(c) => c.ret(2 ** 40 + 3), 2n ** 40n + 3n],
      [(c) => c.ret(-22), BigInt.asUintN(64, -22n)],
      [(c) => c.retBig(0x8000000000000001n), 0x8000000000000001n],
      [(c) => c.retBig(-1n), 0xffffffffffffffffn],
      [(c) => c.retPtr(12, 40), (40n << 32n) | 12n],
      [() => undefined, 0n],
    ];
    for (const [fn, want] of cases) {
      expect(compile(assembleUbpf('mov r0, 77\ncall 7\nexit'), { engine, helpers: table({ 7: fn }) }).runRaw().r0).toBe(want);
    }
  });

  test('expose: a map-value-like buffer the program reads and writes through r0', () => {
    const value = new Uint8Array(16);
    value[0] = 41;
    const h = table({ 1: (c) => c.retPtr(0, c.mem.expose(value, true)) });
    const p = compile(assembleUbpf(`
      call 1
      jeq r0, 0, out
      ldxdw r1, [r0+0]
      add r1, 1
      stxdw [r0+0], r1
      mov r2, 1
      lock add [r0+8], r2
      mov r0, r1
      out:
      exit`), { engine, helpers: h });
    expect(p.runRaw().r0).toBe(42n);
    expect(p.runRaw().r0).toBe(43n);
    expect(value[0]).toBe(43);
    expect(value[8]).toBe(2);
  });

  test('expose: the same buffer gives the same pointer within a run; read-only faults on store', () => {
    const value = new Uint8Array(8);
    const h = table({ 1: (c) => c.retPtr(0, c.mem.expose(value, false)) });
    const same = compile(assembleUbpf('call 1\nmov r6, r0\ncall 1\nsub r0, r6\nexit'), { engine, helpers: h });
    expect(same.runRaw().r0).toBe(0n);
    const ro = compile(assembleUbpf('call 1\nstb [r0+0], 1\nexit'), { engine, helpers: h }).runRaw();
    expect(ro.fault?.reason).toBe('store of 1 bytes to read-only map value');
    expect(ro.fault?.pc).toBe(1);
  });

  test('helpers read and write guest memory through checked pointers', () => {
    const h = table({
      // A memcpy-like helper: (dst, src, len).
      9: (c) => {
        const data = c.mem.read(c.args[2]!, c.args[3]!, c.u32(3));
        c.mem.write(c.args[0]!, c.args[1]!, data);
        c.ret(0);
      },
    });
    const p = compile(assembleUbpf(`
      stdw [r10-16], 0x123456
      mov r1, r10
      add r1, -8
      mov r2, r10
      add r2, -16
      mov r3, 8
      call 9
      ldxdw r0, [r10-8]
      exit`), { engine, helpers: h });
    expect(p.runRaw().r0).toBe(0x123456n);
    const bad = compile(assembleUbpf('mov r1, r10\nmov r2, r10\nadd r2, -8\nmov r3, 8\ncall 9\nexit'), { engine, helpers: h }).runRaw();
    expect(bad.fault?.reason).toBe('out of bounds store of 8 bytes at stack+4096');
    expect(bad.fault?.pc).toBe(4);
    const nul = compile(assembleUbpf('mov r1, 0\nmov r2, r10\nadd r2, -8\nmov r3, 8\ncall 9\nexit'), { engine, helpers: h }).runRaw();
    expect(nul.fault?.reason).toContain('NULL pointer');
  });

  test('a helper can fault the run', () => {
    const r = compile(assembleUbpf('mov r0, 1\ncall 3\nexit'), { engine, helpers: table({ 3: (c) => c.fault('bad flags') }) }).runRaw();
    expect(r.fault?.reason).toBe('bad flags');
    expect(r.fault?.pc).toBe(1);
  });

  test('invoke runs a BPF callback as a new frame (bpf_loop)', () => {
    const bpfLoop: HelperFn = (c) => {
      const n = c.u32(1);
      const fn = c.funcArg(2);
      const ctxLo = c.args[4]!;
      const ctxHi = c.args[5]!;
      let i = 0;
      for (; i < n; ) {
        const stop = c.invoke(fn, [i, 0, ctxLo, ctxHi]);
        i++;
        if (stop) break;
      }
      c.ret(i);
    };
    const p = compile(assembleUbpf(`
      stdw [r10-8], 0
      mov r1, 5
      lddw r2, func cb
      mov r3, r10
      add r3, -8
      mov r4, 0
      call ${LOOP}
      ldxdw r1, [r10-8]
      lsh r0, 8
      or r0, r1
      exit
      cb:
      ldxdw r3, [r2+0]
      add r3, r1
      stxdw [r2+0], r3
      mov r0, 0
      jne r1, 3, +1
      mov r0, 1
      exit`), { engine, helpers: table({ [LOOP]: bpfLoop }) });
    // Indices 0..3 are summed; the callback stops the loop at index 3.
    expect(p.runRaw().r0).toBe(0x406n);
    const notFn = compile(assembleUbpf(`mov r1, 1\nmov r2, 3\ncall ${LOOP}\nexit`), { engine, helpers: table({ [LOOP]: bpfLoop }) }).runRaw();
    expect(notFn.fault?.reason).toBe('R2 is not a pointer to a BPF function');
  });

  test('callbacks count against MAX_CALL_FRAMES', () => {
    const h = table({ [LOOP]: (c) => c.ret(c.invoke(c.funcArg(2), [])) });
    const asm = (depth: number) => {
      let s = '';
      for (let i = 0; i < depth; i++) s += `call local f${i}\nexit\nf${i}:\n`;
      return `${s}lddw r2, func cb\ncall ${LOOP}\nexit\ncb:\nmov r0, 9\nexit`;
    };
    expect(compile(assembleUbpf(asm(6)), { engine, helpers: h }).runRaw().r0).toBe(9n);
    expect(compile(assembleUbpf(asm(7)), { engine, helpers: h }).runRaw().fault?.reason).toContain('too deep');
  });

  describe('tail calls', () => {
    // Counts its own executions in a global, then tail-calls slot 0 (itself).
    const SELF = `
      mov r6, r1
      lddw r7, 0
      ldxdw r0, [r7+0]
      add r0, 1
      stxdw [r7+0], r0
      mov r1, r6
      mov r2, 0
      mov r3, 0
      call ${TAIL}
      ldxdw r0, [r7+0]
      exit`;
    const withMapValue = (asm: string) => {
      // lddw r7, 0 → src = BPF_PSEUDO_MAP_VALUE so the resolver gives the counter pointer.
      const insns = assembleUbpf(asm).map((i) => (i.opcode === 0x18 && i.dst === 7 ? { ...i, src: BPF_PSEUDO_MAP_VALUE } : i));
      return insns;
    };

    test(`a program runs 1 + MAX_TAIL_CALL_CNT (${MAX_TAIL_CALL_CNT}) times, then falls through`, () => {
      const progs: VmProgram[] = [];
      const space = createSpace();
      const counter = new Uint8Array(8);
      const tag = space.addRegion('counter', counter, true);
      const helpers = { helpers: [], tailCall: (c: HelperCall) => progs[c.u32(3)] };
      const prog = compile(withMapValue(SELF), {
        engine, helpers, space,
        resolvePseudo: (i) => (i.src === BPF_PSEUDO_MAP_VALUE ? [0, tag] : [0, 0]),
      });
      progs.push(prog);
      const r = prog.runXdp({ packet: new Uint8Array(20) });
      expect(r.fault).toBeUndefined();
      expect(r.r0).toBe(34n);
      expect(counter[0]).toBe(34);
    });

    test('an empty slot counts against the limit; an index out of range does not', () => {
      const space = createSpace();
      const target = compile(assembleUbpf('mov r0, 7\nexit'), { engine, space });
      const progs: (VmProgram | null)[] = [target, null];
      const loop = (idx: number, times: number) => `
        mov r6, r1
        mov r8, ${times}
        again:
        mov r1, r6
        mov r2, 0
        mov r3, ${idx}
        call ${TAIL}
        sub r8, 1
        jne r8, 0, again
        mov r1, r6
        mov r3, 0
        call ${TAIL}
        mov r0, 99
        exit`;
      const run = (asmText: string) =>
        compile(assembleUbpf(asmText), {
          engine, space,
          helpers: { helpers: [], tailCall: (c) => (c.u32(3) < progs.length ? progs[c.u32(3)] : undefined) },
        }).runRaw().r0;
      expect(run(loop(1, 32))).toBe(7n);
      expect(run(loop(1, 33))).toBe(99n);
      expect(run(loop(5, 40))).toBe(7n);
    });

    test('a tail call from a subprogram returns the target r0 to the caller', () => {
      const space = createSpace();
      const target = compile(assembleUbpf('mov r0, 7\nexit'), { engine, space });
      const p = compile(assembleUbpf(`
        mov r6, 1
        call local f
        add r0, 100
        add r0, r6
        exit
        f:
        mov r6, 50
        mov r3, 0
        call ${TAIL}
        mov r0, 1
        exit`), { engine, space, helpers: { helpers: [], tailCall: () => target } });
      expect(p.runRaw().r0).toBe(108n);
    });

    test('a target from another address space is refused', () => {
      const other = compile(assembleUbpf('mov r0, 7\nexit'), { engine });
      const p = compile(assembleUbpf(`call ${TAIL}\nexit`), { engine, helpers: { helpers: [], tailCall: () => other } });
      expect(p.runRaw().fault?.reason).toContain('not a program of this address space');
    });
  });

  test('pseudo lddw goes through the resolver; without one the raw immediate is loaded', () => {
    const i = [{ ...lddw(0, 0x500000003n), src: BPF_PSEUDO_MAP_FD }, insn(0x95)];
    expect(compile(i, { engine }).runRaw().r0).toBe(0x500000003n);
    expect(compile(i, { engine, resolvePseudo: (x, slot) => [x.imm + 10 + slot, 77] }).runRaw().r0).toBe((77n << 32n) | 13n);
  });

  test('regions of a space: removed regions fault', () => {
    const space = createSpace();
    const tag = space.addRegion('global', new Uint8Array(8).fill(5), false);
    const p = compile([{ ...lddw(1, 0n), src: BPF_PSEUDO_MAP_VALUE }, insn(0x71, 0, 1, 0, 0), insn(0x95)],
      { engine, space, resolvePseudo: () => [0, tag] });
    expect(p.runRaw().r0).toBe(5n);
    space.removeRegion(tag);
    expect(p.runRaw().fault?.reason).toContain('not a valid pointer');
  });

  test('a run cannot start inside another run on the same space', () => {
    const space = createSpace();
    const inner = compile(assembleUbpf('mov r0, 1\nexit'), { engine, space });
    const outer = compile(assembleUbpf('call 5\nexit'), { engine, space, helpers: table({ 5: () => void inner.runRaw() }) });
    expect(outer.runRaw().fault?.reason).toBe('a run is already in progress on this address space');
    expect(inner.runRaw().r0).toBe(1n);
  });

  test('compile-time validation', () => {
    const bad = (asm: string | ReturnType<typeof insn>[], re: RegExp) => {
      const insns = typeof asm === 'string' ? assembleUbpf(asm) : asm;
      let err: unknown;
      try {
        compile(insns, { engine });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VmCompileError);
      expect((err as Error).message).toMatch(re);
    };
    bad('call 1\nexit', /^helper bpf_map_lookup_elem#1 is not emulated$/);
    bad('mov r10, 1\nexit', /instruction 0: r10 is read-only/);
    bad('ldxdw r10, [r1+0]\nexit', /r10 is read-only/);
    bad('ja +5\nexit', /jump to 6 is outside the program/);
    bad('ja -2\nexit', /jump to -1 is outside/);
    bad('ja +1\nlddw r0, 1\nexit', /inside an lddw/);
    bad([insn(0xff), insn(0x95)], /unknown opcode 0xff/);
    bad([insn(0xb7, 11, 0, 0, 0), insn(0x95)], /register number above r10/);
    bad([], /empty program/);
  });

  test('kfunc calls fault at run time', () => {
    const r = compile([insn(0x85, 0, 2, 0, 1234), insn(0x95)], { engine }).runRaw();
    expect(r.fault?.reason).toBe('kfunc calls are not supported (btf id 1234)');
  });

  test('the step limit stops programs that would not end', () => {
    const r = compile(assembleUbpf('mov r0, 0\nloop:\nadd r0, 1\nja loop'), { engine, maxSteps: 1000 }).runRaw();
    expect(r.fault?.reason).toBe('step limit of 1000 backward jumps and calls exceeded');
    const rec = compile(assembleUbpf('f:\nadd r0, 1\ncall local g\nexit\ng:\nexit'), { engine, maxSteps: 0 }).runRaw();
    expect(rec.fault?.reason).toContain('step limit');
  });
});

describe.each(['interp', 'jit', 'wasm'] as Engine[])('callx on %s', (engine) => {
  test('a register holding a helper id calls that helper (uBPF / bpf_conformance raw mode)', () => {
    const h = table({ 5: (c) => c.ret(c.num(1) + 1) });
    expect(compile(assembleUbpf('mov r1, 41\nmov r2, 5\ncallx r2\nexit'), { engine, helpers: h }).runRaw().r0).toBe(42n);
    const r = compile(assembleUbpf('mov r2, 6\ncallx r2\nexit'), { engine, helpers: h }).runRaw();
    expect(r.fault?.reason).toBe('callx to 0x6: not a BPF function or a known helper');
  });
});

describe('may_goto', () => {
  // 8M iterations: on the JIT only (the interpreter takes seconds); the random differential
  // test runs may_goto on both engines.
  test('falls through BPF_MAX_LOOPS (8M) times per frame, then jumps (JIT)', () => {
    const p = compile(assembleUbpf('mov r0, 0\nloop:\nmay_goto +2\nadd r0, 1\nja loop\nexit'), { engine: 'jit' });
    expect(p.runRaw().r0).toBe(8388608n);
  });
  test.each(['interp', 'jit', 'wasm'] as Engine[])('each frame has its own budget (%s)', (engine) => {
    const p = compile(assembleUbpf('may_goto +1\nmov r0, 1\ncall local f\nexit\nf:\nmay_goto +1\nadd r0, 2\nexit'), { engine });
    expect(p.runRaw().r0).toBe(3n);
  });
});

describe('program objects', () => {
  test('are immutable: frozen, with a frozen copy of their instructions', () => {
    const insns = assembleUbpf('mov r0, 1\nexit');
    const p = compile(insns, { engine: 'jit' });
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.insns)).toBe(true);
    (insns as { imm: number }[])[0]!.imm = 5;
    expect(p.insns[0]!.imm).toBe(1);
    expect(p.runRaw().r0).toBe(1n);
    expect(p.engine).toBe('jit');
  });
});

describe.each(['interp', 'jit', 'wasm'] as Engine[])('maxSteps on %s', (engine) => {
  test('Infinity removes the step counting; a negative or NaN bound is refused', () => {
    const loop = assembleUbpf('mov r0, 0\nmov r1, 100000\nl:\nadd r0, 1\nsub r1, 1\njne r1, 0, l\nexit');
    expect(compile(loop, { engine, maxSteps: Infinity }).runRaw().r0).toBe(100000n);
    expect(compile(loop, { engine, maxSteps: 99999 }).runRaw().r0).toBe(100000n);
    expect(compile(loop, { engine, maxSteps: 99998 }).runRaw().fault?.reason).toContain('step limit of 99998');
    expect(() => compile(loop, { engine, maxSteps: -1 })).toThrow(/maxSteps/);
    expect(() => compile(loop, { engine, maxSteps: NaN })).toThrow(/maxSteps/);
  });
});

describe.each(['interp', 'jit', 'wasm'] as Engine[])('raw runs on %s', (engine) => {
  test('work on a copy of the memory and return it; the input is untouched', () => {
    const input = Uint8Array.of(1, 2, 3, 4);
    const r = compile(assembleUbpf('stb [r1+1], 9\nmov r0, r2\nexit'), { engine }).runRaw({ mem: input });
    expect(r.r0).toBe(4n);
    expect([...r.mem!]).toEqual([1, 9, 3, 4]);
    expect([...input]).toEqual([1, 2, 3, 4]);
    expect(compile(assembleUbpf('mov r0, 0\nexit'), { engine }).runRaw().mem).toBeUndefined();
  });
});
