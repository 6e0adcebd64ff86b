/**
 * Oracle for the network tutorial: runs the same flow with the real iproute2 and ping, as root,
 * in namespaces of its own (xdptsG_h stands for the root namespace, xdptsG_n for `net`), and
 * checks that the normalised output equals the golden files xdpts is tested against.
 * XDPTS_UPDATE_GOLDEN=1 rewrites the golden files from this run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { golden, loadFlow, render, writeGolden, type StepResult } from '../e2e/net-flow';

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const usable = process.getuid?.() === 0 && have('ip') && have('ping') && spawnSync('ip', ['netns', 'list']).status === 0;

const HOST = 'xdptsG_h';
const NAMES: Record<string, string> = { net: 'xdptsG_n', veth1: 'xdptsG_v1', veth2: 'xdptsG_v2', nosuch: 'xdptsG_nosuch' };

function toReal(cmd: string[]): string[] {
  const args = cmd.map((a) => NAMES[a] ?? a);
  // Namespace names are global: add/del run outside HOST, because a bind mount made inside
  // `ip netns exec` (a private mount namespace) would not be visible to the next command.
  if (args[0] === 'ip' && args[1] === 'netns' && (args[2] === 'add' || args[2] === 'del')) return args;
  return ['ip', 'netns', 'exec', HOST, ...args];
}

function fromReal(text: string): string {
  return text
    .replace(/link-netns xdptsG_h/g, 'link-netnsid 0')
    .replace(/xdptsG_nosuch/g, 'nosuch')
    .replace(/xdptsG_n/g, 'net')
    .replace(/xdptsG_v1/g, 'veth1')
    .replace(/xdptsG_v2/g, 'veth2');
}

function cleanup(): void {
  for (const ns of ['xdptsG_n', HOST]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

describe.skipIf(!usable)(`network tutorial against real iproute2 and ping${usable ? '' : ' (skipped: needs root, ip and ping)'}`, () => {
  afterAll(cleanup);

  it('prints what the golden files say', () => {
    cleanup();
    expect(spawnSync('ip', ['netns', 'add', HOST]).status).toBe(0);
    // A root namespace has lo up (the host's ICMP errors travel through it).
    expect(spawnSync('ip', ['-n', HOST, 'link', 'set', 'lo', 'up']).status).toBe(0);
    const update = process.env['XDPTS_UPDATE_GOLDEN'] === '1';
    const mismatches: string[] = [];
    const steps = loadFlow();
    expect(steps.length, 'fixtures/net/tutorial/flow.json has steps').toBeGreaterThanOrEqual(33);
    for (const step of steps) {
      const r = spawnSync(toReal(step.cmd)[0]!, toReal(step.cmd).slice(1), { encoding: 'utf8', timeout: 30_000 });
      const res: StepResult = { exit: r.status ?? -1, stdout: fromReal(r.stdout), stderr: fromReal(r.stderr) };
      const text = render(res);
      // Link-up settles asynchronously (linkwatch sets operstate, DAD clears `tentative`): wait
      // as a user typing the next command would, so the layouts are the steady ones.
      if (step.cmd.includes('up') || step.cmd.includes('down')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1200);
      if (update) writeGolden(step.id, text);
      else if (golden(step.id) !== text) mismatches.push(`${step.id}:\n${text}\n--- golden:\n${golden(step.id) ?? '(missing)'}`);
    }
    expect(mismatches).toEqual([]);
  });
});
