/**
 * The test runner for library users (`import { runTests } from 'xdpts'`): src/testing's runner
 * with `source:` files built as the CLI builds them — assembly by xdpts's assembler, C by an
 * installed clang (`-O2 -g -target bpf`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble } from '../asm';
import { writeElf } from '../elf';
import { runTests as runWith, type TestReport, type TestSpec } from '../testing';
import { UsageError } from '../util/errors';

/** Builds a test file's `source:` into ELF bytes. */
export function buildTestSource(path: string): Uint8Array {
  if (path.endsWith('.c')) {
    const dir = mkdtempSync(join(tmpdir(), 'xdpts-src-'));
    try {
      const out = join(dir, 'prog.o');
      const args = ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`, '-c', path, '-o', out];
      for (const cc of [process.env['CC_BPF'], 'clang-19', 'clang'].filter((x): x is string => !!x)) {
        const r = spawnSync(cc, args, { encoding: 'utf8' });
        if (r.error) continue; // not installed: try the next
        if (r.status !== 0) throw new UsageError(`${cc} failed to compile ${path}:\n${(r.stderr || '').trimEnd()}`);
        return new Uint8Array(readFileSync(out));
      }
      throw new UsageError(`cannot compile ${path}: no clang found (install clang-19 or set CC_BPF)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const r = assemble(readFileSync(path, 'utf8'), { file: path });
  if (r.kind !== 'elf') throw new UsageError(`${path}: assembled to raw instructions, not an object`);
  return writeElf(r.elf);
}

/** Runs YAML test files (see `xdpts test`); sources are built as the CLI builds them. */
export function runTests(spec: TestSpec): TestReport {
  return runWith({ buildSource: buildTestSource, ...spec });
}
