/**
 * The xdpts library: what generated bindings and hand-written applications import from
 * `xdpts`. A facade over src/api (load an object, typed maps, programs, attachXDP, pins) that
 * works on the same emulated kernel state as the CLI (`XDPTS_STATE_DIR`), so what an
 * application attaches shows in `xdpts status` and traffic from `xdpts ping` runs its program.
 * It implements the runtime contract of src/gen/runtime-contract.ts.
 */
export type {
  BatchCursor,
  BatchResult,
  BpfMap,
  Codec,
  Collection,
  CollectionSpec,
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
export { MapHandle, BatchError } from './api/map';
export { ProgramHandle, XDP_MD_SIZE } from './api/program';
export { attachXDP, type AttachXdpOptions, type XdpAttachMode, type XdpLink, type XdpLinkInfo } from './api/attach';
export { bytesCodec, perCpuCodec } from './api/codec';
export { XdptsError, MapError, VerifierError, ObjectError, ElfError, BtfError, UsageError } from './util/errors';
export { XdpError, BpffsError } from './kernel';
