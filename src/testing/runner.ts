/**
 * The runner: finds test files, compiles each against its object, runs its cases in order on
 * one emulated kernel (map state carries from case to case; `fresh: true` starts a new kernel),
 * and collects results and coverage. `runTests` is what `xdpts test` and the library call.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { XdptsError } from '../util/index';
import type { BpfMap } from '../kernel/index';
import type { VmCoverage } from '../vm/index';
import { programCoverage, sumCounters, type ProgramCoverage } from './coverage';
import { check } from './expect';
import { loadTestFile, type LoadOptions } from './load';
import type { EmulatedCase } from './kernel-compare';
import type { CaseResult, CompiledCase, CompiledFile, Failure, FileResult } from './model';
import { openTarget, type Rejection, type Target } from './target';
import { TestFileError } from './yaml';

/** What to run and how. */
export interface TestSpec extends LoadOptions {
  /** Test files, or folders searched for `*.test.yaml` / `*.test.yml`. */
  readonly paths: readonly string[];
  /** Collect instruction and branch coverage (runs on the interpreter). */
  readonly coverage?: boolean;
  /** A second opinion for each case (the real kernel): a disagreement fails the case. */
  readonly oracle?: CaseOracle;
  /** Mutated copies of each case's packet to try (seeded): see fuzz.ts. */
  readonly fuzz?: { readonly count: number; readonly seed: number; readonly run: FuzzRunner };
}

/** Checks a case on another implementation (the real kernel): a disagreement, or undefined. */
export interface CaseOracle {
  /** Whether the other side refuses to load the file's program too (for `rejected` cases). */
  rejects?(cf: CompiledFile, c: CompiledCase): boolean;
  check(cf: CompiledFile, c: CompiledCase, emulated: EmulatedCase, maps: ReadonlyMap<string, BpfMap>): string | { note: string } | undefined;
}

/** Runs the fuzzer over a compiled file; returns extra case results. */
export type FuzzRunner = (cf: CompiledFile, count: number, seed: number, baseline?: VmCoverage) => CaseResult[];

/** Everything a run gave. */
export interface TestReport {
  readonly files: readonly FileResult[];
  readonly coverage: readonly (ProgramCoverage & { readonly file: string })[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  /** Files that could not be read (malformed: exit 2). */
  readonly broken: number;
  readonly durationMs: number;
}

/** The exit status of a report: 2 a malformed file, 1 a failed case, 0 all passed. */
export function exitCode(r: TestReport): number {
  return r.broken > 0 ? 2 : r.failed > 0 ? 1 : 0;
}

/** Test files under the paths, sorted; a file named directly is taken whatever its name. */
export function findTestFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.test\.ya?ml$/.test(name)) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new XdptsError(`${p}: no such file or directory`, 'ENOENT');
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}

/** Runs the tests of a spec. */
export function runTests(spec: TestSpec): TestReport {
  const t0 = performance.now();
  const files: FileResult[] = [];
  const coverage: (ProgramCoverage & { file: string })[] = [];
  for (const path of findTestFiles(spec.paths)) {
    const { result, cov } = runFile(path, spec);
    files.push(result);
    if (cov) coverage.push({ ...cov, file: path });
  }
  const all = files.flatMap((f) => f.cases);
  return {
    files,
    coverage,
    passed: all.filter((c) => c.status === 'pass').length,
    failed: all.filter((c) => c.status === 'fail').length,
    skipped: all.filter((c) => c.status === 'skip').length,
    broken: files.filter((f) => f.error !== undefined).length,
    durationMs: performance.now() - t0,
  };
}

/** Runs one file. */
export function runFile(path: string, spec: TestSpec): { result: FileResult; cov?: ProgramCoverage } {
  const t0 = performance.now();
  let cf: CompiledFile;
  try {
    cf = loadTestFile(path, spec);
  } catch (e) {
    if (e instanceof TestFileError) return { result: { file: path, cases: [], error: e.message, errorLine: e.line, durationMs: performance.now() - t0 } };
    if (e instanceof XdptsError) return { result: { file: path, cases: [], error: e.message, durationMs: performance.now() - t0 } };
    throw e;
  }
  const counters: VmCoverage[] = [];
  const open = (): Target | Rejection => {
    const t = openTarget(cf, { coverage: spec.coverage === true });
    if ('coverage' in t && t.coverage) counters.push(t.coverage);
    return t;
  };
  let target: Target | Rejection;
  try {
    target = open();
  } catch (e) {
    // A setup the kernel refuses (a full map, a value it does not take): the file is at fault.
    if (e instanceof XdptsError) return { result: { file: path, cases: [], error: e.message, durationMs: performance.now() - t0 } };
    throw e;
  }
  const cases: CaseResult[] = [];
  cf.cases.forEach((c, i) => {
    if (c.skip !== undefined) {
      cases.push({ name: c.name, line: c.line, status: 'skip', failures: [], durationMs: 0, ...(c.skip !== 'skipped' ? { note: c.skip } : {}) });
      return;
    }
    const s = performance.now();
    // A fresh case starts from the setup again: the same kernel put back when it can be (cheap), else a new one.
    if (c.fresh && i > 0 && !('rejected' in target) && !target.reset()) target = open();
    const notes: string[] = [];
    const failures = runCase(cf, c, target, spec.oracle, notes);
    const note = notes.length ? { note: notes.join('; ') } : {};
    cases.push({ name: c.name, line: c.line, status: failures.length ? 'fail' : 'pass', failures, durationMs: performance.now() - s, ...note });
  });
  const sum = sumCounters(counters);
  if (spec.fuzz) cases.push(...spec.fuzz.run(cf, spec.fuzz.count, spec.fuzz.seed, sum));
  const cov = sum ? programCoverage(cf.program, sum, cf.objectPath, sourceResolver(cf.objectPath)) : undefined;
  return { result: { file: path, program: cf.program.name, cases, durationMs: performance.now() - t0 }, ...(cov ? { cov } : {}) };
}

function runCase(cf: CompiledFile, c: CompiledCase, target: Target | Rejection, oracle: CaseOracle | undefined, notes: string[]): Failure[] {
  const want = c.expect.rejected;
  if (oracle?.rejects && want !== undefined && oracle.rejects(cf, c) !== ('rejected' in target)) {
    return [{ what: 'kernel', expected: 'the real kernel to agree with xdpts', actual: `xdpts ${'rejected' in target ? 'rejects' : 'loads'} the program, the kernel ${'rejected' in target ? 'loads' : 'rejects'} it` }];
  }
  if ('rejected' in target) {
    const e = target.rejected;
    if (want === undefined) return [{ what: 'load', expected: 'the verifier accepts the program', actual: `rejected: ${e.message}`, detail: lastLines(e.log) }];
    const text = `${e.message}\n${e.log}`;
    const ok = want === true || (typeof want === 'string' ? text.includes(want) : want.test(text));
    return ok ? [] : [{ what: 'rejected', expected: String(want), actual: e.message, detail: lastLines(e.log) }];
  }
  if (want !== undefined) return [{ what: 'rejected', expected: `rejected (${String(want)})`, actual: 'the verifier accepted the program' }];
  try {
    for (const w of c.writes) target.write(w);
  } catch (e) {
    if (e instanceof XdptsError) return [{ what: 'maps', expected: 'the case\'s map writes to be taken', actual: e.message }];
    throw e;
  }
  if (!c.packet) return [{ what: 'packet', expected: 'a packet to run', actual: 'none given' }];
  const out = target.run(c.packet, c.ctx, c.repeat, c.cpu);
  const failures = check(c, out, target.maps, cf.maps);
  if (oracle) {
    const r = out.result;
    const said = oracle.check(cf, c, 'errno' in r ? { errno: r.errno } : { retval: r.retval, dataOut: r.dataOut, events: out.events }, target.maps);
    if (typeof said === 'string') failures.push({ what: 'kernel', expected: 'the real kernel to agree with xdpts', actual: said });
    else if (said) notes.push(said.note);
  }
  return failures;
}

function lastLines(log: string | undefined): string[] {
  return (log ?? '').trimEnd().split('\n').slice(-6).filter(Boolean);
}

/**
 * Where a line-info file name is on this machine: as recorded when it exists (clang records the
 * path it compiled), else the file of that name beside the object (a checkout elsewhere).
 */
function sourceResolver(objectPath: string): (f: string) => string {
  const memo = new Map<string, string>();
  return (f) => {
    let r = memo.get(f);
    if (r === undefined) {
      const asIs = isAbsolute(f) ? f : resolve(dirname(objectPath), f);
      const beside = join(dirname(objectPath), basename(f));
      r = existsSync(asIs) ? asIs : existsSync(beside) ? beside : f;
      memo.set(f, r);
    }
    return r;
  };
}
