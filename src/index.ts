/**
 * The xdpts library: what generated bindings, tests and applications import from `xdpts`. A
 * facade over src/api (load an object, typed maps, programs, attachXDP, pins) on either kind of
 * emulated kernel: `Kernel.inMemory()`, private to the process (unit tests: no files, no locks),
 * or the shared one of the state directory the CLI works on (`XDPTS_STATE_DIR`, the default of
 * `CollectionSpec.load` and `Kernel.shared()`), so what an application attaches shows in
 * `xdpts status` and traffic from `xdpts ping` runs its program. It implements the runtime
 * contract of src/gen/runtime-contract.ts.
 */
export type {
  BatchCursor,
  BatchResult,
  BpfMap,
  Codec,
  Collection,
  CollectionSpec,
  KernelTarget,
  MaybeDisposable,
  RunOptions,
  RunResult,
  XdpAction,
  LoadOptions,
  MapSpecInfo,
  PerCpuMap,
  Program,
  ProgramSpecInfo,
  TestRunOptions,
  TestRunResult,
  UpdateFlag,
  XdptsRuntime,
} from './gen/runtime-contract';
export { BPF_ANY, BPF_EXIST, BPF_NOEXIST } from './gen/runtime-contract';
export { loadCollectionSpec, ObjectCollectionSpec, LoadedCollection, isPerCpuType, type CollectionLoadOptions } from './api/collection';
export { MapHandle, BatchError, newPerfReader } from './api/map';
export { PerfReader, type PerfSample } from './api/perf';
export { Kernel, type BtfMap, type CollectionSource, type InMemoryKernelOptions, type KernelCollection, type KernelLoadOptions, type SharedKernelOptions } from './api/kernel-api';
export type { BtfData } from './api/btf-codec';
export { ProgramHandle } from './api/program';
export { attachXDP, type AttachXdpOptions, type XdpAttachMode, type XdpLink, type XdpLinkInfo } from './api/attach';
export { bytesCodec, perCpuCodec } from './api/codec';
export { XdptsError, MapError, VerifierError, ObjectError, ElfError, BtfError, UsageError } from './util/errors';
export { XdpError, BpffsError, TestRunError, XDP_MD_SIZE, xdpMdFromBytes, xdpMdToBytes, type XdpMdIn } from './kernel';
/** Why the verifier refuses a program: category, causal chain, a fix (`xdpts explain`). */
export { explainProgram, type Explanation, type ExplainCategory, type ExplainSource, type ExplainStep } from './kernel';
/** The step API: one run recorded for stepping, beside the verifier's proven values (`run --trace --verifier`). */
export { debugRun, DebugRun, type Breakpoint, type DebugOptions, type DebugRegister, type DebugSource, type StepCheck } from './kernel';
export { packet, PacketBuilder, decodePacket, summarizePacket, parsePacketSpec, PacketSpecError, type FieldInput, type DecodedLayer } from './packet';
export { runTests } from './api/testing';
export {
  exitCode as testExitCode, prettyReport, tapReport, junitReport, jsonReport, toLcov, coverageSummary, TestFileError,
  type TestSpec, type TestReport, type CaseResult, type FileResult, type Failure,
} from './testing';
