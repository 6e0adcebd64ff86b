/**
 * The assembler at the edges of its input (issue 15's fuzzing classes): a 20,000-term expression
 * assembles as llvm-mc assembles it, deep nesting and out-of-range alignments are diagnostics at
 * file:line:col, never a host stack overflow or a BigInt RangeError. The expected messages are
 * llvm-mc 19's (recorded below; re-checked live where llvm-mc is installed).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { AsmError } from '../../src/util';
import { needs, tools } from '../helpers/tools';
import { scratch } from './oracle';

/** [source, llvm-mc 19's first diagnostic or '' when it assembles]. */
const CASES: [string, string][] = [
  ['.text\n.p2align 99999999999999999999999\nr0 = 1\nexit\n', '2:10: error: literal value out of range for directive'],
  ['.text\n.p2align 32\nr0 = 1\nexit\n', '2:10: error: invalid alignment value'],
  ['.text\n.p2align 31\nr0 = 1\nexit\n', ''],
  ['.text\n.p2align 17\nr0 = 1\nexit\n', ''],
  ['.text\n.p2align -1\nr0 = 1\nexit\n', ''],
  ['.text\n.align 131072\nr0 = 1\nexit\n', ''],
  ['.text\n.align 0\nr0 = 1\nexit\n', ''],
  ['.text\n.align 3\nr0 = 1\nexit\n', '2:8: error: alignment must be a power of 2'],
];

function ours(src: string): string {
  try {
    assemble(src, { file: 'p.s' });
    return '';
  } catch (e) {
    if (!(e instanceof AsmError)) throw e;
    const d = e.diagnostics[0]!;
    return `${d.pos.line}:${d.pos.col}: error: ${d.message}`;
  }
}

describe('alignment directives', () => {
  it.each(CASES)('%j as llvm-mc 19', (src, expected) => {
    expect(ours(src)).toBe(expected);
  });
});

describe('deep expressions', () => {
  // llvm-mc 19 assembles this source to `b7 00 00 00 20 4e 00 00` (checked by hand: it takes
  // llvm-mc tens of seconds, too long to repeat in every run).
  it('assembles 20,000 terms of 1+1+... to 0x4e20, as llvm-mc does', () => {
    const src = `r0 = ${Array(20_000).fill('1').join('+')}\nexit\n`;
    const r = assemble(src, { file: 'd.s', raw: true });
    expect(r.kind === 'raw' && Buffer.from(r.bytes).subarray(0, 8).toString('hex')).toBe('b7000000204e0000');
  });

  it('refuses 5,000 nested parentheses with a diagnostic, not a stack overflow', () => {
    const src = `r0 = ${'('.repeat(5000)}1${')'.repeat(5000)}\nexit\n`;
    expect(() => assemble(src, { file: 'e.s' })).toThrow(AsmError);
  });
});

describe.skipIf(!tools.llvmMc)(`the recorded llvm-mc messages${needs('llvmMc')}`, () => {
  it('still hold', () => {
    const s = scratch();
    try {
      for (const [src, expected] of CASES) {
        const file = join(s.dir, 'p.s');
        writeFileSync(file, src);
        const r = spawnSync(tools.llvmMc!, ['-triple', 'bpf', '-filetype=obj', file, '-o', join(s.dir, 'p.o')], { encoding: 'utf8' });
        const first = r.stderr.split('\n')[0] ?? '';
        expect(first.replace(`${file}:`, ''), src).toBe(expected);
      }
    } finally {
      s.done();
    }
  });
});
