/**
 * The pretty reporter: one line per case (✓ / ✗ / -), failures with both sides and the decoded
 * packet diff, a summary line. Colour comes from the caller's painter (the CLI's chalk, off
 * when NO_COLOR is set or the output is no terminal).
 */
import type { TestReport } from '../runner';
import type { Failure } from '../model';
import { coverageSummary } from '../coverage';

/** Colour functions; identity functions give plain text. */
export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/** Plain text, no colour. */
export const NO_PAINT: Paint = { green: (s) => s, red: (s) => s, yellow: (s) => s, dim: (s) => s, bold: (s) => s };

const ms = (n: number): string => (n < 1 ? `${n.toFixed(2)}ms` : `${Math.round(n)}ms`);

/** Lines describing one failure. */
export function failureLines(f: Failure): string[] {
  const multi = f.expected.includes('\n') || f.actual.includes('\n');
  const lines = multi
    ? [`${f.what}:`, '  expected:', ...f.expected.split('\n').map((l) => `    ${l}`), '  actual:', ...f.actual.split('\n').map((l) => `    ${l}`)]
    : [`${f.what}: expected ${f.expected}, got ${f.actual}`];
  if (f.detail?.length) lines.push(...f.detail.map((d) => `  ${d}`));
  return lines;
}

/** The whole report as text. */
export function prettyReport(r: TestReport, p: Paint = NO_PAINT): string {
  const out: string[] = [];
  for (const f of r.files) {
    if (f.error !== undefined) {
      out.push(p.red(f.error));
      continue;
    }
    out.push(p.bold(`${f.file}`) + p.dim(` (${f.program})`));
    for (const c of f.cases) {
      if (c.status === 'pass') out.push(`  ${p.green('✓')} ${c.name} ${p.dim(ms(c.durationMs))}${c.note ? `\n      ${p.yellow(c.note)}` : ''}`);
      else if (c.status === 'skip') out.push(`  ${p.yellow('-')} ${c.name} ${p.dim(c.note !== undefined ? `(skipped: ${c.note})` : '(skipped)')}`);
      else {
        out.push(`  ${p.red('✗')} ${c.name} ${p.dim(`${f.file}:${c.line}`)}`);
        for (const fl of c.failures) out.push(...failureLines(fl).map((l) => `      ${p.red(l)}`));
      }
    }
  }
  if (r.coverage.length) {
    out.push('', p.bold('coverage'));
    out.push(...coverageSummary(r.coverage).map((l) => `  ${l}`));
  }
  const parts = [
    r.failed ? p.red(`${r.failed} failed`) : '',
    p.green(`${r.passed} passed`),
    r.skipped ? p.yellow(`${r.skipped} skipped`) : '',
    r.broken ? p.red(`${r.broken} file${r.broken > 1 ? 's' : ''} not readable`) : '',
  ].filter(Boolean);
  out.push('', `${parts.join(', ')} (${r.files.length} file${r.files.length === 1 ? '' : 's'}, ${ms(r.durationMs)})`);
  return out.join('\n');
}
