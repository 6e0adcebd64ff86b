import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // `xdpts ping` paces in wall time by default; the suite runs it in emulated time.
    env: { XDPTS_REALTIME: '0' },
  },
});
