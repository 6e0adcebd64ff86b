/** Public surface of src/vm: the eBPF VM (memory model, interpreter, JIT, raw mode). */
export * from './types';
export { compile, runRaw, runXdp } from './program';
export { createSpace } from './space';
export { Tracer, type StepObserver, type TraceMem, type TraceReg, type TraceStep } from './trace';
export { Recorder, type PacketBounds, type RecordedReg } from './trace-record';
