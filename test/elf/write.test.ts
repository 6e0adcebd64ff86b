import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElf, writeElf, SHT_REL, SHT_STRTAB, SHT_SYMTAB, SHT_LLVM_ADDRSIG, STB_LOCAL, type ElfFile } from '../../src/elf/index';
import { ObjectError } from '../../src/util/index';
import { tools, needs } from '../helpers/tools';
import { FIXTURE_OBJECTS, fixture } from './fixture-files';

const generated = new Set([SHT_REL, SHT_STRTAB, SHT_SYMTAB, SHT_LLVM_ADDRSIG, 0]);

/** What must survive a round trip: content sections, symbols (by name), relocations (by names). */
function essence(f: ElfFile) {
  const secName = (i: number): string => f.sections[i]?.name ?? `special:${i}`;
  return {
    endian: f.endian,
    machine: f.machine,
    sections: f.sections
      .filter((s) => !generated.has(s.type))
      .map((s) => ({ name: s.name, type: s.type, flags: s.flags, size: s.size, align: s.addralign, entsize: s.entsize, data: Buffer.from(s.data).toString('hex') })),
    symbols: f.symbols.map((s) => ({ ...s, section: s.section >= 0xff00 ? s.section : secName(s.section) })),
    relocs: f.relocSections.map((r) => ({
      target: secName(r.target),
      relocations: r.relocations.map((x) => [x.offset, x.type, f.symbols[x.symbol]!.name, f.symbols[x.symbol]!.type]),
    })),
  };
}

const tmp = mkdtempSync(join(tmpdir(), 'xdpts-elf-'));
const written = new Map<string, string>();
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
function writeTemp(file: string): string {
  const have = written.get(file);
  if (have) return have;
  const o = FIXTURE_OBJECTS.find((x) => x.file === file)!;
  const path = join(tmp, file);
  writeFileSync(path, writeElf(readElf(o.bytes, file)));
  written.set(file, path);
  return path;
}

describe('writeElf round trip', () => {
  it('read → write → read keeps every section, symbol and relocation of every fixture', () => {
    for (const o of FIXTURE_OBJECTS) {
      const a = readElf(o.bytes, o.file);
      const b = readElf(writeElf(a), o.file);
      expect(essence(b), o.file).toEqual(essence(a));
    }
  });

  it('is a fixed point: writing what it wrote gives the same bytes', () => {
    for (const o of FIXTURE_OBJECTS) {
      const once = writeElf(readElf(o.bytes));
      expect(Buffer.compare(Buffer.from(writeElf(readElf(once))), Buffer.from(once)), o.file).toBe(0);
    }
  });

  it('lays out like LLVM: .strtab at index 1, .rel<name> after its target, .symtab last, locals first', () => {
    const f = readElf(writeElf(readElf(fixture('subprog.o'))));
    expect(f.sections[1]!.name).toBe('.strtab');
    expect(f.sections.at(-1)!.type).toBe(SHT_SYMTAB);
    const symtab = f.sections.at(-1)!;
    expect(symtab.link).toBe(1);
    expect(f.symbols.slice(0, symtab.info).every((s) => s.bind === STB_LOCAL)).toBe(true);
    expect(f.symbols.slice(symtab.info).every((s) => s.bind !== STB_LOCAL)).toBe(true);
    for (const r of f.relocSections) {
      expect(r.section).toBe(r.target + 1);
      expect(f.sections[r.section]!.name).toBe(`.rel${f.sections[r.target]!.name}`);
      expect(f.sections[r.section]!.link).toBe(f.sections.length - 1);
    }
    // The section header table comes after every section's contents, 8-aligned.
    const end = Math.max(...f.sections.map((s) => s.offset + (s.type === 8 ? 0 : s.size)));
    const bytes = writeElf(readElf(fixture('subprog.o')));
    const shoff = Number(new DataView(bytes.buffer).getBigUint64(40, true));
    expect(shoff).toBeGreaterThanOrEqual(end);
    expect(shoff % 8).toBe(0);
    expect(bytes.length).toBe(shoff + 64 * f.sections.length);
  });

  it('renumbers symbols and relocation targets from section `index` identities', () => {
    const f = readElf(fixture('counter.o'));
    // Reverse the section list: indices stay identities, positions change.
    const shuffled: ElfFile = { ...f, sections: [...f.sections].reverse() };
    const g = readElf(writeElf(shuffled));
    const fn = g.symbols.find((s) => s.name === 'count_packets')!;
    expect(g.sections[fn.section]!.name).toBe('xdp');
    const rel = g.relocSections.find((r) => g.sections[r.target]!.name === 'xdp')!;
    expect(g.symbols[rel.relocations[0]!.symbol]!.name).toBe('pkt_count');
  });

  it('refuses a symbol in a section that is not there', () => {
    const f = readElf(fixture('counter.o'));
    const bad: ElfFile = { ...f, symbols: [...f.symbols, { name: 'x', value: 0, size: 0, bind: 1, type: 1, other: 0, section: 77 }] };
    expect(() => writeElf(bad)).toThrow(ObjectError);
  });
});

describe(`written objects open in llvm-readelf and llvm-objdump${needs('llvmReadelf')}`, () => {
  it.skipIf(!tools.llvmReadelf)('llvm-readelf -a prints no warning', () => {
    for (const o of FIXTURE_OBJECTS) {
      const r = spawnSync(tools.llvmReadelf!, ['-a', writeTemp(o.file)], { encoding: 'utf8' });
      expect(r.status, o.file).toBe(0);
      expect(r.stderr, o.file).toBe('');
      expect(r.stdout).not.toMatch(/warning/i);
    }
  });
  it.skipIf(!tools.llvmObjdump)('llvm-objdump -d -r disassembles exactly like the original', () => {
    for (const o of FIXTURE_OBJECTS) {
      const dump = (p: string): string =>
        execFileSync(tools.llvmObjdump!, ['-d', '-r', p], { encoding: 'utf8' }).split('\n').slice(2).join('\n');
      expect(dump(writeTemp(o.file)), o.file).toBe(dump(o.path));
    }
  });
});

describe(`written objects open in libbpf (bpftool)${needs('bpftool')}`, () => {
  it.skipIf(!tools.bpftool)('bpftool btf dump file prints the same types', () => {
    for (const o of FIXTURE_OBJECTS) {
      const dump = (p: string): string => execFileSync(tools.bpftool!, ['btf', 'dump', 'file', p], { encoding: 'utf8' });
      expect(dump(writeTemp(o.file)), o.file).toBe(dump(o.path));
    }
  });
  it.skipIf(!tools.bpftool)('bpftool gen skeleton accepts the written bpfel objects', () => {
    for (const o of FIXTURE_OBJECTS.filter((x) => x.variant === 'o' && x.name !== 'legacy_maps')) {
      const r = spawnSync(tools.bpftool!, ['gen', 'skeleton', writeTemp(o.file), 'name', o.name], { encoding: 'utf8' });
      expect(r.stderr, o.file).toBe('');
      expect(r.status, o.file).toBe(0);
      expect(r.stdout).toContain(`struct ${o.name} {`);
    }
  });
});

describe(`written objects load in the real kernel${needs('kernel')}`, () => {
  it.skipIf(!tools.kernel)('bpftool prog load of the written counter and drop objects', () => {
    for (const [file, pin] of [
      ['counter.o', '/sys/fs/bpf/xdptsA_counter'],
      ['xdp_drop.o', '/sys/fs/bpf/xdptsA_drop'],
      ['counter.c14.o', '/sys/fs/bpf/xdptsA_counter14'],
    ] as const) {
      try {
        const r = spawnSync(tools.bpftool!, ['prog', 'load', writeTemp(file), pin, 'type', 'xdp'], { encoding: 'utf8' });
        expect(r.status, `${file}: ${r.stderr}`).toBe(0);
        const show = execFileSync(tools.bpftool!, ['prog', 'show', 'pinned', pin, '--json'], { encoding: 'utf8' });
        expect(JSON.parse(show)).toMatchObject({ type: 'xdp', gpl_compatible: true });
      } finally {
        rmSync(pin, { force: true });
      }
    }
  });
});
