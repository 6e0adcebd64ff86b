/**
 * Shared by the loader tutorial e2e test (xdpts) and its oracle (real iproute2, ping,
 * xdp-loader, bpftool): the flow, the golden files and the normalisation of what legitimately
 * differs between two runs — on top of the network's (MACs, ifindexes, times): program ids.
 * Tags are NOT normalised: xdpts computes them as Linux 6.18 does, so they must be equal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalise as normaliseNet } from './net-flow';

/** The fixture folder of the loader tutorial. */
export const TUTORIAL_DIR = join(__dirname, '..', '..', 'fixtures', 'e2e', 'tutorial');

/** One step of the flow. */
export interface TutorialStep {
  id: string;
  cmd: string[];
}

/** What one command did. */
export interface TutorialResult {
  exit: number;
  stdout: string;
  stderr: string;
}

/** The steps, from flow.json. */
export function loadTutorial(): TutorialStep[] {
  return (JSON.parse(readFileSync(join(TUTORIAL_DIR, 'flow.json'), 'utf8')) as { steps: TutorialStep[] }).steps;
}

/**
 * Replaces the ID column of xdp-loader status rows (column 50, `%-4d` then a space) by `N`
 * padded the same way. Real kernel ids grow past 4 digits on a long-running machine, which
 * pushes the rest of the row right, so the id and its padding are normalised together.
 */
function normaliseStatusIds(text: string): string {
  return text
    .split('\n')
    .map((l) => l.replace(/^(.{50})\d+ +([0-9a-f]{16} )/, (_m, a: string, tag: string) => `${a}${'N'.padEnd(4)} ${tag}`))
    .join('\n');
}

export function normaliseTutorial(text: string): string {
  return normaliseStatusIds(normaliseNet(text))
    .replace(/prog\/xdp id \d+/g, 'prog/xdp id N')
    .replace(/(xdp\w*)\/id:\d+/g, '$1/id:N');
}

/**
 * xdpts's exit code for what the real xdp-loader did (reference §8.2): its messages are kept
 * verbatim, its codes (256 - errno, or 1) are not — 2 for bad usage or bad input (missing file,
 * section, program or interface, bad option values, missing parameters), 1 for every refusal
 * (verifier, EBUSY/EEXIST/EOPNOTSUPP/E2BIG/EINVAL, unloading what is not loaded). The oracle
 * translates the real run with this, as it translates `Usage: xdp-loader` into `Usage: xdpts`.
 */
export function xdptsLoaderExit(realExit: number, stderr: string): number {
  if (realExit === 0) return 0;
  const usage = [
    /^Couldn't open file '/m,
    /^Couldn't find network interface '/m,
    /^Couldn't parse option /m,
    /^Missing required parameter /m,
    /^Need prog ID or --all$/m,
    /^Only one of --section or --prog-name can be set$/m,
    /^Cannot attach multiple programs in HW mode$/m,
    /: (unrecognized|invalid) option /m,
    /option( '--[\w-]+')? requires an argument/m,
  ];
  return usage.some((r) => r.test(stderr)) ? 2 : 1;
}

/** The golden text of a step result. */
export function renderTutorial(r: TutorialResult): string {
  return `exit ${r.exit}\n--- stdout\n${normaliseTutorial(r.stdout)}--- stderr\n${normaliseTutorial(r.stderr)}`;
}

/** The stored golden output of a step; undefined when missing (a missing golden fails). */
export function tutorialGolden(id: string): string | undefined {
  const f = join(TUTORIAL_DIR, `${id}.out`);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
}

/** Writes a golden file (only with XDPTS_UPDATE_GOLDEN=1). */
export function writeTutorialGolden(id: string, text: string): void {
  writeFileSync(join(TUTORIAL_DIR, `${id}.out`), text);
}

const ROOT = join(__dirname, '..', '..');

/** Runs `xdpts ARGS` in `cwd` with `env`. */
export function xdpts(args: string[], env: Record<string, string>, cwd?: string): { exit: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'xdpts'), ...args], { encoding: 'utf8', env: { ...process.env, XDPTS_REALTIME: '0', ...env }, ...(cwd ? { cwd } : {}) });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A directory holding xdp_drop.o and counter.o built by xdpts from programs/. */
export function buildObjects(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xdpts-objs-'));
  for (const p of ['xdp_drop', 'counter']) {
    const r = xdpts(['build', join(ROOT, 'programs', `${p}.asm`), '-o', join(dir, `${p}.o`)], {});
    if (r.exit !== 0) throw new Error(`xdpts build ${p}.asm failed: ${r.stderr}`);
  }
  return dir;
}

