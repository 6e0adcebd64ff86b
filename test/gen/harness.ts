/**
 * Shared steps of the generator tests: generate a fixture case, write it to a temporary
 * directory, bundle it with esbuild (the `xdpts` import pointing at the test shim) and import it.
 */
import { build } from 'esbuild';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateBindings, type GeneratedFile } from '../../src/gen';
import { loadFixture } from './load-fixture';

export const ROOT = resolve(__dirname, '../..');
export const SHIM = resolve(__dirname, 'shim/xdpts.ts');

/** A golden case: fixtures/gen/<name>/case.json. */
export interface GenCase {
  ident: string;
  /** Object paths relative to the repository root. */
  objects: string[];
  types?: string[];
}

/** Reads a case description. */
export function readCase(name: string): GenCase {
  return JSON.parse(readFileSync(join(ROOT, 'fixtures/gen', name, 'case.json'), 'utf8')) as GenCase;
}

/** Generates the files of a case. */
export async function generateCase(c: GenCase): Promise<GeneratedFile[]> {
  const targets = [];
  for (const o of c.objects) {
    const { bytes, spec } = await loadFixture(join(ROOT, o));
    targets.push({ spec, bytes, objectName: basename(o) });
  }
  return generateBindings(targets, { ident: c.ident, ...(c.types ? { types: c.types } : {}) });
}

/** Writes files into a fresh temporary directory; returns its path. */
export function writeTemp(files: readonly { path: string; contents: string }[], prefix = 'xdptsH_gen-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const f of files) {
    mkdirSync(resolve(dir, f.path, '..'), { recursive: true });
    writeFileSync(join(dir, f.path), f.contents);
  }
  return dir;
}

/** Bundles `entry` with esbuild (xdpts → the shim) into `outfile` in the given format. */
export async function bundle(entry: string, outfile: string, format: 'esm' | 'cjs'): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format,
    platform: 'node',
    target: 'node20',
    alias: { xdpts: SHIM },
    logLevel: 'silent',
  });
}

/** Bundles a generated module as ESM and imports it (with the shim's exports alongside). */
export async function importGenerated<T>(dir: string, file: string): Promise<T> {
  const entry = join(dir, `entry-${basename(file, '.ts')}.ts`);
  writeFileSync(entry, `export * from './${basename(file, '.ts')}';\nexport { events as shimEvents } from ${JSON.stringify(SHIM)};\n`);
  const out = join(dir, `${basename(file, '.ts')}.bundle.mjs`);
  await bundle(entry, out, 'esm');
  return (await import(pathToFileURL(out).href)) as T;
}
