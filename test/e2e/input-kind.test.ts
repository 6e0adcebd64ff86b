/**
 * What `disasm`, `verify` and `run` accept as input, and `build` of a source with no
 * instructions, through the bundled CLI. llvm-objdump refuses a file that is not an object
 * ("The file was not recognized as a valid object file", exit 1, recorded below and re-checked
 * live); xdpts refuses it too (exit 2: bad input) and reads raw instructions only with --raw or a
 * .bin name. llvm-mc assembles an empty source silently; xdpts warns (exit 0) instead, on purpose.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needs, tools } from '../helpers/tools';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');
let dir = '';

function xdpts(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** llvm-objdump 19 on a text file (recorded on the reference machine). */
const OBJDUMP_REFUSAL = "error: 'xdp_drop.asm': The file was not recognized as a valid object file";

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  dir = mkdtempSync(join(tmpdir(), 'xdpts-input-kind-'));
  copyFileSync(join(ROOT, 'programs', 'xdp_drop.asm'), join(dir, 'xdp_drop.asm'));
  expect(xdpts('build', 'xdp_drop.asm', '--raw', '-o', 'drop.bin').code).toBe(0);
  copyFileSync(join(dir, 'drop.bin'), join(dir, 'drop.raw'));
  expect(xdpts('build', 'xdp_drop.asm', '-o', 'drop.o').code).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('non-ELF input', () => {
  it.each([['disasm'], ['verify'], ['run']])('%s of a source file says "not an ELF object" and to build it first (exit 2)', (cmd) => {
    const r = xdpts(cmd, 'xdp_drop.asm');
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toBe('xdpts: xdp_drop.asm: not an ELF object; it looks like source text: build it first (xdpts build xdp_drop.asm)\n');
    const j = JSON.parse(xdpts(cmd, 'xdp_drop.asm', '--json').stdout);
    expect(j.error).toMatchObject({ code: 'usage', message: expect.stringContaining('not an ELF object') });
  });

  it.each([['disasm'], ['verify'], ['run']])('%s of binary data with another name needs --raw', (cmd) => {
    const r = xdpts(cmd, 'drop.raw');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('xdpts: drop.raw: not an ELF object; raw instructions need --raw or a .bin name\n');
  });

  it('reads raw instructions with --raw or a .bin name', () => {
    const listing = '       0:\tb7 00 00 00 01 00 00 00\tr0 = 0x1\n       1:\t95 00 00 00 00 00 00 00\texit\n';
    expect(xdpts('disasm', 'drop.bin').stdout).toBe(listing);
    expect(xdpts('disasm', '--raw', 'drop.raw').stdout).toBe(listing);
    expect(xdpts('verify', 'drop.bin')).toMatchObject({ code: 0, stdout: 'drop.bin: raw (section xdp): accepted, processed 2 insns\n' });
    expect(JSON.parse(xdpts('verify', '--raw', 'drop.raw', '--json').stdout)).toMatchObject({ program: 'raw', accepted: true });
    expect(xdpts('run', '--raw', 'drop.raw', '--mem', '00')).toMatchObject({ code: 0, stdout: 'r0: 0x1\n' });
  });

  it('refuses --raw on an ELF object (exit 2)', () => {
    expect(xdpts('disasm', '--raw', 'drop.o')).toMatchObject({ code: 2, stderr: 'xdpts: drop.o: --raw given, but the file is an ELF object\n' });
  });

  describe.skipIf(!tools.llvmObjdump)(`llvm-objdump refuses the same source file${needs('llvmObjdump')}`, () => {
    it('exit 1 with the recorded message', () => {
      const r = spawnSync(tools.llvmObjdump!, ['-d', 'xdp_drop.asm'], { cwd: dir, encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(OBJDUMP_REFUSAL);
    });
  });
});

describe('build of a source with no instructions', () => {
  it.each([
    ['empty.s', ''],
    ['data.s', '.section .data\n.long 1\n'],
  ])('%s builds (exit 0) with a warning', (name, text) => {
    writeFileSync(join(dir, name), text);
    const r = xdpts('build', name, '-o', 'out.o');
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: `xdpts: warning: ${name}: no instructions: the output holds no program\n` });
    expect(JSON.parse(xdpts('build', name, '-o', 'out.o', '--json').stdout)).toMatchObject({ programs: [], warnings: [`${name}: no instructions: the output holds no program`] });
    expect(xdpts('build', '--raw', name, '-o', 'out.bin').stderr).toContain('no instructions');
  });

  it('a source with instructions builds silently', () => {
    expect(xdpts('build', 'xdp_drop.asm', '-o', 'again.o')).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });
});
