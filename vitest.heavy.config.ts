import { defineConfig } from 'vitest/config';

/**
 * The heavy differential corpora (thousands of programs against the live kernel, seeded fuzzing
 * with the kernel as the judge). They run as `npm run test:heavy`, which `.ci/run` calls after
 * `npm test`, so the README's test command stays under ten minutes.
 */
export default defineConfig({
  test: {
    include: ['test/heavy/**/*.test.ts'],
    testTimeout: 1_200_000,
    hookTimeout: 1_200_000,
    pool: 'forks',
    env: { XDPTS_REALTIME: '0' },
  },
});
