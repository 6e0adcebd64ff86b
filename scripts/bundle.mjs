// Bundles the CLI into dist/xdpts.mjs with esbuild so that `bin/xdpts` starts fast.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: join(root, 'dist/xdpts.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  // elfy and commander are CommonJS; give the ESM bundle a require() for them.
  banner: { js: "import { createRequire as __xdptsCreateRequire } from 'node:module'; const require = __xdptsCreateRequire(import.meta.url);" },
});
