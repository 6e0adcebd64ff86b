/**
 * The real kernel for the run oracle: `bpftool prog loadall` of an object (every program pinned
 * under /sys/fs/bpf/xdptsI_<pid>_<n>/, maps under ..._maps/), BPF_PROG_TEST_RUN through
 * `bpftool prog run`, and map dumps. Usable only where tools.kernel is true.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tools } from '../helpers/tools';

let counter = 0;

/** An object loaded in the real kernel. */
export interface KernelObject {
  readonly dir: string;
  readonly mapDir: string;
  readonly error?: string;
}

/** Loads every program of `obj` as XDP and pins them and the maps. */
export function kernelLoadAll(obj: string): KernelObject {
  const dir = `/sys/fs/bpf/xdptsI_${process.pid}_${counter++}`;
  const mapDir = `${dir}_maps`;
  const r = spawnSync(tools.bpftool!, ['prog', 'loadall', obj, dir, 'type', 'xdp', 'pinmaps', mapDir], { encoding: 'utf8' });
  if (r.status !== 0) {
    kernelUnloadAll({ dir, mapDir });
    return { dir, mapDir, error: (r.stderr || r.stdout).trim() };
  }
  return { dir, mapDir };
}

/** Removes the pins (the kernel frees programs and maps). */
export function kernelUnloadAll(o: KernelObject): void {
  rmSync(o.dir, { recursive: true, force: true });
  rmSync(o.mapDir, { recursive: true, force: true });
}

/** One BPF_PROG_TEST_RUN on the kernel. */
export interface KernelTestRun {
  readonly retval?: number;
  readonly dataOut?: Uint8Array;
  readonly error?: string;
}

/** Runs program `name` of the object on `packet` (`ctx` as a 24-byte struct xdp_md when given). */
export function kernelTestRun(o: KernelObject, name: string, packet: Uint8Array, opts: { repeat?: number; ctx?: Uint8Array } = {}): KernelTestRun {
  const tmp = mkdtempSync(join(tmpdir(), 'xdptsI-run-'));
  try {
    const inF = join(tmp, 'in');
    const outF = join(tmp, 'out');
    writeFileSync(inF, packet);
    const args = ['-j', 'prog', 'run', 'pinned', join(o.dir, name), 'data_in', inF, 'data_out', outF, 'repeat', String(opts.repeat ?? 1)];
    if (opts.ctx) {
      writeFileSync(join(tmp, 'ctx'), opts.ctx);
      args.push('ctx_in', join(tmp, 'ctx'));
    }
    const r = spawnSync(tools.bpftool!, args, { encoding: 'utf8' });
    const j = JSON.parse(r.stdout || '{}') as { retval?: number; error?: string };
    if (j.error !== undefined || r.status !== 0) return { error: j.error ?? r.stderr.trim() };
    return { retval: j.retval!, dataOut: new Uint8Array(readFileSync(outF)) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every map of the object: pin name → entries as hex, sorted by key. */
export function kernelMapDump(o: KernelObject): Record<string, { key: string; value: string }[]> {
  const out: Record<string, { key: string; value: string }[]> = {};
  if (!existsSync(o.mapDir)) return out; // an object without maps pins none
  for (const name of readdirSync(o.mapDir)) {
    const txt = execFileSync(tools.bpftool!, ['-j', 'map', 'dump', 'pinned', join(o.mapDir, name)], { encoding: 'utf8' });
    const rows = JSON.parse(txt) as { key: string[]; value: string[] | { error: string } }[];
    const show = JSON.parse(execFileSync(tools.bpftool!, ['-j', 'map', 'show', 'pinned', join(o.mapDir, name)], { encoding: 'utf8' })) as { type: string };
    const mapInMap = show.type === 'array_of_maps' || show.type === 'hash_of_maps';
    // An empty devmap slot is listed by get_next_key but its lookup fails (ENOENT): no entry.
    out[name] = rows
      .filter((e): e is { key: string[]; value: string[] } => Array.isArray(e.value))
      .map((e) => {
        const value = e.value.map((b) => b.slice(2)).join('');
        return { key: e.key.map((b) => b.slice(2)).join(''), value: mapInMap ? innerMapName(value) : value };
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  }
  return out;
}

/**
 * A map-in-map value (the inner map's id, which differs between kernels) as `map NAME`, the
 * way xdptsMaps shows it too.
 */
function innerMapName(idHex: string): string {
  const id = Buffer.from(idHex, 'hex').readUInt32LE(0);
  const info = JSON.parse(execFileSync(tools.bpftool!, ['-j', 'map', 'show', 'id', String(id)], { encoding: 'utf8' })) as { name: string };
  return `map ${info.name}`;
}
