/**
 * Test helper: runs the real LLVM 19 tools on raw instruction bytes. The bytes are wrapped in a
 * relocatable object by `llvm-mc -filetype=obj` (`.byte` directives in an executable section),
 * then disassembled by `llvm-objdump -d --mcpu=v4` in one batch.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tools } from '../helpers/tools';

/** A scratch directory removed by the returned cleanup function. */
export function scratch(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'xdpts-asm-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Wraps raw bytes in a BPF object made by llvm-mc; returns the object bytes. */
export function objectOfBytes(bytes: Uint8Array, endian: 'le' | 'be', section = 'xdp'): Uint8Array {
  const s = scratch();
  try {
    const lines = [`\t.section ${section},"ax",@progbits`, '\t.globl f', 'f:'];
    for (let i = 0; i < bytes.length; i += 8) {
      lines.push('\t.byte ' + Array.from(bytes.subarray(i, i + 8), (b) => '0x' + b.toString(16)).join(','));
    }
    const src = join(s.dir, 'a.s');
    const obj = join(s.dir, 'a.o');
    writeFileSync(src, lines.join('\n') + '\n');
    execFileSync(tools.llvmMc!, ['-triple', endian === 'le' ? 'bpfel' : 'bpfeb', '-mcpu=v4', '-filetype=obj', src, '-o', obj]);
    return new Uint8Array(readFileSync(obj));
  } finally {
    s.done();
  }
}

/** Runs `llvm-objdump` with the given flags on object bytes; returns its stdout. */
export function objdump(obj: Uint8Array, flags: string[], name = 'a.o'): string {
  const s = scratch();
  try {
    const path = join(s.dir, name);
    writeFileSync(path, obj);
    return execFileSync(tools.llvmObjdump!, [...flags, name], { cwd: s.dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  } finally {
    s.done();
  }
}

/** Runs `llvm-mc -show-encoding` on assembly text; returns stdout and stderr. */
export function llvmMcShow(text: string, endian: 'le' | 'be' = 'le'): { stdout: string; stderr: string } {
  const s = scratch();
  try {
    const src = join(s.dir, 'a.s');
    writeFileSync(src, text);
    try {
      const stdout = execFileSync(tools.llvmMc!, ['-triple', endian === 'le' ? 'bpfel' : 'bpfeb', '-mcpu=v4', '-show-encoding', src], {
        encoding: 'utf8',
        maxBuffer: 1 << 26,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return { stdout, stderr: '' };
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      return { stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  } finally {
    s.done();
  }
}
