/**
 * What the real kernel did with a case (as `xdpts test --kernel` records it) and how the
 * emulator's result differs from it: the verdict, the output packet, the maps the case names
 * (per-CPU maps CPU by CPU, on the CPUs both have) and the perf samples it sent.
 */
import type { BpfMap } from '../kernel/index';
import { hexOf } from '../packet/index';
import { cpuValue, type EventRecord } from './target';

/** What the kernel did with one case. */
export interface KernelCaseResult {
  readonly retval?: number;
  readonly packet?: string;
  /** The errno name a refused test run gave, or `rejected` when the program did not load. */
  readonly errno?: string;
  /**
   * Entries (hex key → hex value) of the maps the case's expectations name; a per-CPU map's
   * value is each CPU's value in hex, joined by commas (bpftool's `values`).
   */
  readonly maps: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Perf samples by map (`bpftool map event_pipe`), for the perf event arrays the case expects events from. */
  readonly events?: Readonly<Record<string, readonly { readonly cpu: number; readonly hex: string }[]>>;
}

/** The emulator's side of a case. */
export type EmulatedCase =
  | { readonly retval: number; readonly dataOut: Uint8Array; readonly events?: ReadonlyMap<string, readonly EventRecord[]> }
  | { readonly errno: string };

/** How the emulator's result differs from the kernel's, or undefined. */
export function disagreement(emulated: EmulatedCase, kernel: KernelCaseResult, maps: ReadonlyMap<string, BpfMap>): string | undefined {
  const diffs: string[] = [];
  if ('errno' in emulated || kernel.errno !== undefined) {
    const e = 'errno' in emulated ? emulated.errno : `ran (retval ${emulated.retval})`;
    const k = kernel.errno ?? `ran (retval ${kernel.retval})`;
    return e === k ? undefined : `test_run: xdpts ${e}, kernel ${k}`;
  }
  if (emulated.retval !== kernel.retval) diffs.push(`retval: xdpts ${emulated.retval}, kernel ${kernel.retval}`);
  if (hexOf(emulated.dataOut) !== kernel.packet) diffs.push(`packet: xdpts ${hexOf(emulated.dataOut)}, kernel ${kernel.packet}`);
  for (const [name, rows] of Object.entries(kernel.maps)) {
    const m = maps.get(name);
    if (!m) continue;
    const ours = Object.fromEntries([...m.entries()].map(([k, v]) => [hexOf(k), v]));
    for (const k of new Set([...Object.keys(rows), ...Object.keys(ours)])) {
      const theirs = rows[k];
      const mine = ours[k];
      if (theirs === undefined || mine === undefined) {
        diffs.push(`map ${name}[${k}]: xdpts ${mine ? hexOf(mine) : 'absent'}, kernel ${theirs ?? 'absent'}`);
        continue;
      }
      if (!m.percpu) {
        if (theirs !== hexOf(mine)) diffs.push(`map ${name}[${k}]: xdpts ${hexOf(mine)}, kernel ${theirs}`);
        continue;
      }
      // The machine may have more CPUs than the test's kernel: compare the CPUs both have.
      theirs.split(',').slice(0, m.ncpus).forEach((t, cpu) => {
        const x = hexOf(cpuValue(m, mine, cpu));
        if (t !== x) diffs.push(`map ${name}[${k}] cpu ${cpu}: xdpts ${x}, kernel ${t}`);
      });
    }
  }
  for (const [name, samples] of Object.entries(kernel.events ?? {})) {
    const show = (s: readonly { cpu?: number; hex: string }[]): string => s.map((x) => `cpu ${x.cpu}: ${x.hex}`).join(', ') || '(none)';
    const mine = show((emulated.events?.get(name) ?? []).map((r) => ({ cpu: r.cpu ?? 0, hex: hexOf(r.data) })));
    const theirs = show(samples);
    if (mine !== theirs) diffs.push(`events ${name}: xdpts ${mine}, kernel ${theirs}`);
  }
  return diffs.length ? diffs.join('; ') : undefined;
}
