/**
 * One BPF_PROG_TEST_RUN outcome in a comparable form, from xdpts and from the real kernel
 * (bpftool), and map contents in the kernel's pin naming: shared by the run oracles.
 */
import { createHash } from 'node:crypto';
import { BPFTOOL_DATA_SIZE_OUT, Kernel, TestRunError, errnoMessage, type XdpMdIn } from '../../src/kernel';
import { toHex } from '../../src/util/hex';
import { kernelTestRun, type KernelObject } from './run-kernel';

/** Return value and data_out, or the error test_run gave. */
export interface Outcome {
  retval?: number;
  out?: string;
  error?: string;
}

/** Long outputs are compared by length, head and digest so a mismatch prints readably. */
export function short(hex: string): string {
  return hex.length <= 256 ? hex : `${hex.length / 2} bytes ${hex.slice(0, 96)}... sha256 ${createHash('sha256').update(hex).digest('hex').slice(0, 16)}`;
}

const ERRNOS: Record<string, number> = { EINVAL: 22, ENODEV: 19, ENOMEM: 12, ENOSPC: 28 };
const errnoNumber = (name: string): number => ERRNOS[name] ?? 0;

/** xdpts's test_run of program `name` (by function name) of kernel `k`. */
export function xdptsRun(k: Kernel, name: string, packet: Uint8Array, ctx?: XdpMdIn, repeat?: number): Outcome {
  const p = k.programList().find((x) => x.funcName === name)!;
  try {
    const r = k.testRun(p, { packet, dataSizeOut: BPFTOOL_DATA_SIZE_OUT, ...(ctx ? { ctx } : {}), ...(repeat ? { repeat } : {}) });
    return { retval: r.retval, out: short(toHex(r.dataOut)) };
  } catch (e) {
    if (e instanceof TestRunError) return { error: errnoMessage(errnoNumber(e.errno)) };
    throw e;
  }
}

/** The kernel's test_run of a pinned program, in the same form. */
export function kernelOutcome(o: KernelObject, name: string, packet: Uint8Array, ctx?: Uint8Array, repeat?: number): Outcome {
  const r = kernelTestRun(o, name, packet, { ...(ctx ? { ctx } : {}), ...(repeat ? { repeat } : {}) });
  if (r.error !== undefined) return { error: r.error.replace(/^failed to run program: /, '') };
  return { retval: r.retval!, out: short(toHex(r.dataOut!)) };
}

/** xdpts maps in the kernel's pin naming (dots become underscores), entries sorted by key. */
export function xdptsMaps(k: Kernel): Record<string, { key: string; value: string }[]> {
  const out: Record<string, { key: string; value: string }[]> = {};
  for (const m of k.mapList()) {
    // A map-in-map value is an inner map id: shown as the inner map's name (ids differ).
    const value = (v: Uint8Array): string => (m.innerMeta ? `map ${k.map(new DataView(v.buffer, v.byteOffset).getUint32(0, true))?.name ?? '?'}` : toHex(v));
    out[m.name.replace(/\./g, '_')] = [...m.entries()]
      .map(([key, v]) => ({ key: toHex(key), value: value(v) }))
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  return out;
}
