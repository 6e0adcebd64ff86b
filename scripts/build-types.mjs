// Emits the library's declarations (dist/types/**/*.d.ts) for projects that resolve `xdpts`
// with moduleResolution node16/nodenext (the "node" condition of package.json's exports):
// tsc writes them from src/index.ts, then relative specifiers get the explicit `.js` (or
// `/index.js`) that ESM resolution requires, since the sources import extensionless.
// Bundler and node10 resolution use src/index.ts directly and need none of this.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/types');
rmSync(out, { recursive: true, force: true });
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
