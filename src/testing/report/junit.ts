/**
 * JUnit XML as GitHub, GitLab and Jenkins read it: `<testsuites>` with one `<testsuite>` per
 * file, a `<testcase classname=FILE name=CASE time=SECONDS>` per case holding `<failure>`
 * (message attribute and the failure lines as text) or `<skipped/>`; a malformed file is a suite
 * with one `<error>` case.
 */
import { failureLines } from './pretty';
import type { TestReport } from '../runner';

/** Escapes text for XML attributes and content (XML 1.0 §2.4; control characters dropped). */
export function xmlEscape(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

const sec = (ms: number): string => (ms / 1000).toFixed(3);

/** The report as JUnit XML. */
export function junitReport(r: TestReport): string {
  const all = r.files.flatMap((f) => f.cases);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="xdpts" tests="${all.length + r.broken}" failures="${r.failed}" errors="${r.broken}" skipped="${r.skipped}" time="${sec(r.durationMs)}">`,
  ];
  for (const f of r.files) {
    const name = xmlEscape(f.file);
    if (f.error !== undefined) {
      out.push(`  <testsuite name="${name}" tests="1" failures="0" errors="1" skipped="0" time="${sec(f.durationMs)}">`);
      out.push(`    <testcase classname="${name}" name="load" time="0"><error message="${xmlEscape(f.error)}" type="TestFileError"/></testcase>`, '  </testsuite>');
      continue;
    }
    const failed = f.cases.filter((c) => c.status === 'fail').length;
    const skipped = f.cases.filter((c) => c.status === 'skip').length;
    out.push(`  <testsuite name="${name}" tests="${f.cases.length}" failures="${failed}" errors="0" skipped="${skipped}" time="${sec(f.durationMs)}">`);
    for (const c of f.cases) {
      const open = `    <testcase classname="${name}" name="${xmlEscape(c.name)}" file="${name}" line="${c.line}" time="${sec(c.durationMs)}"`;
      if (c.status === 'pass') out.push(`${open}/>`);
      else if (c.status === 'skip') out.push(`${open}><skipped/></testcase>`);
      else {
        const first = c.failures[0]!;
        out.push(
          `${open}>`,
          `      <failure message="${xmlEscape(`${first.what}: expected ${first.expected}, got ${first.actual}`)}" type="AssertionError">${xmlEscape(c.failures.flatMap(failureLines).join('\n'))}</failure>`,
          '    </testcase>',
        );
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
