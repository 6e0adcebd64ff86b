// Runs an example application with node: bundles examples/<name>/main.ts with esbuild (the
// `xdpts` import resolved to this repository's src/index.ts) into dist/examples/<name>.mjs and
// runs it in this process, so signals (Ctrl-C) reach it directly. Arguments after the name are
// the application's: `node scripts/run-example.mjs counter eth0 --interval 500`.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
const entry = name ? join(root, 'examples', name, 'main.ts') : '';
if (!name || !existsSync(entry)) {
  process.stderr.write(`usage: node scripts/run-example.mjs NAME [ARGS...]  (NAME: a folder of examples/ with a main.ts)\n`);
  process.exit(2);
}
const outfile = join(root, 'dist', 'examples', `${name}.mjs`);
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  alias: { xdpts: join(root, 'src/index.ts') },
  // elfy and commander are CommonJS; give the ESM bundle a require() for them.
  banner: { js: "import { createRequire as __xdptsCreateRequire } from 'node:module'; const require = __xdptsCreateRequire(import.meta.url);" },
});
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
