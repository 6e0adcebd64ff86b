/** The map scenarios of fixtures/kernel/map-scenarios: `<name>.txt` scripts, `<name>.out` expectations. */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MapEnv } from '../../src/kernel/maps';

/** Folder of the scenario fixtures. */
export const SCENARIO_DIR = join(import.meta.dirname, '../../fixtures/kernel/map-scenarios');

/** Names of every scenario. */
export const scenarios = readdirSync(SCENARIO_DIR)
  .filter((f) => f.endsWith('.txt'))
  .map((f) => f.slice(0, -4))
  .sort();

/** A scenario's script. */
export function script(name: string): string {
  return readFileSync(join(SCENARIO_DIR, `${name}.txt`), 'utf8');
}

/** A scenario's expected output (recorded from the real kernel), or undefined when missing. */
export function expected(name: string): string[] | undefined {
  const p = join(SCENARIO_DIR, `${name}.out`);
  return existsSync(p) ? readFileSync(p, 'utf8').trimEnd().split('\n') : undefined;
}

/**
 * The environment the scenarios assume, matching the oracle machine: 2 CPUs, only ifindex 1
 * (lo) exists, no program or AF_XDP socket has the numbers the scripts use.
 */
export const scenarioEnv: MapEnv = {
  ncpus: 2,
  ifindexExists: (i) => i === 1,
  progInfo: () => undefined,
  xskExists: () => false,
};
