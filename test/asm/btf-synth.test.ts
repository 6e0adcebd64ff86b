/**
 * `xdpts build` writes the `.BTF`/`.BTF.ext` clang -g writes: the tutorial's programs, assembled
 * from programs/*.asm, carry the same BTF types and function info as the same programs compiled
 * by clang-19 (fixtures/c/*.o, ground truth committed beside their C sources); each instruction's
 * source line becomes line info; `.loc` lines are used where the source has them; subprograms are
 * static. Where the real kernel is usable, the objects load with bpftool with no libbpf warning
 * and get a BTF id, as clang's do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, type AssembleOptions } from '../../src/asm';
import { decodeBtf, decodeBtfExt, type Btf, type BtfExt } from '../../src/btf';
import { buildMapsSection, readElf, writeElf, type ElfFile } from '../../src/object';
import { kernelLoad, kernelUnload } from '../helpers/kernel';
import { needs, tools } from '../helpers/tools';
import { scratch } from './oracle';

const ROOT = join(__dirname, '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

function build(src: string, opts: Partial<AssembleOptions> = {}): ElfFile {
  const r = assemble(src, { file: 't.s', ...opts });
  if (r.kind !== 'elf') throw new Error('expected an ELF object');
  return readElf(writeElf(r.elf));
}
const data = (f: ElfFile, name: string): Uint8Array | undefined => f.sections.find((s) => s.name === name)?.data;
const btfOf = (f: ElfFile): Btf => decodeBtf(data(f, '.BTF')!);
const extOf = (f: ElfFile): BtfExt => decodeBtfExt(data(f, '.BTF.ext')!, data(f, '.BTF')!);

describe('BTF written for hand-written assembly', () => {
  for (const [asm, obj] of [
    ['programs/counter.asm', 'fixtures/c/counter.o'],
    ['programs/xdp_drop.asm', 'fixtures/c/xdp_drop.o'],
  ] as const) {
    it(`${asm}: the types and func info clang-19 -g writes for the same C program (${obj})`, () => {
      const mine = build(read(asm), { file: asm });
      const clang = readElf(new Uint8Array(readFileSync(join(ROOT, obj))));
      expect(btfOf(mine)).toEqual(btfOf(clang));
      expect([...extOf(mine).funcInfo]).toEqual([...extOf(clang).funcInfo]);
      expect(extOf(mine).coreRelos.size).toBe(0);
    });
  }

  it('gives every instruction its assembly line as line info (one record per change of line)', () => {
    const lines = extOf(build(read('programs/counter.asm'), { file: 'programs/counter.asm' })).lineInfo.get('xdp')!;
    expect(lines[0]).toEqual({ insnOff: 0, fileName: 'programs/counter.asm', line: '\tr1 = 0', lineNum: 14, lineCol: 2 });
    // 11 instructions on 11 lines; lddw is one record at its first slot.
    expect(lines.map((l) => l.insnOff)).toEqual([0, 8, 16, 24, 32, 48, 56, 64, 72, 80, 88]);
    expect(lines.map((l) => l.lineNum)).toEqual([14, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25]);
  });

  it('uses .file/.loc where the source has them, reading the named source for the line text', () => {
    const src = ['.file 1 "/src" "p.c"', '.section xdp,"ax"', '.globl f', 'f:', '.loc 1 3 5', 'r0 = 1', 'r0 += 1', '.loc 1 4 2', 'exit'].join('\n');
    const seen: string[] = [];
    const f = build(src, { readSource: (p) => (seen.push(p), 'line one\nline two\n\treturn 1;\n\t}\n') });
    expect(seen).toEqual(['/src/p.c']);
    expect(extOf(f).lineInfo.get('xdp')).toEqual([
      { insnOff: 0, fileName: '/src/p.c', line: '\treturn 1;', lineNum: 3, lineCol: 5 },
      { insnOff: 16, fileName: '/src/p.c', line: '\t}', lineNum: 4, lineCol: 2 },
    ]);
    // A function whose first .loc comes later still gets a record at its start (check_btf_line).
    const late = build(['.section xdp,"ax"', 'f:', 'r0 = 1', '.loc 1 9 0', 'exit'].join('\n'));
    expect(extOf(late).lineInfo.get('xdp')!.map((l) => [l.insnOff, l.lineNum])).toEqual([[0, 9], [8, 9]]);
  });

  it('makes programs global int NAME(struct xdp_md *ctx) and subprograms static int NAME(void)', () => {
    const src = ['.section xdp,"ax"', 'main:', 'call helper', 'call sub', 'exit', 'helper:', 'r0 = 2', 'exit', '.text', 'sub:', 'r0 = 0', 'exit', '.section tc,"ax"', 'cls:', 'r0 = 0', 'exit'].join('\n');
    const f = build(src);
    const btf = btfOf(f);
    const func = (name: string) => btf.types.find((t) => t.kind === 'func' && t.name === name) as { type: number; linkage: number };
    const proto = (name: string) => btf.types[func(name).type] as { kind: string; returnType: number; params: { name: string; type: number }[] };
    const ctxStruct = (name: string) => {
      const p = btf.types[proto(name).params[0]!.type] as { kind: string; type: number };
      return p.type === 0 ? 'void' : (btf.types[p.type] as { name: string }).name;
    };
    expect(func('main').linkage).toBe(1);
    expect(proto('main').params.map((p) => p.name)).toEqual(['ctx']);
    expect(ctxStruct('main')).toBe('xdp_md');
    expect(ctxStruct('cls')).toBe('void'); // a tc program: `void *ctx`
    for (const sub of ['helper', 'sub']) {
      expect(func(sub).linkage, sub).toBe(0);
      expect(proto(sub).params, sub).toEqual([]);
      expect(btf.types[proto(sub).returnType], sub).toMatchObject({ kind: 'int', name: 'int' });
    }
    // Each FUNC has its own FUNC_PROTO, as BTFDebug writes them.
    expect(new Set(['main', 'helper', 'sub', 'cls'].map((n) => func(n).type)).size).toBe(4);
    const fi = extOf(f).funcInfo;
    expect([...fi.keys()]).toEqual(['xdp', '.text', 'tc']);
    expect(fi.get('xdp')!.map((x) => x.insnOff)).toEqual([0, 24]);
  });

  it('leaves a hand-written .BTF alone, and with btf: false writes only what .map needs', () => {
    const own = build('.section xdp,"ax"\nf:\nexit\n.section .BTF\n.long 0\n');
    expect(data(own, '.BTF')).toEqual(new Uint8Array(4));
    expect(data(own, '.BTF.ext')).toBeUndefined();
    const bare = build('.section xdp,"ax"\nf:\nexit\n', { btf: false });
    expect(bare.sections.map((s) => s.name).filter((n) => n.startsWith('.BTF'))).toEqual([]);
    const decl = '.map m, type=hash, key=__u32, value=__u64, max_entries=4\n';
    const maps = build(`${decl}.section xdp,"ax"\nf:\nr1 = m ll\nexit\n`, { btf: false });
    expect(data(maps, '.BTF')).toEqual(buildMapsSection([{ name: 'm', type: 1, key: { type: '__u32' }, value: { type: '__u64' }, maxEntries: 4 }], 'le').btf);
    expect(data(maps, '.BTF.ext')).toBeUndefined();
  });

  it('writes the same types big-endian', () => {
    const le = build(read('programs/counter.asm'));
    const be = build(read('programs/counter.asm'), { endian: 'be' });
    expect(btfOf(be)).toEqual(btfOf(le));
    expect([...extOf(be).lineInfo]).toEqual([...extOf(le).lineInfo]);
  });
});

describe(`objects with written BTF load in the real kernel${needs('kernel')}`, () => {
  const sources: Record<string, string> = {
    counter: read('programs/counter.asm'),
    lb: read('programs/lb.asm'),
    // (libbpf refuses a static function in a program section: subprograms live in .text.)
    subprogs: ['.section xdp,"ax"', 'main:', 'call helper', 'call sub', 'exit', '.text', 'helper:', 'r0 = 2', 'exit', '.globl sub', 'sub:', 'r1 = 0', 'r0 = r1', 'exit', '.license "GPL"'].join('\n'),
    loc: ['.file 1 "x.c"', '.section xdp,"ax"', 'f:', 'r0 = 1', '.loc 1 7 3', 'r0 = 2', 'exit', '.license "GPL"'].join('\n'),
  };
  for (const [name, src] of Object.entries(sources)) {
    it.skipIf(!tools.kernel)(`${name}: bpftool prog load accepts it with func info, no libbpf warning`, () => {
      const s = scratch();
      try {
        const obj = join(s.dir, `${name}.o`);
        const r = assemble(src, { file: `${name}.asm` });
        if (r.kind !== 'elf') throw new Error('elf');
        writeFileSync(obj, writeElf(r.elf));
        const objdump = spawnSync(tools.llvmObjdump!, ['-d', '-S', obj], { encoding: 'utf8' });
        expect(objdump.status, objdump.stderr).toBe(0);
        const load = spawnSync(tools.bpftool!, ['prog', 'load', obj, `/sys/fs/bpf/nt_btf_${process.pid}`, 'type', 'xdp'], { encoding: 'utf8' });
        try {
          expect(load.status, load.stderr).toBe(0);
          expect(load.stderr).toBe('');
          const show = JSON.parse(execFileSync(tools.bpftool!, ['prog', 'show', 'pinned', `/sys/fs/bpf/nt_btf_${process.pid}`, '-j'], { encoding: 'utf8' })) as { btf_id?: number };
          expect(show.btf_id).toBeGreaterThan(0);
        } finally {
          spawnSync('rm', ['-f', `/sys/fs/bpf/nt_btf_${process.pid}`]);
        }
      } finally {
        s.done();
      }
    });
  }
  it.skipIf(!tools.kernel)('kernelLoad helper still loads the tutorial counter', () => {
    const s = scratch();
    try {
      const obj = join(s.dir, 'c.o');
      const r = assemble(sources.counter!, { file: 'counter.asm' });
      if (r.kind !== 'elf') throw new Error('elf');
      writeFileSync(obj, writeElf(r.elf));
      const p = kernelLoad(obj);
      expect(p.error).toBeUndefined();
      kernelUnload(p);
    } finally {
      s.done();
    }
  });
});
