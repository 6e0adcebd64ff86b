/**
 * The real kernel as an oracle: load an object with bpftool, run BPF_PROG_TEST_RUN through
 * `bpftool prog run`, dump its maps. Only usable where `tools.kernel` is true (root, bpffs,
 * bpftool); every pin is made under /sys/fs/bpf/xdptsT_<pid>_<n> and removed by `unload`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tools } from './tools';

let counter = 0;

/** A program loaded in the real kernel, with its maps pinned. */
export interface KernelProg {
  readonly pin: string;
  readonly mapDir: string;
  /** The verifier's verdict: undefined when loaded, the error output otherwise. */
  readonly error?: string;
}

/** Loads `obj` as an XDP program (bpftool prog load ... type xdp pinmaps). */
export function kernelLoad(obj: string, type = 'xdp'): KernelProg {
  const id = `${process.pid}_${counter++}`;
  const pin = `/sys/fs/bpf/xdptsT_${id}`;
  const mapDir = `/sys/fs/bpf/xdptsT_${id}_maps`;
  const r = spawnSync(tools.bpftool!, ['prog', 'load', obj, pin, 'type', type, 'pinmaps', mapDir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(mapDir, { recursive: true, force: true });
    return { pin, mapDir, error: (r.stderr || r.stdout).trim() };
  }
  return { pin, mapDir };
}

/** Removes the pins of a loaded program (the kernel frees it). */
export function kernelUnload(p: KernelProg): void {
  rmSync(p.pin, { force: true });
  rmSync(p.mapDir, { recursive: true, force: true });
}

/** The result of one BPF_PROG_TEST_RUN. */
export interface KernelRun {
  retval: number;
  durationNs: number;
  dataOut?: Uint8Array;
  error?: string;
}

/** Runs the program once (or `repeat` times) on `packet`. */
export function kernelRun(p: KernelProg, packet: Uint8Array, repeat = 1): KernelRun {
  const dir = mkdtempSync(join(tmpdir(), 'xdpts-kr-'));
  try {
    const inF = join(dir, 'in');
    const outF = join(dir, 'out');
    writeFileSync(inF, packet);
    const r = spawnSync(tools.bpftool!, ['-j', 'prog', 'run', 'pinned', p.pin, 'data_in', inF, 'data_out', outF, 'repeat', String(repeat)], {
      encoding: 'utf8',
    });
    if (r.status !== 0) return { retval: -1, durationNs: 0, error: (r.stderr || r.stdout).trim() };
    const j = JSON.parse(r.stdout) as { retval: number; duration: number };
    let dataOut: Uint8Array | undefined;
    try {
      dataOut = new Uint8Array(readFileSync(outF));
    } catch {
      dataOut = undefined;
    }
    return { retval: j.retval, durationNs: j.duration, ...(dataOut ? { dataOut } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every pinned map of the program: name → entries as hex key/value (bpftool -j map dump). */
export function kernelMaps(p: KernelProg): Record<string, { key: string; value: string }[]> {
  const out: Record<string, { key: string; value: string }[]> = {};
  let names: string[] = [];
  try {
    names = readdirSync(p.mapDir);
  } catch {
    return out;
  }
  for (const name of names) {
    const txt = execFileSync(tools.bpftool!, ['-j', 'map', 'dump', 'pinned', join(p.mapDir, name)], { encoding: 'utf8' });
    const entries = JSON.parse(txt) as { key: string[]; value: string[] }[];
    out[name] = entries
      .filter((e) => Array.isArray(e.key) && Array.isArray(e.value))
      .map((e) => ({ key: e.key.map((b) => b.replace(/^0x/, '')).join(''), value: e.value.map((b) => b.replace(/^0x/, '')).join('') }));
  }
  return out;
}
