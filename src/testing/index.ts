/**
 * Public surface of src/testing: `xdpts test` as a library — runTests over YAML test files,
 * the reporters (pretty, TAP 14, JUnit XML, JSON) and coverage (lcov, text summary).
 */
export { runTests, runFile, findTestFiles, exitCode, type TestSpec, type TestReport, type CaseOracle, type FuzzRunner } from './runner';
export { loadTestFile, compileTestFile, ENGINES, type LoadOptions } from './load';
export { TestFileError } from './yaml';
export type { CaseResult, FileResult, Failure, CompiledFile, CompiledCase } from './model';
export { prettyReport, failureLines, NO_PAINT, type Paint } from './report/pretty';
export { tapReport } from './report/tap';
export { junitReport, xmlEscape } from './report/junit';
export { jsonReport } from './report/json';
export { toLcov, coverageSummary, coveragePercent, programCoverage, type ProgramCoverage } from './coverage';
export { packetDiff, actionName } from './expect';
export { fuzzRunner, mutate } from './fuzz';
export { kernelOracle, kernelAvailable, type KernelOracle } from './kernel-oracle';
export { disagreement, type KernelCaseResult, type EmulatedCase } from './kernel-compare';
