/**
 * The test runner's data: a test file once checked against its object (every packet built,
 * every key and value encoded, every expectation ready to compare), and the results a run gives.
 */
import type { ObjectSpec, ProgramSpec, MapSpec } from '../object/index';
import type { XdpMdIn, ValueLayout } from '../kernel/index';
import type { Encoded } from './btf-values';
import type { FieldValue } from '../packet/index';
import type { Engine } from '../vm/index';

/**
 * A per-CPU map's value given CPU by CPU (bpftool's `values: [{cpu, value}]`); CPUs not listed
 * are zero in a write and not compared in an expectation. A plain value stands for every CPU.
 */
export interface PerCpu<T> {
  readonly perCpu: ReadonlyMap<number, T>;
}

/** A map write: `map[key] = value` (value null: delete). */
export interface MapWrite {
  readonly map: string;
  readonly key: Uint8Array;
  readonly value: Uint8Array | PerCpu<Uint8Array> | null;
  /** `file:line:col` of the entry, for errors the kernel gives when it is written. */
  readonly where: string;
}

/** An expected map entry (value null: the key must be absent). */
export interface MapEntryExpect {
  readonly key: Uint8Array;
  readonly keyText: string;
  readonly value: Encoded | PerCpu<Encoded> | null;
  readonly valueText: string;
}

/** Expected contents of one map after a case. */
export interface MapExpect {
  readonly map: string;
  readonly exact: boolean;
  readonly entries: readonly MapEntryExpect[];
}

/** What the output packet must be. */
export type PacketExpect =
  | { readonly kind: 'exact'; readonly bytes: Uint8Array; readonly text: string }
  | { readonly kind: 'fields'; readonly fields: readonly FieldExpect[]; readonly diff: boolean };

/** One field of the output packet: a value, or `valid` for a checksum. */
export interface FieldExpect {
  readonly path: string;
  readonly layer: string;
  readonly index: number;
  readonly field: string;
  readonly value: FieldValue | 'valid' | 'invalid';
  readonly text: string;
}

/** An expected ring-buffer record or perf sample: its bytes, and for perf the CPU it came from. */
export interface EventExpect {
  readonly bytes: Uint8Array;
  readonly cpu?: number;
}

/** A trace line expectation: the message exactly, or a regular expression. */
export type TraceExpect = string | RegExp;

/** Everything a case may expect. */
export interface Expectations {
  readonly action?: number;
  readonly retval?: number;
  readonly packet?: PacketExpect;
  readonly maps: readonly MapExpect[];
  readonly trace?: readonly TraceExpect[];
  readonly events?: ReadonlyMap<string, readonly EventExpect[]>;
  readonly redirect?: { readonly ifindex?: number; readonly map?: string; readonly key?: number };
  readonly rejected?: string | RegExp | true;
  readonly error?: string;
}

/** One case, ready to run. */
export interface CompiledCase {
  readonly name: string;
  readonly line: number;
  readonly packet: Uint8Array | undefined;
  readonly ctx: XdpMdIn | undefined;
  readonly fresh: boolean;
  /** The CPU the case runs on (per-CPU values, bpf_get_smp_processor_id, BPF_F_CURRENT_CPU). */
  readonly cpu: number;
  readonly writes: readonly MapWrite[];
  readonly repeat: number | undefined;
  readonly expect: Expectations;
  readonly skip?: string;
}

/** Per map: its spec and BTF layouts (for printing keys and values). */
export interface MapInfo {
  readonly spec: MapSpec;
  readonly keyLayout: ValueLayout | undefined;
  readonly valueLayout: ValueLayout | undefined;
}

/** A test file, checked and compiled. */
export interface CompiledFile {
  readonly file: string;
  /** The object file, or the source it was built from. */
  readonly objectPath: string;
  /** The ELF object's bytes (built from the source when the file gives `source:`). */
  readonly objectBytes: Uint8Array;
  readonly object: ObjectSpec;
  readonly program: ProgramSpec;
  readonly maps: ReadonlyMap<string, MapInfo>;
  readonly seed: number;
  /** Possible CPUs of the emulated kernel (`setup.cpus`, default 1). */
  readonly cpus: number;
  readonly engine: Engine;
  readonly setup: readonly MapWrite[];
  readonly cases: readonly CompiledCase[];
}

/** One difference between what a case expected and what happened. */
export interface Failure {
  /** What was compared: `action`, `packet ipv4.ttl`, `map hits[0]`, `trace`... */
  readonly what: string;
  readonly expected: string;
  readonly actual: string;
  /** Extra lines (a decoded field-by-field packet diff). */
  readonly detail?: readonly string[];
}

/** What one case did. */
export interface CaseResult {
  readonly name: string;
  readonly line: number;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly failures: readonly Failure[];
  readonly durationMs: number;
  /** Something worth showing that is not a failure (a fuzz finding, a kernel note, why a case is skipped). */
  readonly note?: string;
}

/** What one file did: its cases, or the reason it could not run. */
export interface FileResult {
  readonly file: string;
  readonly program?: string;
  readonly cases: readonly CaseResult[];
  /** A malformed file (exit 2): `file:line:col: error: ...`. */
  readonly error?: string;
  /** The line of that error, when it has one. */
  readonly errorLine?: number;
  readonly durationMs: number;
}
