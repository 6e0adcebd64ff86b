// Emits the library's declarations for the package (`npm pack` runs this through prepack):
// dist/types/**/*.d.ts, written by tsc from src/index.ts, with relative specifiers given the
// explicit `.js` (or `/index.js`) that node16/nodenext ESM resolution requires, since the
// sources import extensionless; and dist/types-cjs/, the same files under a package.json of
// type commonjs, which the `require` condition names so that CommonJS projects under
// node16/nodenext read them as CommonJS declarations.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/types');
const cjs = join(root, 'dist/types-cjs');
rmSync(out, { recursive: true, force: true });
rmSync(cjs, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'scripts/tsconfig.types.json')], { stdio: 'inherit' });

function files(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.d.ts') ? [join(dir, n)] : []));
}

/** './x' → './x.js' when x.d.ts exists, './x/index.js' when x is a folder with an index. */
function withExtension(file, spec) {
  if (!spec.startsWith('.') || /\.(js|mjs|cjs|json)$/.test(spec)) return spec;
  const base = resolve(dirname(file), spec);
  if (existsSync(`${base}.d.ts`)) return `${spec}.js`;
  if (existsSync(join(base, 'index.d.ts'))) return `${spec}/index.js`;
  return spec;
}

for (const f of files(out)) {
  const text = readFileSync(f, 'utf8');
  const fixed = text
    .replace(/(\bfrom\s+['"])(\.[^'"]*)(['"])/g, (_, a, s, b) => a + withExtension(f, s) + b)
    .replace(/(\bimport\(\s*['"])(\.[^'"]*)(['"]\s*\))/g, (_, a, s, b) => a + withExtension(f, s) + b);
  if (fixed !== text) writeFileSync(f, fixed);
}

cpSync(out, cjs, { recursive: true });
writeFileSync(join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
