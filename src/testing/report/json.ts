/** The JSON reporter: the report as plain data (files, cases, failures, coverage, counts). */
import type { TestReport } from '../runner';

/** The report as a JSON-compatible object. */
export function jsonReport(r: TestReport): unknown {
  return {
    passed: r.passed,
    failed: r.failed,
    skipped: r.skipped,
    broken: r.broken,
    duration_ms: Math.round(r.durationMs),
    files: r.files.map((f) => ({
      file: f.file,
      ...(f.program ? { program: f.program } : {}),
      ...(f.error !== undefined ? { error: f.error } : {}),
      cases: f.cases.map((c) => ({ name: c.name, line: c.line, status: c.status, duration_ms: +c.durationMs.toFixed(3), failures: c.failures, ...(c.note !== undefined ? { note: c.note } : {}) })),
    })),
    coverage: r.coverage.map((c) => ({
      file: c.file,
      program: c.program,
      instructions: { hit: c.insnsHit, total: c.insns },
      branches: { hit: c.branchesHit, total: c.branches },
      lines_not_reached: c.lines.filter((l) => l.count === 0).map((l) => `${l.file}:${l.line}`),
    })),
  };
}
