// Bundles with esbuild: the CLI into dist/xdpts.mjs (so that `bin/xdpts` starts fast), and the
// library (src/index.ts, what `import ... from 'xdpts'` gives) into dist/index.js (ESM) and
// dist/index.cjs (CommonJS), so ESM and CommonJS projects both load it with no TypeScript step.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// elfy and commander are CommonJS; give the ESM bundles a require() for them.
const esmRequire = "import { createRequire as __xdptsCreateRequire } from 'node:module'; const require = __xdptsCreateRequire(import.meta.url);";
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: [join(root, 'src/cli/main.ts')], outfile: join(root, 'dist/xdpts.mjs'), format: 'esm', banner: { js: esmRequire } }),
  build({ ...common, entryPoints: [join(root, 'src/index.ts')], outfile: join(root, 'dist/index.js'), format: 'esm', banner: { js: esmRequire } }),
  build({ ...common, entryPoints: [join(root, 'src/index.ts')], outfile: join(root, 'dist/index.cjs'), format: 'cjs' }),
]);
