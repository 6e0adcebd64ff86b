/**
 * Shared by the network e2e test (xdpts) and its oracle (real iproute2/ping): the tutorial flow,
 * the golden files, and the normalisation of what legitimately differs between two runs
 * (MAC addresses, ifindexes, times, the IPv6 DAD `tentative` flag).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The fixture folder of the tutorial flow. */
export const FLOW_DIR = join(__dirname, '..', '..', 'fixtures', 'net', 'tutorial');

/** One step of the flow. */
export interface FlowStep {
  id: string;
  cmd: string[];
}

/** What one command did. */
export interface StepResult {
  exit: number;
  stdout: string;
  stderr: string;
}

/** The steps, from flow.json. */
export function loadFlow(): FlowStep[] {
  return (JSON.parse(readFileSync(join(FLOW_DIR, 'flow.json'), 'utf8')) as { steps: FlowStep[] }).steps;
}

/** Replaces run-specific values by placeholders. */
export function normalise(text: string): string {
  return text
    .replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, (m) => (m === 'ff:ff:ff:ff:ff:ff' || m === '00:00:00:00:00:00' ? m : 'MAC'))
    .replace(/^\d+: /gm, 'N: ')
    .replace(/@if\d+/g, '@ifN')
    .replace(/fe80::[0-9a-f:]+\/64/g, 'fe80::EUI64/64')
    .replace(/ tentative/g, '')
    .replace(/time=\d+(\.\d+)? ms/g, 'time=T ms')
    .replace(/time \d+ms/g, 'time Tms')
    .replace(/rtt min\/avg\/max\/mdev = [\d./]+ ms/g, 'rtt min/avg/max/mdev = R ms');
}

/** The golden text of a step result. */
export function render(r: StepResult): string {
  return `exit ${r.exit}\n--- stdout\n${normalise(r.stdout)}--- stderr\n${normalise(r.stderr)}`;
}

/** The stored golden output of a step; a missing one fails (written only with XDPTS_UPDATE_GOLDEN=1 by the oracle). */
export function golden(id: string): string | undefined {
  const f = join(FLOW_DIR, `${id}.out`);
  return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
}

/** Writes a golden file (only the oracle does, with XDPTS_UPDATE_GOLDEN=1). */
export function writeGolden(id: string, text: string): void {
  writeFileSync(join(FLOW_DIR, `${id}.out`), text);
}
