import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  loadObject,
  objectFromElf,
  readElf,
  internalMapName,
  sectionDef,
  BPF_MAP_TYPE,
  BPF_PROG_TYPE_XDP,
  BPF_PROG_TYPE_SCHED_CLS,
  BPF_PROG_TYPE_SOCKET_FILTER,
  BPF_ATTACH,
  BPF_F_RDONLY_PROG,
  BPF_F_MMAPABLE,
  type ObjectSpec,
  type ElfFile,
} from '../../src/object/index';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, OP_LDDW } from '../../src/isa/index';
import { ObjectError, XdptsError } from '../../src/util/index';
import { tools, needs } from '../helpers/tools';
import { FIXTURE_OBJECTS, fixture } from '../elf/fixture-files';

const load = (file: string): ObjectSpec => loadObject(fixture(file), file);
const variants = (name: string): string[] => [`${name}.o`, `${name}.eb.o`, `${name}.c14.o`];

describe('loadObject: the tutorial fixtures', () => {
  for (const file of variants('counter')) {
    it(`counter (${file})`, () => {
      const o = load(file);
      expect(o.license).toBe('GPL');
      expect(o.endian).toBe(file.includes('.eb.') ? 'be' : 'le');
      expect(o.maps).toEqual([
        expect.objectContaining({ name: 'pkt_count', type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0, pinning: 0, section: '.maps' }),
      ]);
      const m = o.maps[0]!;
      expect(o.btf!.types[m.keyTypeId]).toMatchObject({ kind: 'typedef', name: '__u32' });
      expect(o.btf!.types[m.valueTypeId]).toMatchObject({ kind: 'typedef', name: '__u64' });
      expect(o.programs.length).toBe(1);
      const p = o.programs[0]!;
      expect(p).toMatchObject({ name: 'count_packets', section: 'xdp', type: BPF_PROG_TYPE_XDP, attachType: BPF_ATTACH.XDP, license: 'GPL', subprograms: [] });
      expect(p.insns.length).toBe(11);
      expect([...p.references]).toEqual([[4, { kind: 'map', map: 'pkt_count', value: false, offset: 0 }]]);
      expect(p.insns[4]).toMatchObject({ opcode: OP_LDDW, dst: 1, src: BPF_PSEUDO_MAP_FD, imm: 0, imm2: 0 });
      expect(p.insns.at(-1)).toMatchObject({ opcode: 0x95 });
      expect(o.btf!.types[p.btfFuncId]).toMatchObject({ kind: 'func', name: 'count_packets' });
      // Line info per instruction index: the lookup call's line sits on the lddw of the map.
      expect(p.lineInfo.get(4)?.line).toContain('bpf_map_lookup_elem(&pkt_count, &key)');
      expect(p.lineInfo.get(4)?.lineNum).toBe(16);
    });
  }

  for (const file of variants('xdp_drop')) {
    it(`xdp_drop (${file}): an unknown section name keeps program type 0, as libbpf`, () => {
      const o = load(file);
      expect(o.maps).toEqual([]);
      expect(o.programs.map((p) => [p.name, p.section, p.type, p.attachType, p.insns.length])).toEqual([['xdp_drop_prog', 'xdp_drop', 0, 0, 2]]);
      expect(o.programs[0]!.insns[0]).toMatchObject({ opcode: 0xb7, dst: 0, imm: 1 }); // r0 = XDP_DROP
      expect(o.programs[0]!.lineInfo.size).toBeGreaterThan(0);
    });
  }
});

describe('loadObject: globals, subprograms, several programs, legacy maps, struct values', () => {
  it('global data sections become ARRAY maps named as libbpf names them', () => {
    for (const file of variants('globals')) {
      const o = load(file);
      expect(o.license).toBe('Dual BSD/GPL');
      expect(o.maps.map((m) => [m.name, m.section, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.isGlobalData, m.readOnly])).toEqual([
        ['globals.rodata', '.rodata', BPF_MAP_TYPE.ARRAY, 4, 16, 1, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, true, true],
        ['globals.data', '.data', BPF_MAP_TYPE.ARRAY, 4, 8, 1, BPF_F_MMAPABLE, true, false],
        ['.data.custom', '.data.custom', BPF_MAP_TYPE.ARRAY, 4, 4, 1, BPF_F_MMAPABLE, true, false],
        ['globals.bss', '.bss', BPF_MAP_TYPE.ARRAY, 4, 24, 1, BPF_F_MMAPABLE, true, false],
      ]);
      const rodata = o.maps[0]!;
      const dv = new DataView(rodata.initialValue!.buffer, rodata.initialValue!.byteOffset);
      const le = o.endian === 'le';
      expect(dv.getUint32(0, le)).toBe(2); // verdict = XDP_PASS
      expect(dv.getBigUint64(8, le)).toBe(1000n); // limit
      expect(o.maps[3]!.initialValue).toEqual(new Uint8Array(24));
      expect(o.btf!.types[rodata.valueTypeId]).toMatchObject({ kind: 'datasec', name: '.rodata' });
      const p = o.programs[0]!;
      const refs = [...p.references.values()];
      expect(refs).toContainEqual({ kind: 'map', map: 'globals.rodata', value: true, offset: 8 }); // &limit
      expect(refs).toContainEqual({ kind: 'map', map: 'globals.bss', value: true, offset: 16 }); // &dropped
      for (const [i, r] of p.references) {
        expect(p.insns[i]).toMatchObject({ opcode: OP_LDDW, src: BPF_PSEUDO_MAP_VALUE, imm: 0 });
        if (r.kind === 'map') expect(p.insns[i]!.imm2).toBe(r.offset);
      }
    }
  });

  it('libbpf internal map names: object prefix, 15 characters, sanitised', () => {
    expect(internalMapName('counter', '.rodata')).toBe('counter.rodata');
    expect(internalMapName('my_object_name', '.bss')).toBe('my_objec.bss');
    expect(internalMapName('x', '.rodata.str1.1')).toBe('.rodata.str1.1');
    expect(internalMapName('a-b', '.data')).toBe('a_b.data');
    expect(internalMapName('', '.data')).toBe('.data');
    expect(loadObject(fixture('globals.o')).maps[0]!.name).toBe('.rodata');
  });

  it('links static subprograms after each entry program, as bpf_object__relocate_calls', () => {
    for (const file of variants('subprog')) {
      const o = load(file);
      expect(o.programs.map((p) => [p.name, p.section, p.type, p.attachType])).toEqual([
        ['xdp_entry', 'xdp', BPF_PROG_TYPE_XDP, BPF_ATTACH.XDP],
        ['xdp_frags_entry', 'xdp.frags', BPF_PROG_TYPE_XDP, BPF_ATTACH.XDP],
      ]);
      const [entry, frags] = o.programs;
      expect(entry!.subprograms.map((s) => s.name)).toEqual(['classify', 'twice']);
      expect(frags!.subprograms.map((s) => s.name)).toEqual(['twice']);
      for (const p of o.programs) {
        for (const [i, r] of p.references) {
          expect(r.kind).toBe('func');
          if (r.kind !== 'func') continue;
          expect(p.insns[i]).toMatchObject({ opcode: 0x85, src: BPF_PSEUDO_CALL });
          expect(p.subprograms.map((s) => s.start)).toContain(r.target);
        }
        // The linked call offsets are slot-relative (a lddw counts twice), like the kernel's.
        const slots: number[] = [];
        let s = 0;
        for (const ins of p.insns) {
          slots.push(s);
          s += ins.opcode === OP_LDDW ? 2 : 1;
        }
        for (const [i, r] of p.references) if (r.kind === 'func') expect(slots[i]! + p.insns[i]!.imm + 1).toBe(slots[r.target]);
        // Every subprogram brings its line info along.
        for (const sp of p.subprograms) expect(p.lineInfo.has(sp.start)).toBe(true);
      }
      expect(frags!.insns.length).toBe(7);
    }
    // The bpfel build matches the kernel's xlated length of the linked xdp_entry (21 insns).
    expect(load('subprog.o').programs[0]!.insns.length).toBe(21);
  });

  it('an lddw of a .text function becomes BPF_PSEUDO_FUNC with a linked offset (bpf_loop callback)', () => {
    for (const file of variants('callback')) {
      const p = load(file).programs[0]!;
      expect(p.name).toBe('xdp_loop');
      expect(p.subprograms).toEqual([{ name: 'add_one', start: 13, btfFuncId: expect.any(Number) }]);
      // Its func_info names the BTF FUNC of the same name (the verifier reads its linkage and prototype).
      expect(p.btf!.types[p.subprograms[0]!.btfFuncId!]).toMatchObject({ kind: 'func', name: 'add_one' });
      expect([...p.references]).toEqual([[5, { kind: 'func', target: 13 }]]);
      // Slot 5 + imm 8 + 1 = slot 14, where add_one starts (the lddw takes two slots).
      expect(p.insns[5]).toMatchObject({ opcode: OP_LDDW, dst: 2, src: 4, imm: 8, imm2: 0 });
    }
  });

  it('several programs and maps in one object', () => {
    const o = load('multi.o');
    expect(o.programs.map((p) => [p.name, p.section, p.type, p.attachType])).toEqual([
      ['xdp_count', 'xdp', BPF_PROG_TYPE_XDP, BPF_ATTACH.XDP],
      ['xdp_block', 'xdp', BPF_PROG_TYPE_XDP, BPF_ATTACH.XDP],
      ['tc_pass', 'tc', BPF_PROG_TYPE_SCHED_CLS, 0],
      ['sock_all', 'socket', BPF_PROG_TYPE_SOCKET_FILTER, 0],
    ]);
    expect(o.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.pinning])).toEqual([
      ['src_count', BPF_MAP_TYPE.HASH, 4, 8, 1024, 0, 1],
      ['stats', BPF_MAP_TYPE.PERCPU_ARRAY, 4, 8, 4, 0, 0],
      ['blocklist', BPF_MAP_TYPE.LPM_TRIE, 8, 1, 256, 1, 0],
      ['tx_ports', BPF_MAP_TYPE.DEVMAP, 4, 4, 8, 0, 0],
    ]);
    expect(o.btf!.types[o.maps[2]!.keyTypeId]).toMatchObject({ kind: 'struct', name: 'lpm_key' });
    expect(o.maps[1]!.keyTypeId).toBe(0); // key_size, not a key type
    const mapsUsed = (name: string): string[] =>
      [...o.programs.find((p) => p.name === name)!.references.values()].map((r) => (r.kind === 'map' ? r.map : r.kind));
    expect(mapsUsed('xdp_count')).toEqual(['src_count', 'src_count', 'stats']);
    expect(mapsUsed('xdp_block')).toEqual(['blocklist', 'tx_ports']);
  });

  it('legacy `maps` section (struct bpf_map_def)', () => {
    for (const file of variants('legacy_maps')) {
      const o = load(file);
      expect(o.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags, m.section])).toEqual([
        ['rxcnt', BPF_MAP_TYPE.PERCPU_ARRAY, 4, 8, 256, 0, 'maps'],
        ['flows', BPF_MAP_TYPE.HASH, 8, 16, 64, 1, 'maps'],
      ]);
      expect([...o.programs[0]!.references.values()]).toEqual([{ kind: 'map', map: 'rxcnt', value: false, offset: 0 }]);
    }
  });

  it('struct-rich map values keep their BTF types', () => {
    const o = load('struct_value.o');
    const m = o.maps[0]!;
    expect([m.type, m.keySize, m.valueSize, m.maxEntries]).toEqual([BPF_MAP_TYPE.LRU_HASH, 8, 40, 4096]);
    expect(o.btf!.types[m.keyTypeId]).toMatchObject({ kind: 'struct', name: 'addr_pair' });
    expect(o.btf!.types[m.valueTypeId]).toMatchObject({ kind: 'typedef', name: 'flow_stats_t' });
  });

  it('the same meaning from every build of every fixture (insn counts may differ by compiler)', () => {
    for (const name of new Set(FIXTURE_OBJECTS.map((o) => o.name))) {
      const [le, be] = [load(`${name}.o`), load(`${name}.eb.o`)];
      expect(be.maps.map((m) => ({ ...m, initialValue: undefined }))).toEqual(le.maps.map((m) => ({ ...m, initialValue: undefined })));
      expect(be.programs.map((p) => [p.name, p.section, p.type, p.subprograms.map((s) => s.name)])).toEqual(
        le.programs.map((p) => [p.name, p.section, p.type, p.subprograms.map((s) => s.name)]),
      );
    }
  });
});

describe('libbpf section table', () => {
  it('matches names as libbpf 1.x does', () => {
    expect(sectionDef('xdp')).toMatchObject({ progType: BPF_PROG_TYPE_XDP, attachType: BPF_ATTACH.XDP });
    expect(sectionDef('xdp.frags')).toMatchObject({ progType: BPF_PROG_TYPE_XDP, attachType: BPF_ATTACH.XDP });
    expect(sectionDef('xdp/devmap')).toMatchObject({ attachType: BPF_ATTACH.XDP_DEVMAP });
    expect(sectionDef('xdp.frags/cpumap')).toMatchObject({ attachType: BPF_ATTACH.XDP_CPUMAP });
    expect(sectionDef('xdp_drop')).toBeUndefined();
    expect(sectionDef('xdpfoo')).toBeUndefined();
    expect(sectionDef('kprobe/do_sys_open')).toMatchObject({ progType: 2 });
    expect(sectionDef('kprobe')).toMatchObject({ progType: 2 });
    expect(sectionDef('kprobex')).toBeUndefined();
    expect(sectionDef('classifier')).toMatchObject({ progType: BPF_PROG_TYPE_SCHED_CLS });
    expect(sectionDef('tc/ingress')).toMatchObject({ progType: BPF_PROG_TYPE_SCHED_CLS, attachType: BPF_ATTACH.TCX_INGRESS });
  });
});

describe('loadObject errors', () => {
  const patched = (file: string, f: (elf: ElfFile) => void): ObjectSpec => {
    const elf = readElf(fixture(file));
    f(elf);
    return objectFromElf(elf, file);
  };
  it('a relocation at an instruction that is neither lddw nor call', () => {
    expect(() =>
      patched('counter.o', (e) => {
        e.relocSections.find((r) => e.sections[r.target]!.name === 'xdp')!.relocations[0]!.offset = 0;
      }),
    ).toThrowError(/counter\.o: invalid relocation against 'pkt_count' at xdp\+0x0: instruction 0xb7 is neither lddw nor call/);
  });
  it('a relocation against a symbol that is not a map', () => {
    expect(() =>
      patched('counter.o', (e) => {
        e.relocSections.find((r) => e.sections[r.target]!.name === 'xdp')!.relocations[0]!.symbol = e.symbols.findIndex((s) => s.name === 'LICENSE');
      }),
    ).toThrowError(/bad map relo against 'LICENSE' in section 'license'/);
  });
  it('a relocation inside an lddw', () => {
    expect(() =>
      patched('counter.o', (e) => {
        e.relocSections.find((r) => e.sections[r.target]!.name === 'xdp')!.relocations[0]!.offset = 0x28;
      }),
    ).toThrowError(/middle of an lddw/);
  });
  it('a call into the middle of a subprogram', () => {
    expect(() =>
      patched('subprog.o', (e) => {
        const text = e.sections.find((s) => s.name === 'xdp')!;
        const d = text.data.slice();
        new DataView(d.buffer).setInt32(0x10 + 4, 1, true); // call imm: .text slot 2
        text.data = d;
      }),
    ).toThrowError(/middle of function 'classify'/);
  });
  it('a call relocation that does not point into .text', () => {
    expect(() =>
      patched('subprog.o', (e) => {
        e.relocSections.find((r) => e.sections[r.target]!.name === 'xdp')!.relocations[0]!.symbol = e.symbols.findIndex((s) => s.name === 'xdp_entry');
      }),
    ).toThrowError(/bad call relo against 'xdp_entry'/);
  });
  it('.maps without BTF', () => {
    expect(() => patched('counter.o', (e) => void (e.sections.find((s) => s.name === '.BTF')!.name = '.notbtf'))).toThrowError(/need(s)? BTF/);
  });
  it('not a BPF machine', () => {
    expect(() => patched('counter.o', (e) => void (e.machine = 62))).toThrowError(ObjectError);
  });
  it('a static function outside .text is refused like libbpf', () => {
    expect(() => patched('counter.o', (e) => void (e.symbols.find((s) => s.name === 'count_packets')!.bind = 0))).toThrowError(/static and not supported/);
  });
  it('malformed BTF is a BtfError naming the section', () => {
    let err: unknown;
    try {
      patched('counter.o', (e) => {
        const s = e.sections.find((x) => x.name === '.BTF')!;
        s.data = s.data.slice(0, 30);
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XdptsError);
    expect((err as Error).message).toMatch(/^\.BTF: /);
  });
});

describe(`loadObject agrees with libbpf${needs('bpftool')}`, () => {
  it.skipIf(!tools.bpftool)('the programs and maps bpftool gen skeleton sees', () => {
    for (const name of ['counter', 'globals', 'subprog', 'multi', 'struct_value', 'xdp_drop']) {
      const o = load(`${name}.o`);
      const r = spawnSync(tools.bpftool!, ['gen', 'skeleton', FIXTURE_OBJECTS.find((x) => x.file === `${name}.o`)!.path, 'name', name], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const progs = /struct \{\n((?:\t\tstruct bpf_program \*\w+;\n)*)\t\} progs;/.exec(r.stdout)?.[1] ?? '';
      expect([...progs.matchAll(/\*(\w+);/g)].map((m) => m[1]), name).toEqual(o.programs.map((p) => p.name));
      const maps = /struct \{\n((?:\t\tstruct bpf_map \*\w+;\n)*)\t\} maps;/.exec(r.stdout)?.[1] ?? '';
      // The skeleton names global data maps after their section (rodata, data_custom...).
      const ident = (m: { name: string; section: string; isGlobalData?: boolean }): string =>
        m.isGlobalData ? m.section.slice(1).replace(/\./g, '_') : m.name;
      expect([...maps.matchAll(/\*(\w+);/g)].map((m) => m[1]), name).toEqual(o.maps.map(ident));
    }
  });
});
