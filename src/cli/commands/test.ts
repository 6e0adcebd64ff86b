/**
 * `xdpts test [PATH...]` — declarative XDP tests: every `*.test.yaml` under the paths is run on
 * the emulated kernel and reported (pretty on a terminal, `--reporter tap|junit|json`, `-o FILE`).
 * `--coverage lcov|text` measures instruction and branch coverage on the C lines (lcov to `-o`
 * or `--coverage-file`), `--min-coverage N` fails below N% of instructions, `--kernel` runs every
 * case on the real kernel too, `--fuzz N` tries N mutated packets per case. Exit 0 all passed,
 * 1 a case failed (or coverage too low), 2 a malformed test file or bad usage.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildTestSource } from '../../api/testing';
import {
  ENGINES, coveragePercent, coverageSummary, exitCode, fuzzRunner, kernelOracle, type KernelOracle, jsonReport, junitReport, prettyReport, runTests, tapReport, toLcov, type TestReport,
} from '../../testing';

import { UsageError } from '../../util/errors';
import type { Engine } from '../../vm';
import { color, EXIT_FAIL, err, out, outJson, runCommand, type CommonOptions } from '../output';
import type { RegisterCommand } from './index';

interface TestOptions extends CommonOptions {
  reporter?: string;
  output?: string;
  coverage?: string | boolean;
  coverageFile?: string;
  minCoverage?: string;
  kernel?: boolean;
  fuzz?: string;
  seed?: string;
  engine?: string;
}

function render(r: TestReport, reporter: string): string {
  switch (reporter) {
    case 'tap':
      return tapReport(r);
    case 'junit':
      return junitReport(r);
    case 'json':
      return JSON.stringify(jsonReport(r), null, 2) + '\n';
    default:
      return prettyReport(r, color) + '\n';
  }
}

function uint(v: string | undefined, what: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || n > max) throw new UsageError(`invalid ${what} '${v}'`);
  return n;
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('test')
    .description('run declarative XDP tests (*.test.yaml): verdicts, packets, maps, traces; coverage; JUnit/TAP')
    .argument('[paths...]', 'test files or folders (default: the current folder)')
    .option('--reporter <name>', 'pretty (default), tap, junit or json')
    .option('-o, --output <file>', 'write the report (or, with --coverage lcov alone, the lcov data) to a file')
    .option('--coverage [format]', 'measure coverage: text (default) or lcov')
    .option('--coverage-file <file>', 'write lcov coverage to this file')
    .option('--min-coverage <percent>', 'fail when a program covers fewer instructions than this')
    .option('--kernel', 'also run every case on the real kernel (root + bpftool) and report disagreements')
    .option('--fuzz <n>', 'try N mutated packets per case; report aborts, faults and new branches')
    .option('--seed <n>', 'seed of --fuzz (default 1)')
    .option('--engine <engine>', 'jit (default), interp or wasm')
    .option('--json', 'the JSON reporter on stdout')
    .action((paths: string[], opts: TestOptions) =>
      runCommand(opts.json, setExit, () => {
        const reporter = opts.json ? 'json' : opts.reporter ?? 'pretty';
        if (!['pretty', 'tap', 'junit', 'json'].includes(reporter)) throw new UsageError(`unknown reporter '${reporter}': expected pretty, tap, junit or json`);
        const covFormat = opts.coverage === undefined ? undefined : opts.coverage === true ? 'text' : String(opts.coverage);
        if (covFormat !== undefined && covFormat !== 'text' && covFormat !== 'lcov') throw new UsageError(`unknown coverage format '${covFormat}': expected text or lcov`);
        const minCov = uint(opts.minCoverage, '--min-coverage', 100);
        const fuzz = uint(opts.fuzz, '--fuzz', 1e6);
        const seed = uint(opts.seed, '--seed') ?? 1;
        if (opts.engine !== undefined && !ENGINES.includes(opts.engine as Engine)) throw new UsageError(`invalid --engine '${opts.engine}': expected ${ENGINES.join(', ')}`);
        let oracle: KernelOracle | undefined;
        if (opts.kernel) {
          const k = kernelOracle();
          if (typeof k === 'string') err(`xdpts test: --kernel: ${k}; running on the emulator alone`);
          else oracle = k;
        }
        let report: TestReport;
        try {
          report = runTests({
          paths: paths.length ? paths : ['.'],
          buildSource: buildTestSource,
          coverage: covFormat !== undefined || minCov !== undefined || fuzz !== undefined,
          ...(opts.engine ? { engine: opts.engine as Engine } : {}),
          ...(oracle ? { oracle } : {}),
          ...(fuzz !== undefined ? { fuzz: { count: fuzz, seed, run: fuzzRunner } } : {}),
          });
        } finally {
          oracle?.close();
        }
        const lcovTo = opts.coverageFile ?? (covFormat === 'lcov' && !opts.reporter && !opts.json ? opts.output : undefined);
        if (covFormat === 'lcov' && !lcovTo) throw new UsageError('--coverage lcov needs -o FILE or --coverage-file FILE');
        if (lcovTo) writeFileSync(lcovTo, toLcov(report.coverage));
        // Coverage measured only for --fuzz's baseline is not shown.
        if (covFormat === undefined && minCov === undefined) report = { ...report, coverage: [] };
        const text = render(report, reporter);
        const reportTo = opts.output !== undefined && opts.output !== lcovTo ? opts.output : undefined;
        if (reportTo) {
          writeFileSync(reportTo, text);
          // The terminal still gets the short story.
          out(prettyReport(report, color));
        } else if (reporter === 'json') outJson(jsonReport(report));
        else out(text.trimEnd());
        if (covFormat === 'text' && reporter !== 'pretty') err(coverageSummary(report.coverage).join('\n'));
        let code = exitCode(report);
        if (minCov !== undefined && code === 0) {
          const low = report.coverage.filter((c) => coveragePercent(c).insns < minCov);
          for (const c of low) err(`xdpts test: ${c.program} (${c.file}) covers ${coveragePercent(c).insns.toFixed(1)}% of its instructions, below --min-coverage ${minCov}`);
          if (low.length) code = EXIT_FAIL;
        }
        return code;
      }),
    );
};
