/**
 * `xdpts gen` end to end through the CLI bundle: from an object and from sources (assembly and
 * C, one file per target), `--json`, the exit codes of bad input, and byte-identical output when
 * run twice in two directories.
 */
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tools } from '../helpers/tools';
import { ROOT } from './harness';

let cli = '';
let work = '';
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'xdptsH_cli-'));
  cli = join(work, 'xdpts.mjs');
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: cli,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(args: string[], cwd = work): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('xdpts gen (CLI)', () => {
  it('writes <ident>.ts for an object, equal to the golden file, and reports it', () => {
    const out = join(work, 'a');
    const r = run(['gen', 'counter', join(ROOT, 'fixtures/c/counter.o'), '--out-dir', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`wrote ${join(out, 'counter.ts')} (1 map(s), 1 program(s), 0 type(s))\n`);
    const text = readFileSync(join(out, 'counter.ts'), 'utf8');
    const golden = readFileSync(join(ROOT, 'fixtures/gen/counter/expected/counter.ts'), 'utf8');
    // Same module as the library produces, plus the line saying how to regenerate it.
    expect(text).toBe(golden.replace(/^(\/\/ Source: .*\n)/m, '$1// Regenerate with: xdpts gen counter counter.o\n'));
  });

  it('--json lists files, maps, programs, types and warnings', () => {
    const r = run(['gen', 'rich', join(ROOT, 'fixtures/gen/rich.eb.o'), '--out-dir', join(work, 'j'), '--type', 'bits', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { files: { path: string; target: string; maps: { name: string }[]; types: string[] }[]; warnings: string[] };
    expect(j.files.map((f) => [f.path, f.target])).toEqual([[join(work, 'j', 'rich.ts'), 'bpfeb']]);
    expect(j.files[0]!.maps.map((m) => m.name)).toEqual(['records', 'per_cpu_eps', 'raw_bytes', 'quad']);
    expect(j.files[0]!.types).toContain('RichBits');
    expect(j.warnings.length).toBeGreaterThan(0);
  });

  it('builds the tutorial assembly source for both targets: <ident>_bpfel.ts and <ident>_bpfeb.ts', () => {
    const r = run(['gen', 'counter', join(ROOT, 'programs/counter.asm'), '--target', 'both', '--out-dir', join(work, 'b'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { files: { target: string; programs: { name: string }[]; maps: { tsName: string; key: string; value: string }[] }[] };
    expect(j.files.map((f) => f.target)).toEqual(['bpfel', 'bpfeb']);
    for (const f of j.files) {
      expect(f.programs.map((p) => p.name)).toEqual(['count_packets']);
      expect(f.maps).toMatchObject([{ tsName: 'pktCount', key: 'number', value: 'bigint' }]);
    }
    const le = readFileSync(join(work, 'b', 'counter_bpfel.ts'), 'utf8');
    expect(le).toMatch(/const LE = true;/);
    expect(le).toMatch(/readonly pktCount: BpfMap<number, bigint>;/);
    expect(readFileSync(join(work, 'b', 'counter_bpfeb.ts'), 'utf8')).toMatch(/const LE = false;/);
  });

  it.skipIf(!tools.clang19)(`compiles a C source first, like bpf2go${tools.clang19 ? '' : ' (skipped: clang-19 missing)'}`, () => {
    const r = run(['gen', 'rich', join(ROOT, 'fixtures/gen/src/rich.c'), '--out-dir', join(work, 'c'), '--cc', 'clang-19']);
    expect(r.stderr).toMatch(/warning: names 'xdp_rich', 'xdp_Rich' collide/);
    expect(r.code).toBe(0);
    const text = readFileSync(join(work, 'c', 'rich.ts'), 'utf8');
    expect(text).toMatch(/^\/\/ Source: rich_bpfel\.o \(bpfel,/m);
    expect(text).toMatch(/readonly records: BpfMap<RichAddrPair, RichRecord>;/);
  });

  it('is byte-identical when run twice from two directories', () => {
    const d1 = mkdtempSync(join(work, 'd1-'));
    const d2 = mkdtempSync(join(work, 'd2-'));
    for (const d of [d1, d2]) {
      writeFileSync(join(d, 'rich.o'), readFileSync(join(ROOT, 'fixtures/gen/rich.o')));
      expect(run(['gen', 'rich', 'rich.o', '--type', 'enum:color'], d).code).toBe(0);
    }
    expect(readFileSync(join(d1, 'rich.ts'), 'utf8')).toBe(readFileSync(join(d2, 'rich.ts'), 'utf8'));
  });

  it('exits 2 on a bad IDENT, a missing object, an unknown --type or a target the object cannot give', () => {
    const obj = join(ROOT, 'fixtures/c/counter.o');
    const cases: [string[], RegExp][] = [
      [['gen', '1abc', obj], /invalid IDENT '1abc'/],
      [['gen', 'class', obj], /reserved word/],
      [['gen', 'counter', join(work, 'nope.o')], /No such file/],
      [['gen', 'counter', obj, '--type', 'no_such_type'], /no BTF type of that name/],
      [['gen', 'counter', obj, '--target', 'bpfeb'], /is a bpfel object/],
      [['gen', 'counter', obj, '--target', 'mips'], /unknown target/],
    ];
    for (const [args, msg] of cases) {
      const r = run([...args, '--out-dir', join(work, 'x')]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
    expect(existsSync(join(work, 'x'))).toBe(false);
    const j = run(['gen', 'rich', join(ROOT, 'fixtures/gen/rich.o'), '--type', 'color', '--json', '--out-dir', join(work, 'x')]);
    expect(j.code).toBe(0); // `color` names only an enum: unambiguous
  });
});
