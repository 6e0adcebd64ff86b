/**
 * Malformed input never escapes as a raw exception: thousands of mutated sources (bounded to
 * ~1.5 s) either assemble or throw an AsmError with at least one located diagnostic.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { AsmError } from '../../src/util';

const ROOT = join(__dirname, '..', '..');
const SEEDS = ['programs/counter.asm', 'fixtures/asm/counter_ubpf.asm', 'fixtures/asm/alu_mix.asm', 'fixtures/asm/count_down.llvm.s'].map((p) =>
  readFileSync(join(ROOT, p), 'utf8'),
);
const ALPHABET = ' \t\n#;:,.+-*/()[]{}="\'\\0123456789xabcdefrwlLsu%@_<>&|^~!';

/** A small deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

describe('assembler fuzz', () => {
  it('turns every mutated source into a result or an AsmError', () => {
    const rand = rng(0x5eed);
    // A fixed number of mutations (not a time budget), so a loaded machine runs the same cases.
    let runs = 0;
    while (runs < 1500) {
      let src = SEEDS[runs % SEEDS.length]!;
      const edits = 1 + Math.floor(rand() * 6);
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(rand() * (src.length + 1));
        const op = rand();
        const ch = ALPHABET[Math.floor(rand() * ALPHABET.length)]!;
        if (op < 0.4) src = src.slice(0, at) + ch + src.slice(at);
        else if (op < 0.8) src = src.slice(0, at) + src.slice(at + 1 + Math.floor(rand() * 4));
        else src = src.slice(0, at) + src.slice(at, at + 40) + src.slice(at);
      }
      try {
        assemble(src, { file: 'fuzz.s', endian: runs % 2 ? 'be' : 'le', ...(runs % 3 === 0 ? { raw: true } : {}) });
      } catch (e) {
        if (!(e instanceof AsmError)) throw new Error(`raw exception for source:\n${src}\n${(e as Error).stack}`);
        expect(e.diagnostics.length).toBeGreaterThan(0);
        for (const d of e.diagnostics) expect(d.pos.line).toBeGreaterThan(0);
      }
      runs++;
    }
    expect(runs).toBe(1500);
  });
});
