/**
 * Public surface of src/kernel: the emulated kernel (maps, helpers, programs, test_run,
 * snapshots). Other folders import only this file.
 */
export * from './errno';
export * from './maps';
export * from './helpers';
export { programTag } from './tag';
export * from './program';
export * from './kernel';
export * from './test-run';
export * from './xdp-md';
export * from './snapshot';
// The loader side (XDP hook, attach, dispatcher, xdp-loader, bpftool views, bpffs).
export * from './xdp';
export * from './loader';
export * from './bpffs';
export { kernelStateProblem } from './state-check';
/** The verifier's rejections explained for learners (src/verifier/explain.ts), for the library facade. */
export { explainProgram, type Explanation, type ExplainCategory, type ExplainSource, type ExplainStep } from '../verifier';
/** The step API: a recorded run beside the verifier's envelope (src/kernel/debug.ts). */
export { DebugRun, checkRun, debugRun, type Breakpoint, type DebugOptions, type DebugRegister, type DebugSource, type StepCheck } from './debug';
