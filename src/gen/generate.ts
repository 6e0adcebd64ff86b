/**
 * `generateBindings`: the generator as a library (what bpf2go users asked for in cilium/ebpf
 * #1448/#1494). Given one object per target, it returns the files to write; writing is the
 * caller's business, so the CLI and tests share one deterministic code path.
 */
import { UsageError } from '../util/errors';
import type { ObjectSpec } from '../object/types';
import { generateModule, type ModuleResult } from './module';
import { validateIdent } from './names';

/** One object to bind: its bytes and its spec (from `loadObject`). */
export interface GenTarget {
  readonly spec: ObjectSpec;
  readonly bytes: Uint8Array;
  /** Base name of the object file, for the header comment. */
  readonly objectName?: string;
}

/** Options of {@link generateBindings}. */
export interface GenerateOptions {
  /** The stem of generated names; also the default file stem. */
  readonly ident: string;
  /** Extra BTF types to emit (`--type`). */
  readonly types?: readonly string[];
  /** Import specifier of the runtime library (default `xdpts`). */
  readonly runtime?: string;
  /** File stem (default: the IDENT lower-cased, as bpf2go's `-output-stem`). */
  readonly stem?: string;
  /**
   * Suffix files with the target (`<stem>_bpfel.ts`), as bpf2go does. Default: only when more
   * than one target is given.
   */
  readonly targetSuffix?: boolean;
  /** The command line that regenerates the files, for the header comment. */
  readonly command?: string;
}

/** One file to write, relative to the output directory. */
export interface GeneratedFile {
  readonly path: string;
  readonly contents: string;
  readonly target: 'bpfel' | 'bpfeb';
  readonly module: ModuleResult;
}

/**
 * Generates the bindings for one or two targets (one module per byte order, like bpf2go's
 * `_bpfel.go`/`_bpfeb.go` pair). Output is byte-identical for identical input.
 *
 * @throws UsageError on a bad IDENT or stem, two targets of the same byte order, or a bad `--type`
 */
export function generateBindings(targets: readonly GenTarget[], opts: GenerateOptions): GeneratedFile[] {
  validateIdent(opts.ident);
  const stem = opts.stem ?? opts.ident.toLowerCase();
  if (!/^[A-Za-z0-9_.-]+$/.test(stem)) throw new UsageError(`invalid file stem '${stem}': no path separators or spaces`);
  if (targets.length === 0) throw new UsageError('no object to generate bindings for');
  const orders = targets.map((t) => t.spec.endian);
  if (new Set(orders).size !== orders.length) throw new UsageError('two objects of the same byte order: give one per target');
  const suffix = opts.targetSuffix ?? targets.length > 1;
  const sorted = [...targets].sort((a, b) => (a.spec.endian === b.spec.endian ? 0 : a.spec.endian === 'le' ? -1 : 1));
  return sorted.map((t) => {
    const target = t.spec.endian === 'le' ? 'bpfel' : 'bpfeb';
    const module = generateModule(t.spec, t.bytes, {
      ident: opts.ident,
      ...(opts.types ? { types: opts.types } : {}),
      ...(opts.runtime ? { runtime: opts.runtime } : {}),
      ...(t.objectName ? { objectName: t.objectName } : {}),
      ...(opts.command ? { command: opts.command } : {}),
    });
    return { path: suffix ? `${stem}_${target}.ts` : `${stem}.ts`, contents: module.text, target, module } as const;
  });
}
