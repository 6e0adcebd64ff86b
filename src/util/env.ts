/** What xdpts reads from its environment, read in one place. */

/**
 * `XDPTS_SEED` as an unsigned 32-bit seed (the MACs of a fresh network, a fresh kernel's
 * prandom), or undefined when it is unset, empty or not a number.
 */
export function seedFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): number | undefined {
  const s = env['XDPTS_SEED'];
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n >>> 0 : undefined;
}
