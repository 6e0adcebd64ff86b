/**
 * Table-driven semantics: every fixture in fixtures/vm/exec (uBPF / bpf_conformance format,
 * expectations computed by hand from RFC 9669 and the kernel interpreter) on both engines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compile, type Engine } from '../../src/vm';
import { assembleUbpf, parseFixture } from './helpers/ubpf-asm';

const DIR = join(__dirname, '../../fixtures/vm/exec');
const files = readdirSync(DIR).filter((f) => f.endsWith('.data')).sort();

describe.each(['interp', 'jit', 'wasm'] as Engine[])('exec fixtures on %s', (engine) => {
  test('the fixture directory is not empty', () => {
    expect(files.length).toBeGreaterThan(150);
  });
  test.each(files)('%s', (file) => {
    const fx = parseFixture(file, readFileSync(join(DIR, file), 'utf8'));
    const prog = compile(assembleUbpf(fx.asm), { engine });
    const r = prog.runRaw({ mem: fx.mem });
    if (fx.error !== undefined) {
      expect(r.fault?.reason ?? `no fault, r0 = 0x${r.r0.toString(16)}`).toContain(fx.error);
    } else {
      expect(r.fault).toBeUndefined();
      expect('0x' + r.r0.toString(16)).toBe('0x' + fx.result!.toString(16));
    }
  });
});
