/**
 * Packaging proof of generated bindings: they type-check under `tsc --strict` (with the extra
 * strictness flags many projects use) as an ES module project and as a CommonJS project, bundle
 * with esbuild, and run in node both as ESM and as CommonJS, `using` included. The `xdpts`
 * import is mapped to the test shim of the runtime contract.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SHIM, bundle, generateCase, readCase, writeTemp } from './harness';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

let dir = '';
beforeAll(async () => {
  const files = [...(await generateCase(readCase('counter'))), ...(await generateCase(readCase('rich'))), ...(await generateCase(readCase('xdp_drop')))];
  dir = writeTemp(files);
  // An application written against the generated module, like the article's main.go.
  writeFileSync(
    join(dir, 'app.ts'),
    `import { counterNames, loadCounterObjects, type CounterObjects } from './counter';
import { RichRecord, loadRichObjects } from './rich_bpfel';
import { events } from 'xdpts';

declare const console: { log(s: string): void };

const out: unknown[] = [];
{
  using objs: CounterObjects = loadCounterObjects();
  const m = objs.maps.pktCount;
  m.update(0, 41n);
  m.update(0, (m.lookup(0) ?? 0n) + 1n, 'exist');
  out.push(String(m.lookup(0)), counterNames.maps.pktCount, objs.programs.countPackets.name);
}
{
  using rich = loadRichObjects();
  rich.maps.perCpuEps.update(1, [{ port: 80, proto: 6, ifindex: 2 }]);
  out.push(rich.maps.perCpuEps.lookup(1)?.[0]?.port, RichRecord.size);
}
out.push(events.join(','));
console.log(JSON.stringify(out));
`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tsc(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [TSC, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function writeTsconfig(name: string, module: 'esnext' | 'commonjs'): void {
  writeFileSync(
    join(dir, name),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2022',
        module,
        moduleResolution: module === 'commonjs' ? 'node10' : 'bundler',
        lib: ['ES2022', 'ESNext.Disposable'],
        types: [],
        isolatedModules: true,
        skipLibCheck: true,
        noImplicitReturns: true,
        noFallthroughCasesInSwitch: true,
        noUnusedLocals: true,
        noUnusedParameters: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: module === 'esnext',
        paths: { xdpts: [SHIM] },
      },
      files: ['counter.ts', 'rich_bpfel.ts', 'rich_bpfeb.ts', 'xdpdrop.ts', 'app.ts'],
    }),
  );
}

describe('generated bindings compile, bundle and run', () => {
  it('type-check with tsc --strict as an ES module project', () => {
    writeTsconfig('tsconfig.esm.json', 'esnext');
    const r = tsc(['-p', 'tsconfig.esm.json']);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('type-check with tsc --strict as a CommonJS project', () => {
    writeTsconfig('tsconfig.cjs.json', 'commonjs');
    const r = tsc(['-p', 'tsconfig.cjs.json']);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it('a type error in code using the bindings is caught (the typing is not `any`)', () => {
    writeFileSync(join(dir, 'bad.ts'), `import { loadCounterObjects } from './counter';\nloadCounterObjects().maps.pktCount.update(0, 1);\n`);
    // `paths` needs a tsconfig: reuse the ESM one with another file list.
    writeFileSync(join(dir, 'tsconfig.bad.json'), JSON.stringify({ extends: './tsconfig.esm.json', files: ['bad.ts'] }));
    const r2 = tsc(['-p', 'tsconfig.bad.json']);
    expect(r2.status).not.toBe(0);
    expect(r2.out).toMatch(/bad\.ts\(2,.*'number' is not assignable to parameter of type 'bigint'/);
  });

  for (const format of ['esm', 'cjs'] as const) {
    it(`bundles with esbuild and runs in node as ${format === 'esm' ? 'an ES module' : 'CommonJS'}`, async () => {
      const out = join(dir, `app.${format === 'esm' ? 'mjs' : 'cjs'}`);
      await bundle(join(dir, 'app.ts'), out, format);
      const r = spawnSync(process.execPath, [out], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual([
        '42', 'pkt_count', 'count_packets', 80, 256,
        // `using` closes programs then maps, then the collection closes what is left (nothing).
        'load,close collection,close program count_packets,close map pkt_count,load,close collection,close program xdp_rich,close program xdp_Rich,close map records,close map per_cpu_eps,close map raw_bytes,close map quad',
      ]);
    });
  }
});
