/**
 * The npm package as a user gets it: `npm pack` (its prepack builds the bundles and generates
 * the declarations), the tarball installed into a fresh project in a temp directory with no
 * registry access, then the CLI, an ES module import, a CommonJS require, and `tsc --strict` on
 * code using the API and a binding written by the installed `xdpts gen`, under module /
 * moduleResolution nodenext, node16 and bundler with target ES2022 and ESNext, no @types/node
 * and skipLibCheck off (so every shipped .d.ts is checked). Slow (a build, an install and a
 * `tsc -b` over seven projects, 2-4 minutes): in test/heavy.
 *
 * The pack runs in a staging copy of the sources so that rebuilding dist/ never races other
 * tests reading this checkout's dist/.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const NPM_ENV = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };

let tmp = '';
let proj = '';
let files: string[] = [];
let version = '';

function sh(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: NPM_ENV, timeout: 600_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'xdptsL_pkg-'));
  const stage = join(tmp, 'stage');
  mkdirSync(stage);
  for (const f of ['package.json', 'package-lock.json', 'README.md', 'LICENSE', 'tsconfig.json', 'bin', 'scripts', 'src'])
    cpSync(join(ROOT, f), join(stage, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
  const packed = JSON.parse(sh('npm', ['pack', '--json', '--pack-destination', tmp], stage)) as { filename: string; version: string; files: { path: string }[] }[];
  files = packed[0]!.files.map((f) => f.path).sort();
  version = packed[0]!.version;
  proj = join(tmp, 'proj');
  mkdirSync(proj);
  writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --offline: the package must install from the tarball alone (its bundles need no dependency).
  sh('npm', ['install', '--offline', join(tmp, packed[0]!.filename)], proj);
  cpSync(join(ROOT, 'fixtures/c/counter.o'), join(proj, 'counter.o'));
  sh(join(proj, 'node_modules/.bin/xdpts'), ['gen', 'counter', 'counter.o'], proj);
}, 900_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const APP = `import { Kernel, loadCollectionSpec, MapError, TestRunError, VerifierError, xdpMdFromBytes, type BtfMap, type KernelCollection, type RunResult, type XdpMdIn } from 'xdpts';
import { loadCounterObjects, type CounterObjects } from './counter.js';

const kernel = Kernel.inMemory({ seed: 1, clock: 'virtual' });
const coll: KernelCollection<'pkt_count', 'count_packets'> = kernel.loadCollection<'pkt_count', 'count_packets'>(loadCollectionSpec('counter.o'));
const frame = new Uint8Array(64);
frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
const r: RunResult = coll.programs.count_packets.run(frame, { ctx: { ingressIfindex: 1 }, repeat: 2 });
const withMeta: RunResult = coll.programs.count_packets.run(frame, { meta: new Uint8Array(4) });
const ctxOut: XdpMdIn = xdpMdFromBytes(coll.programs.count_packets.testRun({ data: frame, ctx: new Uint8Array(24) }).ctx ?? new Uint8Array(24));
const m: BtfMap = coll.maps.pkt_count;
const n = m.lookup(0);
coll.close();
const objs: CounterObjects = loadCounterObjects({ kernel });
objs.programs.countPackets.run(frame);
const v: bigint | undefined = objs.maps.pktCount.lookup(0);
objs.close();
const isTyped = (e: unknown): boolean => e instanceof MapError || e instanceof VerifierError || (e instanceof TestRunError && e.errno === 'ENODEV');
export const summary = [r.action, r.retval, String(n), String(v), isTyped(new MapError('EINVAL', 'x')), withMeta.meta.length, ctxOut.data_end];
`;

const APP_USING = `import { Kernel } from 'xdpts';
import { loadCounterObjects } from './counter.js';
export function count(frame: Uint8Array): bigint | undefined {
  using objs = loadCounterObjects({ kernel: Kernel.inMemory() });
  objs.programs.countPackets.run(frame);
  return objs.maps.pktCount.lookup(0);
}
`;

const CJS = `import xdpts = require('xdpts');
const k: xdpts.Kernel = xdpts.Kernel.inMemory();
export const where: string = k.where;
`;

describe('the npm package', () => {
  it('holds the bundles, the declarations, README and LICENSE, and nothing else', () => {
    const outside = files.filter((f) => !/^(dist\/(index\.(js|cjs)|xdpts\.mjs)(\.map)?|dist\/types(-cjs)?\/.+\.d\.ts|dist\/types-cjs\/package\.json|bin\/xdpts|package\.json|README\.md|LICENSE)$/.test(f));
    expect(outside).toEqual([]);
    for (const f of ['dist/index.js', 'dist/index.cjs', 'dist/xdpts.mjs', 'dist/types/index.d.ts', 'dist/types-cjs/index.d.ts', 'README.md', 'LICENSE', 'bin/xdpts'])
      expect(files).toContain(f);
  });

  it('npx xdpts --version runs the installed CLI', () => {
    expect(sh('npx', ['--no-install', 'xdpts', '--version'], proj).trim()).toBe(version);
  });

  const SCRIPT = `const k = X.Kernel.inMemory();
const c = k.loadCollection('counter.o');
const f = new Uint8Array(64); f.set([0xff,0xff,0xff,0xff,0xff,0xff,2,0,0,0,0,1,8,0]);
const r = c.programs.count_packets.run(f, { repeat: 3 });
console.log(JSON.stringify([r.action, String(c.maps.pkt_count.lookup(0))]));`;

  it('imports as an ES module and requires as CommonJS, and runs a program in memory', () => {
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as X from 'xdpts';\n${SCRIPT}`], { cwd: proj, encoding: 'utf8' });
    const cjs = execFileSync(process.execPath, ['--input-type=commonjs', '-e', `const X = require('xdpts');\n${SCRIPT}`], { cwd: proj, encoding: 'utf8' });
    expect(JSON.parse(esm)).toEqual(['XDP_PASS', '3']);
    expect(JSON.parse(cjs)).toEqual(['XDP_PASS', '3']);
  });

  it('tsc --strict accepts the API and a generated binding under nodenext, node16 and bundler, target ES2022 and ESNext', () => {
    // One `tsc -b` over a project per setting (it shares the parsed lib and .d.ts files: a
    // third of the time of six runs), plus one with a type error that must be reported.
    const settings = [
      ['nodenext', 'nodenext'],
      ['node16', 'node16'],
      ['esnext', 'bundler'],
    ].flatMap(([module, resolution]) => ['ES2022', 'ESNext'].map((target) => ({ module: module!, resolution: resolution!, target })));
    const refs: string[] = [];
    for (const s of [...settings, { module: 'nodenext', resolution: 'nodenext', target: 'ES2022', bad: true }]) {
      const name = `tsc-${s.module}-${s.resolution}-${s.target}${'bad' in s ? '-bad' : ''}`;
      const dir = join(proj, name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'app.ts'), APP);
      cpSync(join(proj, 'counter.ts'), join(dir, 'counter.ts'));
      const list = ['app.ts', 'counter.ts'];
      // `using` needs the lib's Disposable: only the ESNext target has it without @types/node.
      if (s.target === 'ESNext') {
        writeFileSync(join(dir, 'app-using.ts'), APP_USING);
        list.push('app-using.ts');
      }
      if (s.module !== 'esnext') {
        writeFileSync(join(dir, 'cjs.cts'), CJS);
        list.push('cjs.cts');
      }
      if ('bad' in s) {
        writeFileSync(join(dir, 'bad.ts'), `import { loadCounterObjects } from './counter.js';\nexport const x: string | undefined = loadCounterObjects().maps.pktCount.lookup(0);\n`);
        list.push('bad.ts');
      }
      const compilerOptions = { strict: true, noEmit: true, target: s.target, module: s.module, moduleResolution: s.resolution, types: [], skipLibCheck: false };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: list }));
      refs.push(name);
    }
    writeFileSync(join(proj, 'tsconfig.all.json'), JSON.stringify({ files: [], references: refs.map((path) => ({ path })) }));
    const r = spawnSync(process.execPath, [TSC, '-b', 'tsconfig.all.json'], { cwd: proj, encoding: 'utf8' });
    const errors = (r.stdout + r.stderr).split('\n').filter((l) => /error TS/.test(l));
    expect(errors).toEqual([expect.stringMatching(/^tsc-nodenext-nodenext-ES2022-bad\/bad\.ts\(2,14\): error TS2322/)]);
  });
});
