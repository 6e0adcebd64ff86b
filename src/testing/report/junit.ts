/**
 * JUnit XML as GitHub (action-junit-report, test-reporter), GitLab and Jenkins read it:
 * `<testsuites>` with one `<testsuite>` per file, a `<testcase classname=FILE name=CASE
 * file=FILE line=N time=SECONDS>` per case holding `<failure message type>` (the failure lines
 * as text), `<skipped message/>`, and `<system-out>` for a note (a kernel or fuzz note); a
 * malformed file is a suite with one case holding an `<error>` at the file's line.
 */
import { failureLines } from './pretty';
import type { TestReport } from '../runner';

/**
 * Escapes text for XML content and double-quoted attributes (XML 1.0 §2.2, §2.4, §3.3.3):
 * characters XML cannot hold (controls, lone surrogates, U+FFFE/U+FFFF) are dropped; in an
 * attribute, line breaks and tabs become character references so parsers keep them.
 */
export function xmlEscape(s: string, attribute = true): string {
  const t = s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return attribute ? t.replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;') : t.replace(/\r/g, '&#13;');
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
      const line = f.errorLine !== undefined ? ` line="${f.errorLine}"` : '';
      out.push(`  <testsuite name="${name}" tests="1" failures="0" errors="1" skipped="0" time="${sec(f.durationMs)}">`);
      out.push(`    <testcase classname="${name}" name="load" file="${name}"${line} time="0"><error message="${xmlEscape(f.error)}" type="TestFileError"/></testcase>`, '  </testsuite>');
      continue;
    }
    const failed = f.cases.filter((c) => c.status === 'fail').length;
    const skipped = f.cases.filter((c) => c.status === 'skip').length;
    out.push(`  <testsuite name="${name}" tests="${f.cases.length}" failures="${failed}" errors="0" skipped="${skipped}" time="${sec(f.durationMs)}">`);
    for (const c of f.cases) {
      const open = `    <testcase classname="${name}" name="${xmlEscape(c.name)}" file="${name}" line="${c.line}" time="${sec(c.durationMs)}"`;
      const note = c.note !== undefined && c.status !== 'skip' ? `<system-out>${xmlEscape(c.note, false)}</system-out>` : '';
      if (c.status === 'pass') out.push(note ? `${open}>${note}</testcase>` : `${open}/>`);
      else if (c.status === 'skip') out.push(`${open}><skipped${c.note !== undefined ? ` message="${xmlEscape(c.note)}"` : ''}/></testcase>`);
      else {
        const first = c.failures[0]!;
        out.push(
          `${open}>`,
          `      <failure message="${xmlEscape(`${first.what}: expected ${first.expected}, got ${first.actual}`)}" type="AssertionError">${xmlEscape(c.failures.flatMap(failureLines).join('\n'), false)}</failure>${note}`,
          '    </testcase>',
        );
      }
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
