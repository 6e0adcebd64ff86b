/** The `process` global src/ reads (the clock, the environment), for the browser bundle. */
const start = performance.now();
export const process = {
  env: {} as Record<string, string | undefined>,
  hrtime: { bigint: (): bigint => BigInt(Math.round((performance.now() - start) * 1e6)) + 1_000_000_000n },
  platform: 'browser',
};
