/**
 * Diagnostics golden files: each fixtures/asm/errors/<case> source holds several errors; the
 * assembler must report all of them, in order, exactly as `<case>.expected` says
 * (`file:line:col: error: message`, the source line, a caret). A missing expectation fails; run
 * with XDPTS_UPDATE_GOLDEN=1 to write it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { AsmError, formatDiagnostic } from '../../src/util';

const DIR = join(__dirname, '..', '..', 'fixtures', 'asm', 'errors');
const CASES = readdirSync(DIR).filter((f) => !f.endsWith('.expected'));

function diagnose(name: string): AsmError {
  const file = `fixtures/asm/errors/${name}`;
  try {
    assemble(readFileSync(join(DIR, name), 'utf8'), { file });
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  throw new Error(`${name} assembled without errors`);
}

describe('diagnostics golden files', () => {
  it('has cases', () => expect(CASES.length).toBeGreaterThanOrEqual(2));
  for (const name of CASES) {
    it(name, () => {
      const err = diagnose(name);
      const text = err.diagnostics.map(formatDiagnostic).join('\n') + '\n';
      const golden = join(DIR, `${name}.expected`);
      if (process.env.XDPTS_UPDATE_GOLDEN === '1') writeFileSync(golden, text);
      if (!existsSync(golden)) throw new Error(`missing ${golden} (run with XDPTS_UPDATE_GOLDEN=1 to create it)`);
      expect(text).toBe(readFileSync(golden, 'utf8'));
      // The error's message is the same text: every diagnostic, not only the first.
      expect(err.message + '\n').toBe(text);
      expect(err.diagnostics.length).toBeGreaterThan(3);
    });
  }
});

describe('single diagnostics', () => {
  const one = (src: string): string => {
    try {
      assemble(src, { file: 'x.s' });
    } catch (e) {
      if (e instanceof AsmError) return e.diagnostics.map((d) => `${d.pos.line}:${d.pos.col}: ${d.message}`).join('\n');
      throw e;
    }
    return 'ok';
  };
  it('points at the operand, with columns counted in the source line', () => {
    expect(one('\t\tr1 = *(u8 *)(r2 + 99999)')).toBe('1:19: operand is not a 16-bit signed integer');
    expect(one('r0 = 1; r12 = 1')).toBe('1:9: invalid register \'r12\'');
  });
  it('reports duplicate labels, jumps across sections and unmatched .rept', () => {
    expect(one('a:\nexit\na:\nexit')).toBe("3:1: symbol 'a' is already defined");
    expect(one('.section s1,"ax"\nl:\nexit\n.section s2,"ax"\ngoto l')).toBe("5:6: jump to label 'l' in another section ('s1')");
    expect(one('.rept 2\nexit')).toBe("2:1: no matching '.endr' in definition");
  });
  it('refuses writes to the frame pointer in every form', () => {
    for (const s of ['r10 = 1', 'r10 += 8', 'r10 = *(u64 *)(r1 + 0)', 'r10 = 1 ll', 'r10 = -r10', 'w10 = w1']) {
      expect(one(s)).toMatch(/read-only frame pointer/);
    }
    expect(one('*(u64 *)(r10 - 8) = r1\nexit')).toBe('ok');
  });
  it('checks map declarations', () => {
    expect(one('.map m, type=hash, key=__u32, max_entries=4')).toBe("1:44: map needs 'value=TYPE' or 'value_size=N'");
    expect(one('.map m, type=hash, key=__u23, value=__u64, max_entries=4')).toBe("1:24: unknown key type '__u23'; did you mean '__u32'?");
    expect(one('.map m, type=hash, key=__u32, value=__u64, max_entrie=4')).toBe("1:44: unknown map attribute 'max_entrie'; did you mean 'max_entries'?");
  });
});
