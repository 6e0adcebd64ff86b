/**
 * The VM's execution fixtures are written in the uBPF / bpf_conformance syntax. Two parsers
 * read it: the small test assembler of test/vm/helpers and src/asm's `parseUbpfInstruction`.
 * Every fixture line without a label reference must give the same instruction from both, which
 * checks the fixtures' syntax and both parsers against each other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { parseUbpfInstruction } from '../../src/asm';
import { assembleUbpf, parseFixture } from './helpers/ubpf-asm';

const DIR = join(__dirname, '../../fixtures/vm/exec');
// Mnemonics newer than the uBPF assembler's set (RFC 9669 v4 gotol, LLVM 19 may_goto).
const ONLY_HERE = /^(gotol|may_goto)\b/;

test('fixture lines assemble identically with src/asm parseUbpfInstruction', () => {
  let compared = 0;
  for (const f of readdirSync(DIR).filter((x) => x.endsWith('.data'))) {
    const fx = parseFixture(f, readFileSync(join(DIR, f), 'utf8'));
    const lines = fx.asm.split('\n').map((l) => l.replace(/#.*$/, '').trim()).filter((l) => l && !l.endsWith(':'));
    const labels = new Set(fx.asm.split('\n').map((l) => /^\s*(\w+):/.exec(l)?.[1]).filter(Boolean));
    for (const line of lines) {
      if (ONLY_HERE.test(line) || line.split(/[\s,]+/).some((w) => labels.has(w))) continue;
      const theirs = parseUbpfInstruction(line);
      expect({ file: f, line, ok: theirs.ok }).toEqual({ file: f, line, ok: true });
      if (!theirs.ok) continue;
      expect({ file: f, line, insn: { ...theirs.insn } }).toEqual({ file: f, line, insn: assembleUbpf(line)[0] });
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(700);
});
