/**
 * The foundation as a user runs it: `xdpts build` and `xdpts disasm` through the bundled CLI
 * (bin/xdpts), their outputs, exit codes and error texts, and the real tools reading what
 * xdpts wrote.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tools, needs } from '../helpers/tools';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');
let dir = '';

function xdpts(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  dir = mkdtempSync(join(tmpdir(), 'xdpts-build-e2e-'));
  for (const f of ['counter.asm', 'xdp_drop.asm']) copyFileSync(join(ROOT, 'programs', f), join(dir, f));
  copyFileSync(join(ROOT, 'fixtures/c/counter.c'), join(dir, 'counter_c.c'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('xdpts build', () => {
  it('writes programs/counter.o next to the source, silently like clang, with a JSON summary on request', () => {
    const r = xdpts('build', 'counter.asm');
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    const bytes = readFileSync(join(dir, 'counter.o'));
    expect([...bytes.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(bytes.readUInt16LE(18)).toBe(247); // EM_BPF
    const j = JSON.parse(xdpts('build', 'xdp_drop.asm', '-o', 'drop.o', '--json').stdout);
    expect(j).toMatchObject({
      output: 'drop.o',
      format: 'elf',
      endian: 'bpfel',
      programs: [{ name: 'xdp_drop_prog', section: 'xdp_drop', insns: 2 }],
      maps: [],
    });
  });

  it('writes bare instructions with --raw and a big-endian object with --target bpfeb', () => {
    expect(xdpts('build', 'xdp_drop.asm', '--raw', '-o', 'drop.bin').code).toBe(0);
    expect(readFileSync(join(dir, 'drop.bin')).toString('hex')).toBe('b7000000010000009500000000000000');
    expect(xdpts('build', 'counter.asm', '--target', 'bpfeb', '-o', 'counter_eb.o').code).toBe(0);
    const eb = readFileSync(join(dir, 'counter_eb.o'));
    expect(eb[5]).toBe(2); // ELFDATA2MSB
    expect(eb.readUInt16BE(18)).toBe(247);
  });

  it('reports every error of a file as file:line:col with a caret, exit 2', () => {
    writeFileSync(join(dir, 'bad.asm'), 'xdp:\n\tr0 = 1\n\texitt\n\tr11 = 3\n\texit\n');
    const r = xdpts('build', 'bad.asm');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      "bad.asm:3:2: error: unknown instruction 'exitt'; did you mean 'exit'?\n exitt\n ^\n" +
        "bad.asm:4:2: error: invalid register 'r11'\n r11 = 3\n ^\n",
    );
    writeFileSync(join(dir, 'bad_ubpf.asm'), 'mov r0, 1\nmovv r1, 2\nexit\n');
    expect(xdpts('build', 'bad_ubpf.asm').stderr).toContain("bad_ubpf.asm:2:1: error: unknown instruction 'movv'; did you mean 'mov'?");
    const j = JSON.parse(xdpts('build', 'bad.asm', '--json').stdout);
    expect(j.error.message).toContain('bad.asm:3:2: error:');
  });

  it('refuses bad usage with exit 2 and never prints a stack', () => {
    for (const args of [['build', 'nosuch.asm'], ['build', 'counter.asm', '--target', 'mips'], ['build', 'counter.asm', '--dialect', 'gas'], ['disasm', 'counter.asm']]) {
      const r = xdpts(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('says clearly when no clang can compile C (exit 1)', () => {
    const r = xdpts('build', 'counter_c.c', '--cc', '/nonexistent/clang');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no clang found');
  });

  describe.skipIf(!tools.clang19)(`hands C to clang${needs('clang19')}`, () => {
    it('compiles with -O2 -g -target bpf and summarises the object', () => {
      const j = JSON.parse(xdpts('build', 'counter_c.c', '--json').stdout);
      expect(j).toMatchObject({ output: 'counter_c.o', programs: [{ name: 'count_packets', section: 'xdp' }], maps: [{ name: 'pkt_count', type: 2 }] });
    });
  });
});

describe('xdpts disasm', () => {
  it('lists a raw instruction file', () => {
    xdpts('build', 'xdp_drop.asm', '--raw', '-o', 'drop2.bin');
    expect(xdpts('disasm', 'drop2.bin').stdout).toBe('       0:\tb7 00 00 00 01 00 00 00\tr0 = 0x1\n       1:\t95 00 00 00 00 00 00 00\texit\n');
  });

  it('gives sections, symbols and instructions as JSON', () => {
    xdpts('build', 'counter.asm', '-o', 'c2.o');
    const j = JSON.parse(xdpts('disasm', 'c2.o', '--json').stdout);
    expect(j.format).toBe('elf64-bpf');
    expect(j.sections[0].name).toBe('xdp');
    expect(j.sections[0].symbols[0]).toMatchObject({ name: 'count_packets', offset: 0, size: 96 });
    expect(j.sections[0].insns[4]).toMatchObject({ offset: 32, text: 'r1 = 0x0 ll' });
  });

  it('names the byte offset of a malformed object (exit 2)', () => {
    const good = readFileSync(join(dir, 'counter.o'));
    writeFileSync(join(dir, 'trunc.o'), good.subarray(0, 200));
    const r = xdpts('disasm', 'trunc.o');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/offset 0x[0-9a-f]+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  describe.skipIf(!tools.llvmObjdump)(`equals llvm-objdump 19 on what xdpts built${needs('llvmObjdump')}`, () => {
    it.each([['counter.o'], ['counter_eb.o'], ['drop.o']])('%s with -d -r', (f) => {
      const theirs = execFileSync(tools.llvmObjdump!, ['-d', '-r', '--mcpu=v4', f], { cwd: dir, encoding: 'utf8' });
      expect(xdpts('disasm', '-r', f).stdout).toBe(theirs);
    });
  });

  describe.skipIf(!tools.llvmReadelf)(`objects open in llvm-readelf without warnings${needs('llvmReadelf')}`, () => {
    it.each([['counter.o'], ['counter_eb.o']])('%s', (f) => {
      const r = spawnSync(tools.llvmReadelf!, ['-a', f], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
    });
  });
});
