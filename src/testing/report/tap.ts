/**
 * TAP 14 (testanything.org/tap-version-14-specification.html): `TAP version 14`, one subtest per
 * file (indented 4 spaces, its own plan), `ok`/`not ok` points with `# SKIP`, and YAML
 * diagnostics between `---` and `...` for failures. A malformed file is a failed point with
 * its error.
 */
import { failureLines } from './pretty';
import type { TestReport } from '../runner';

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/#/g, '\\#').replace(/\n/g, ' ');
const yamlStr = (s: string): string => JSON.stringify(s);

/** The report as TAP 14. */
export function tapReport(r: TestReport): string {
  const out = ['TAP version 14', `1..${r.files.length}`];
  r.files.forEach((f, i) => {
    if (f.error !== undefined) {
      out.push(`not ok ${i + 1} - ${esc(f.file)}`, '  ---', `  message: ${yamlStr(f.error)}`, '  severity: fail', '  ...');
      return;
    }
    out.push(`# Subtest: ${esc(f.file)}`, `    1..${f.cases.length}`);
    f.cases.forEach((c, j) => {
      const n = j + 1;
      if (c.status === 'skip') out.push(`    ok ${n} - ${esc(c.name)} # SKIP${c.note !== undefined ? ` ${c.note.replace(/\n/g, ' ')}` : ''}`);
      else if (c.status === 'pass') out.push(`    ok ${n} - ${esc(c.name)}`, ...(c.note !== undefined ? [`    # ${c.note.replace(/\n/g, ' ')}`] : []));
      else {
        out.push(`    not ok ${n} - ${esc(c.name)}`, '      ---', `      message: ${yamlStr(c.failures.map((x) => `${x.what}: expected ${x.expected}, got ${x.actual}`).join('; '))}`);
        out.push(`      at: ${yamlStr(`${f.file}:${c.line}`)}`, '      failures:');
        for (const fl of c.failures) out.push(`        - ${yamlStr(failureLines(fl).join('\n'))}`);
        out.push('      ...');
      }
    });
    const failed = f.cases.some((c) => c.status === 'fail');
    out.push(`${failed ? 'not ok' : 'ok'} ${i + 1} - ${esc(f.file)}`);
  });
  return out.join('\n') + '\n';
}
