/**
 * The map scenarios on the emulated kernel against the outputs recorded from Linux 6.18
 * (fixtures/kernel/map-scenarios/*.out, written by maps-oracle.test.ts with
 * XDPTS_UPDATE_FIXTURES=1). A missing expectation fails.
 */
import { describe, expect, it } from 'vitest';
import { runScript } from './map-script';
import { expected, scenarioEnv, scenarios, script } from './map-scenarios';

describe('map scenarios (recorded from the real kernel)', () => {
  it('has scenarios', () => expect(scenarios.length).toBeGreaterThanOrEqual(10));
  for (const name of scenarios) {
    it(name, () => {
      const want = expected(name);
      expect(want, `fixtures/kernel/map-scenarios/${name}.out is missing: run maps-oracle.test.ts with XDPTS_UPDATE_FIXTURES=1`).toBeDefined();
      const text = script(name);
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      const label = (out: string[]) => out.map((o, i) => `${i === 0 ? '' : lines[i - 1]} => ${o}`);
      expect(label(runScript(text, scenarioEnv))).toEqual(label(want!));
    });
  }
});
