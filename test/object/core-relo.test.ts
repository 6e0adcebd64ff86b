import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  applyCoreRelos,
  essentialNameLen,
  kernelBtf,
  loadObject,
  BPF_CORE,
  CORE_POISON_IMM,
  KERNEL_BTF_VMLINUX_IDS,
  type CoreTarget,
} from '../../src/object/index';
import { BtfBuilder, findType, type Btf, type BtfCoreReloc } from '../../src/btf/index';
import { insn, lddw, lddwValue, type Instruction } from '../../src/isa/index';
import { Kernel } from '../../src/kernel';
import { ObjectError } from '../../src/util/index';
import { tools, needs } from '../helpers/tools';
import { kernelLoad, kernelRun, kernelUnload } from '../helpers/kernel';
import { fixture } from '../elf/fixture-files';

const ROOT = join(__dirname, '..', '..');

describe('kernel BTF blob', () => {
  it('holds the XDP types with the kernel layout', () => {
    const k = kernelBtf();
    const md = k.types[findType(k, 'xdp_md', 'struct')];
    expect(md).toMatchObject({ kind: 'struct', size: 24 });
    const names = md && md.kind === 'struct' ? md.members.map((m) => [m.name, m.bitOffset / 8]) : [];
    expect(names).toContainEqual(['rx_queue_index', 16]);
    for (const s of ['ethhdr', 'iphdr', 'ipv6hdr', 'tcphdr', 'udphdr', 'bpf_fib_lookup']) expect(findType(k, s, 'struct'), s).toBeGreaterThan(0);
    expect(findType(k, 'xdp_action', 'enum')).toBeGreaterThan(0);
    expect(KERNEL_BTF_VMLINUX_IDS.length).toBe(k.types.length);
  });
});

describe('CO-RE relocations of fixtures/c/core.c', () => {
  for (const file of ['core.o', 'core.eb.o', 'core.c14.o']) {
    it(`${file}: field offset relocated to the kernel's xdp_md (8 -> 16), exists stays 1`, () => {
      const p = loadObject(fixture(file), file).programs[0]!;
      const movs = p.insns.filter((i) => i.opcode === 0xb7 && i.dst === 1).map((i) => i.imm);
      expect(movs).toEqual([1, 16]);
    });
  }
});

describe.skipIf(!tools.kernel)(`core.o runs as in the kernel${needs('kernel')}`, () => {
  it('same r0 as bpftool prog run (Kernel API and xdpts run --json)', () => {
    const packet = new Uint8Array(64).map((_, i) => i);
    const kp = kernelLoad(join(ROOT, 'fixtures/c/core.o'));
    expect(kp.error).toBeUndefined();
    let want: number;
    try {
      const r = kernelRun(kp, packet);
      expect(r.error).toBeUndefined();
      want = r.retval;
    } finally {
      kernelUnload(kp);
    }
    expect(want).toBe(2); // XDP_PASS: the kernel's rx_queue_index is at 16
    const k = new Kernel({ engine: 'interp', ncpus: 1, seed: 1 });
    k.loadObject(loadObject(fixture('core.o'), 'core.o'), { type: 6 });
    expect(k.testRun(k.programList()[0]!, { packet }).retval).toBe(want);
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin/xdpts'), 'run', 'fixtures/c/core.o', '--packet', Buffer.from(packet).toString('hex'), '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { r0: string }).r0).toBe(`0x${want.toString(16)}`);
  });
});

/** Local BTF: struct s___flav { int a; unsigned short b; int c:3; int d:5 }, enum e { X=1, Y=-2 }. */
function localBtf(): Btf {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 });
  const u16 = b.add({ kind: 'int', name: 'unsigned short', size: 2, encoding: 0, bitOffset: 0, bits: 16 });
  b.add({
    kind: 'struct',
    name: 's___flav',
    size: 12,
    kflag: true,
    members: [
      { name: 'a', type: int, bitOffset: 0, bitSize: 0 },
      { name: 'b', type: u16, bitOffset: 32, bitSize: 0 },
      { name: 'c', type: int, bitOffset: 64, bitSize: 3 },
      { name: 'gone', type: int, bitOffset: 67, bitSize: 5 },
    ],
  });
  b.add({ kind: 'enum', name: 'e', size: 4, signed: true, values: [{ name: 'X', value: 1 }, { name: 'Y', value: -2 }, { name: 'Z', value: 3 }] });
  b.add({ kind: 'struct', name: 'missing', size: 4, kflag: false, members: [{ name: 'a', type: int, bitOffset: 0, bitSize: 0 }] });
  return b.btf;
}

/** Target BTF: struct s { long pad; unsigned int b; int a; struct { int c:7; } ; }, enum e { Y=-2, X=10 }. */
function targetBtf(): CoreTarget {
  const b = new BtfBuilder();
  const int = b.add({ kind: 'int', name: 'int', size: 4, encoding: 1, bitOffset: 0, bits: 32 });
  const u32 = b.add({ kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
  const long = b.add({ kind: 'int', name: 'long', size: 8, encoding: 1, bitOffset: 0, bits: 64 });
  const anon = b.add({ kind: 'struct', name: '', size: 4, kflag: true, members: [{ name: 'c', type: int, bitOffset: 10, bitSize: 7 }] });
  b.add({
    kind: 'struct',
    name: 's',
    size: 20,
    kflag: true,
    members: [
      { name: 'pad', type: long, bitOffset: 0, bitSize: 0 },
      { name: 'b', type: u32, bitOffset: 64, bitSize: 0 },
      { name: 'a', type: int, bitOffset: 96, bitSize: 0 },
      { name: '', type: anon, bitOffset: 128, bitSize: 0 },
    ],
  });
  b.add({ kind: 'enum', name: 'e', size: 4, signed: true, values: [{ name: 'Y', value: -2 }, { name: 'X', value: 10 }] });
  return { btf: b.btf };
}

const S = 3; // local type ids
const E = 4;
const MISSING = 5;
const mov = (imm: number): Instruction => insn(0xb7, 1, 0, 0, imm);

function relocate(slots: (Instruction | undefined)[], relos: Omit<BtfCoreReloc, 'insnOff'>[], target = targetBtf()): (Instruction | undefined)[] {
  const out = [...slots];
  applyCoreRelos(
    'test',
    out,
    relos.map((r, i) => ({ ...r, insnOff: i * 8 })),
    localBtf(),
    target,
    false,
  );
  return out;
}

describe('applyCoreRelos on hand-built BTF', () => {
  it('essential names cut the last ___flavour', () => {
    expect(essentialNameLen('xdp_md___local')).toBe(6);
    expect(essentialNameLen('a___b___c')).toBe(5);
    expect(essentialNameLen('__x')).toBe(3);
    expect(essentialNameLen('a____b')).toBe(6);
  });

  it('field relocations: byte_off, byte_sz, exists, signed, shifts (incl. anonymous member)', () => {
    const k = BPF_CORE;
    const out = relocate(
      [mov(0), mov(4), mov(2), mov(1), mov(1), mov(0), mov(48), mov(61), mov(29)],
      [
        { typeId: S, accessStr: '0:0', kind: k.FIELD_BYTE_OFFSET },
        { typeId: S, accessStr: '0:1', kind: k.FIELD_BYTE_OFFSET },
        { typeId: S, accessStr: '0:1', kind: k.FIELD_BYTE_SIZE },
        { typeId: S, accessStr: '0:1', kind: k.FIELD_EXISTS },
        { typeId: S, accessStr: '0:0', kind: k.FIELD_SIGNED },
        { typeId: S, accessStr: '0:1', kind: k.FIELD_SIGNED },
        { typeId: S, accessStr: '0:1', kind: k.FIELD_LSHIFT_U64 },
        { typeId: S, accessStr: '0:2', kind: k.FIELD_RSHIFT_U64 },
        { typeId: S, accessStr: '0:2', kind: k.FIELD_LSHIFT_U64 },
      ],
    );
    // a: 0 -> 12; b: 4 -> 8, size 2 -> 4; c (bits 138..144 in a u32 at 16): lshift 64-(138+7-128), rshift 57.
    expect(out.map((i) => i!.imm)).toEqual([12, 8, 4, 1, 1, 0, 32, 57, 47]);
  });

  it('a missing field: exists gives 0, other field relocations poison the insn (lddw: both halves)', () => {
    const out = relocate(
      [mov(1), insn(0x61, 1, 2, 8, 0), lddw(1, 8n), undefined],
      [
        { typeId: S, accessStr: '0:3', kind: BPF_CORE.FIELD_EXISTS },
        { typeId: S, accessStr: '0:3', kind: BPF_CORE.FIELD_BYTE_OFFSET },
        { typeId: S, accessStr: '0:3', kind: BPF_CORE.FIELD_BYTE_OFFSET },
      ],
    );
    expect(out[0]!.imm).toBe(0);
    expect(out[1]).toEqual(insn(0x85, 0, 0, 0, CORE_POISON_IMM));
    expect(out[2]).toEqual(insn(0x85, 0, 0, 0, CORE_POISON_IMM));
    expect(out[3]).toEqual(insn(0x85, 0, 0, 0, CORE_POISON_IMM));
  });

  it('ldx: offset patched and the load widened for an unsigned int (u16 -> u32)', () => {
    const out = relocate([insn(0x69, 1, 2, 4, 0)], [{ typeId: S, accessStr: '0:1', kind: BPF_CORE.FIELD_BYTE_OFFSET }]);
    expect(out[0]).toEqual(insn(0x61, 1, 2, 8, 0));
  });

  it('a value the compiler did not emit is an error (validation, as libbpf)', () => {
    expect(() => relocate([mov(5)], [{ typeId: S, accessStr: '0:0', kind: BPF_CORE.FIELD_BYTE_OFFSET }])).toThrow(ObjectError);
  });

  it('enum relocations: enumval_exists, enumval_value (also lddw, sign-extended), poison when absent', () => {
    const out = relocate(
      [mov(1), mov(1), mov(1), mov(3), lddw(1, 0xfffffffffffffffen), undefined],
      [
        { typeId: E, accessStr: '0', kind: BPF_CORE.ENUMVAL_EXISTS },
        { typeId: E, accessStr: '0', kind: BPF_CORE.ENUMVAL_VALUE },
        { typeId: E, accessStr: '2', kind: BPF_CORE.ENUMVAL_EXISTS },
        { typeId: E, accessStr: '2', kind: BPF_CORE.ENUMVAL_VALUE },
        { typeId: E, accessStr: '1', kind: BPF_CORE.ENUMVAL_VALUE },
      ],
    );
    expect(out[0]!.imm).toBe(1);
    expect(out[1]!.imm).toBe(10);
    expect(out[2]!.imm).toBe(0);
    expect(out[3]).toEqual(insn(0x85, 0, 0, 0, CORE_POISON_IMM));
    expect(lddwValue(out[4]!)).toBe(0xfffffffffffffffen);
  });

  it('type relocations: local id, target id, exists, size, matches; absent types give 0', () => {
    const k = BPF_CORE;
    const t = targetBtf();
    const out = relocate(
      [mov(99), mov(S), mov(1), mov(12), mov(1), mov(1), mov(4), mov(1)],
      [
        { typeId: S, accessStr: '0', kind: k.TYPE_ID_LOCAL },
        { typeId: S, accessStr: '0', kind: k.TYPE_ID_TARGET },
        { typeId: S, accessStr: '0', kind: k.TYPE_EXISTS },
        { typeId: S, accessStr: '0', kind: k.TYPE_SIZE },
        { typeId: S, accessStr: '0', kind: k.TYPE_MATCHES },
        { typeId: MISSING, accessStr: '0', kind: k.TYPE_EXISTS },
        { typeId: MISSING, accessStr: '0', kind: k.TYPE_SIZE },
        { typeId: E, accessStr: '0', kind: k.TYPE_MATCHES },
      ],
      { ...t, typeIds: [0, 100, 101, 102, 103, 104, 105] },
    );
    // s___flav's b is a u16 where s has a u32: no match; enum e's Z is not in the target: no match.
    expect(out.map((i) => i!.imm)).toEqual([S, 104, 1, 20, 0, 0, 0, 0]);
  });
});
