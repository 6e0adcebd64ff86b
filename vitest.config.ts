import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  // Tests and examples import the library as users do (`from 'xdpts'`): the sources here.
  resolve: { alias: { xdpts: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // test/heavy runs on its own (npm run test:heavy, vitest.heavy.config.ts), after npm test in CI.
    exclude: [...configDefaults.exclude, 'test/heavy/**'],
    // Generous: many tests spawn CLI processes, minutes apart on a machine shared with other runs;
    // a hang still fails, and speed is measured by npm run bench, never by these limits.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // `xdpts ping` paces in wall time by default; the suite runs it in emulated time.
    env: { XDPTS_REALTIME: '0' },
  },
});
