import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disassemble } from '../../src/asm/disasm';
import { readElf } from '../../src/elf';
import { encode, insn, lddw } from '../../src/isa';
import { needs, tools } from '../helpers/tools';
import { allForms } from './forms';
import { objdump, objectOfBytes } from './oracle';

const ROOT = join(__dirname, '../..');
const objects = ['fixtures/c', 'fixtures/disasm'].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.o'))
    .map((f) => ({ dir, name: f })),
);

/** Compares line by line first (readable failures), then the whole text byte for byte. */
function same(mine: string, theirs: string): void {
  const a = mine.split('\n');
  const b = theirs.split('\n');
  for (let k = 0; k < Math.max(a.length, b.length); k++) expect(a[k], `line ${k + 1}`).toBe(b[k]);
  expect(mine).toBe(theirs);
}

describe('disassemble', () => {
  it('has fixtures to compare', () => {
    expect(objects.length).toBeGreaterThan(10);
    expect(objects.some((o) => o.name.endsWith('.eb.o'))).toBe(true);
    expect(objects.filter((o) => o.dir === 'fixtures/disasm').length, 'objects with llvm-objdump goldens').toBeGreaterThanOrEqual(10);
  });
  it('prints a known object as llvm-objdump does (no tool needed)', () => {
    const elf = readElf(new Uint8Array(readFileSync(join(ROOT, 'fixtures/c/counter.o'))));
    const text = disassemble(elf, { file: 'counter.o', relocs: true });
    expect(text.startsWith('\ncounter.o:\tfile format elf64-bpf\n\nDisassembly of section xdp:\n\n0000000000000000 <count_packets>:\n')).toBe(true);
    expect(text).toContain('\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0x0 ll\n\t\t0000000000000020:  R_BPF_64_64\tpkt_count\n');
  });
  it('prints CO-RE relocations from .BTF.ext only with -r and only when .BTF exists', () => {
    const load = (f: string) => readElf(new Uint8Array(readFileSync(join(ROOT, 'fixtures/disasm', f))));
    const kinds = disassemble(load('core_kinds.c.o'), { file: 'k.o', relocs: true });
    for (const k of ['byte_off', 'byte_sz', 'field_exists', 'signed', 'lshift_u64', 'rshift_u64', 'local_type_id', 'target_type_id', 'type_exists', 'type_size', 'type_matches', 'enumval_exists', 'enumval_value']) {
      expect(kinds).toContain(`CO-RE <${k}>`);
    }
    expect(kinds).toContain('\t\t0000000000000018:  CO-RE <field_exists> [2] struct outer::arr[1].<anon 1>.b[3] (0:1:1:1:1:3)\n');
    expect(disassemble(load('core_kinds.c.o'), { file: 'k.o' })).not.toContain('CO-RE');
    expect(disassemble(load('core_nobtf.o'), { file: 'n.o', relocs: true })).not.toContain('CO-RE');
    // CO-RE first, then the ELF relocation of the same instruction.
    expect(disassemble(load('core_edges.o'), { file: 'e.o', relocs: true })).toContain(
      '\t\t0000000000000000:  CO-RE <byte_off> [4] struct s::m[0] (0:1:0)\n\t\t0000000000000000:  R_BPF_64_64\text\n',
    );
  });
  it('rejects a non-BPF object', () => {
    const elf = readElf(new Uint8Array(readFileSync(join(ROOT, 'fixtures/c/counter.o'))));
    expect(() => disassemble({ ...elf, machine: 62 }, { file: 'x.o' })).toThrow(/not a BPF object/);
  });
});

/**
 * Golden outputs of llvm-objdump 19 beside the objects (fixtures/disasm/golden), so the
 * comparison runs on machines without LLVM. A missing golden fails; XDPTS_UPDATE_GOLDEN=1
 * rewrites them from the real tool.
 */
describe('disassemble vs recorded llvm-objdump 19 output', () => {
  const update = process.env.XDPTS_UPDATE_GOLDEN === '1';
  // Only our own objects: fixtures/c belongs to another part and is rebuilt independently.
  for (const { dir, name } of objects.filter((o) => o.dir === 'fixtures/disasm')) {
    for (const flags of [['-d'], ['-d', '-r']]) {
      const golden = join(ROOT, 'fixtures/disasm/golden', `${dir.split('/').pop()}__${name}.${flags.includes('-r') ? 'dr' : 'd'}.txt`);
      it(`${dir}/${name} ${flags.join(' ')} (golden)`, () => {
        const bytes = new Uint8Array(readFileSync(join(ROOT, dir, name)));
        if (update) {
          if (!tools.llvmObjdump) throw new Error('XDPTS_UPDATE_GOLDEN needs llvm-objdump');
          mkdirSync(join(ROOT, 'fixtures/disasm/golden'), { recursive: true });
          writeFileSync(golden, objdump(bytes, [...flags, '--mcpu=v4'], name));
        }
        expect(existsSync(golden), `missing golden ${golden} (run with XDPTS_UPDATE_GOLDEN=1)`).toBe(true);
        const mine = disassemble(readElf(bytes, name), { file: name, relocs: flags.includes('-r') });
        same(mine, readFileSync(golden, 'utf8'));
      });
    }
  }
});

describe.skipIf(!tools.llvmObjdump)(`disassemble vs llvm-objdump 19${needs('llvmObjdump')}`, () => {
  for (const { dir, name } of objects) {
    for (const flags of [['-d'], ['-d', '-r']]) {
      it(`${dir}/${name} ${flags.join(' ')}`, () => {
        const bytes = new Uint8Array(readFileSync(join(ROOT, dir, name)));
        const mine = disassemble(readElf(bytes, name), { file: name, relocs: flags.includes('-r') });
        same(mine, objdump(bytes, [...flags, '--mcpu=v4'], name));
      });
    }
  }
  it.skipIf(!tools.llvmMc)('every instruction form in both byte orders', () => {
    for (const endian of ['le', 'be'] as const) {
      const bytes = objectOfBytes(encode(allForms(), endian), endian);
      same(disassemble(readElf(bytes), { file: 'a.o' }), objdump(bytes, ['-d', '--mcpu=v4'], 'a.o'));
    }
  });
  it.skipIf(!tools.llvmMc)('zero runs, invalid lddw and a truncated tail', () => {
    const parts = [
      encode([insn(0xb7, 1, 0, 0, 0), insn(0), insn(0), insn(0xb7, 1, 0, 0, 1)]),
      encode([insn(0x18, 1, 0, 1, 0, 0)]), // lddw with off != 0: LLVM rejects it
      encode([lddw(12, 5n)]), // r12: rejected register
      new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0]),
      encode([insn(0x95)]),
      new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0x18, 1, 0, 0, 0, 0, 0, 0, 0x07, 0, 0]),
    ];
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    const bytes = objectOfBytes(all, 'le');
    same(disassemble(readElf(bytes), { file: 'z.o' }), objdump(bytes, ['-d', '--mcpu=v4'], 'z.o'));
  });
});
