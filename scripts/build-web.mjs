// Bundles the playground (web/) with esbuild into dist/web/: index.html, app.css and app.js.
// The browser gets src/'s pure folders; the few node: modules and globals they name (the
// program tag's SHA-1, random seeds, the CPU count, Buffer for the ELF reader, the clock) are
// replaced by web/shims, so the bundle imports nothing from Node. Prints the bundle size.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist/web');
// Built aside, then renamed into place file by file: a page being served (or a second build
// running at the same time) never sees a half-written file.
const tmp = `${out}.tmp-${process.pid}`;
mkdirSync(tmp, { recursive: true });
mkdirSync(out, { recursive: true });
const shim = (name) => join(root, 'web/shims', name);
const result = await build({
  entryPoints: [join(root, 'web/main.ts')],
  outfile: join(tmp, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  loader: { '.asm': 'text' },
  alias: { 'node:crypto': shim('node-crypto.ts'), 'node:os': shim('node-os.ts'), assert: shim('node-assert.ts'), util: shim('node-util.ts') },
  inject: [shim('buffer.ts'), shim('process.ts')],
});
// Nothing of Node may be left: a node: import would fail in the browser at load.
const nodeImports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.filter((x) => x.path.startsWith('node:')).map((x) => x.path));
if (nodeImports.length) throw new Error(`the web bundle imports Node modules: ${[...new Set(nodeImports)].join(', ')}`);
for (const f of ['index.html', 'app.css']) copyFileSync(join(root, 'web', f), join(tmp, f));
for (const f of ['app.js.map', 'app.js', 'app.css', 'index.html']) renameSync(join(tmp, f), join(out, f));
rmSync(tmp, { recursive: true, force: true });
const kb = (f) => (statSync(join(out, f)).size / 1024).toFixed(1);
console.log(`dist/web: app.js ${kb('app.js')} KiB, app.css ${kb('app.css')} KiB, index.html ${kb('index.html')} KiB`);
