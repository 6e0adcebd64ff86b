/**
 * The tutorial's loader part through the real CLI (`node bin/xdpts`), fresh state, every output
 * compared line by line with the golden files recorded from real iproute2, ping, xdp-loader and
 * bpftool (test/oracle/loader-tutorial.test.ts). That machine has no libxdp dispatcher, so this
 * flow runs with LIBXDP_SKIP_DISPATCHER=1 (libxdp's single-program path, which xdpts mirrors);
 * the dispatcher path is tested in tutorial-dispatcher.test.ts. The objects are built by xdpts
 * from programs/*.asm. A missing golden fails.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildObjects, loadTutorial, renderTutorial, tutorialGolden, xdpts } from './tutorial-flow';

const ROOT = join(__dirname, '..', '..');

describe('loader tutorial through the CLI', () => {
  let objs = '';
  beforeAll(() => {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
    objs = buildObjects();
  });

  it('matches the golden outputs of the real tools, step by step', () => {
    const env = { XDPTS_STATE_DIR: mkdtempSync(join(tmpdir(), 'xdpts-tut-')), XDPTS_SEED: '7', LIBXDP_SKIP_DISPATCHER: '1' };
    const steps = loadTutorial();
    expect(steps.length, 'fixtures/e2e/tutorial/flow.json has steps').toBeGreaterThanOrEqual(40);
    for (const step of steps) {
      const want = tutorialGolden(step.id);
      expect(want, `golden file for ${step.id} is missing (run the oracle with XDPTS_UPDATE_GOLDEN=1)`).toBeDefined();
      const got = renderTutorial(xdpts(step.cmd, env, objs));
      expect(got, `${step.id}: xdpts ${step.cmd.join(' ')}`).toBe(want);
    }
  }, 600_000); // some 50 CLI processes: minutes on a machine loaded with other test files
});
