/**
 * The real kernel as a second opinion (`xdpts test --kernel`): each file's object is loaded with
 * `bpftool prog loadall OBJ DIR type xdp pinmaps DIR_maps`, the setup and case map writes go
 * through `bpftool map update pinned`, each case runs through `bpftool prog run pinned ...
 * data_in F data_out G` (BPF_PROG_TEST_RUN), and the verdict, the output packet and the maps the
 * case names are compared with the emulator's. Needs root, bpffs and bpftool; otherwise it says
 * why and the emulator runs alone. Pins are named `${prefix}<pid>_<n>` (prefix from
 * XDPTS_PIN_PREFIX, default `xdpts_`) and removed when the run ends.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errnoName, type BpfMap } from '../kernel/index';
import { hexOf } from '../packet/index';
import type { CompiledCase, CompiledFile, MapWrite } from './model';

/** What the kernel did with one case. */
export interface KernelCaseResult {
  readonly retval?: number;
  readonly packet?: string;
  /** The errno name a refused test run gave, or `rejected` when the program did not load. */
  readonly errno?: string;
  /** Entries (hex key → hex value) of the maps the case's expectations name. */
  readonly maps: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** The oracle: compares a case with the kernel; keeps what the kernel said. */
export interface KernelOracle {
  /** Whether the kernel refuses to load the file's program (a `rejected` case). */
  rejects(cf: CompiledFile, c: CompiledCase): boolean;
  /** A disagreement, or undefined when the kernel agrees. */
  check(cf: CompiledFile, c: CompiledCase, emulated: { retval: number; dataOut: Uint8Array } | { errno: string }, maps: ReadonlyMap<string, BpfMap>): string | undefined;
  /** Every case's kernel result, in order (for recording fixtures). */
  readonly records: { file: string; name: string; result: KernelCaseResult }[];
  /** Removes the pins. */
  close(): void;
}

const BPFFS = '/sys/fs/bpf';

/** The bpftool to use, or the reason there is none usable. */
function findBpftool(): string | { reason: string } {
  if (process.getuid?.() !== 0) return { reason: 'needs root (BPF_PROG_TEST_RUN loads programs into the kernel)' };
  const which = spawnSync('sh', ['-c', 'command -v bpftool || ls /usr/sbin/bpftool'], { encoding: 'utf8' });
  const tool = which.stdout.trim().split('\n')[0];
  if (!tool) return { reason: 'bpftool is not installed' };
  if (!existsSync(BPFFS)) return { reason: `${BPFFS} does not exist (no bpffs)` };
  return tool;
}

const spaced = (b: Uint8Array): string[] => (hexOf(b).match(/../g) ?? []);

/** Makes the kernel oracle, or returns why it cannot run here. */
export function kernelOracle(prefix = process.env['XDPTS_PIN_PREFIX'] ?? 'xdpts_'): KernelOracle | string {
  const tool = findBpftool();
  if (typeof tool !== 'string') return tool.reason;
  const bt = (args: string[]): { code: number; out: string; err: string } => {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const tmp = mkdtempSync(join(tmpdir(), 'xdpts-kernel-'));
  const pins: string[] = [];
  let n = 0;
  const loaded = new Map<CompiledFile, { prog: string; maps: string } | { error: string }>();
  const records: KernelOracle['records'] = [];

  const write = (mapsDir: string, w: MapWrite): void => {
    const pin = join(mapsDir, w.map.replace(/\./g, '_'));
    const args = w.value === null ? ['map', 'delete', 'pinned', pin, 'key', 'hex', ...spaced(w.key)] : ['map', 'update', 'pinned', pin, 'key', 'hex', ...spaced(w.key), 'value', 'hex', ...spaced(w.value)];
    bt(args);
  };
  const load = (cf: CompiledFile): { prog: string; maps: string } | { error: string } => {
    const dir = join(BPFFS, `${prefix}${process.pid}_${n++}`);
    const mapsDir = `${dir}_maps`;
    pins.push(dir, mapsDir);
    // The object as xdpts read it (built from the source for `source:` files).
    const obj = join(tmp, `obj${n}.o`);
    writeFileSync(obj, cf.objectBytes);
    const r = bt(['prog', 'loadall', obj, dir, 'type', 'xdp', 'pinmaps', mapsDir]);
    if (r.code !== 0) return { error: `the kernel refused to load ${cf.objectPath}: ${r.err.trim().split('\n').at(-1)}` };
    for (const w of cf.setup) write(mapsDir, w);
    return { prog: join(dir, cf.program.name), maps: mapsDir };
  };
  const dump = (mapsDir: string, name: string): Record<string, string> => {
    const r = bt(['-j', 'map', 'dump', 'pinned', join(mapsDir, name.replace(/\./g, '_'))]);
    if (r.code !== 0) return {};
    const rows = JSON.parse(r.out || '[]') as { key: string[]; value: string[] }[];
    const hex = (a: string[]): string => a.map((x) => x.replace(/^0x/, '')).join('');
    return Object.fromEntries(rows.map((row) => [hex(row.key), hex(row.value)]));
  };

  return {
    records,
    rejects(cf, c) {
      const l = load(cf);
      const refused = 'error' in l;
      records.push({ file: cf.file, name: c.name, result: { ...(refused ? { errno: 'rejected' } : {}), maps: {} } });
      return refused;
    },
    check(cf, c, emulated, maps) {
      if (c.ctx) return undefined; // bpftool's ctx_in takes a struct xdp_md file: not compared here
      let l = loaded.get(cf);
      if (!l || c.fresh) loaded.set(cf, (l = load(cf)));
      if ('error' in l) return l.error;
      for (const w of c.writes) write(l.maps, w);
      const din = join(tmp, 'in');
      const dout = join(tmp, 'out');
      writeFileSync(din, c.packet ?? new Uint8Array(0));
      rmSync(dout, { force: true });
      const args = ['prog', 'run', 'pinned', l.prog, 'data_in', din, 'data_out', dout, ...(c.repeat !== undefined ? ['repeat', String(c.repeat)] : [])];
      const r = bt(args);
      const names = c.expect.maps.map((m) => m.map);
      const mapState = Object.fromEntries(names.map((name) => [name, dump(l.maps, name)]));
      let result: KernelCaseResult;
      if (r.code !== 0) result = { errno: errnoName(256 - r.code), maps: mapState };
      else {
        const m = /Return value: (\d+)/.exec(r.out);
        result = { retval: m ? Number(m[1]) : -1, packet: existsSync(dout) ? hexOf(new Uint8Array(readFileSync(dout))) : '', maps: mapState };
      }
      records.push({ file: cf.file, name: c.name, result });
      return disagreement(emulated, result, maps);
    },
    close() {
      for (const p of pins) rmSync(p, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** How the emulator's result differs from the kernel's, or undefined. */
export function disagreement(
  emulated: { retval: number; dataOut: Uint8Array } | { errno: string }, kernel: KernelCaseResult, maps: ReadonlyMap<string, BpfMap>,
): string | undefined {
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
    const ours = Object.fromEntries([...m.entries()].map(([k, v]) => [hexOf(k), hexOf(v)]));
    for (const k of new Set([...Object.keys(rows), ...Object.keys(ours)])) {
      if (rows[k] !== ours[k]) diffs.push(`map ${name}[${k}]: xdpts ${ours[k] ?? 'absent'}, kernel ${rows[k] ?? 'absent'}`);
    }
  }
  return diffs.length ? diffs.join('; ') : undefined;
}

/** Whether a usable bpftool is here (for callers that only want to know). */
export function kernelAvailable(): boolean {
  const t = findBpftool();
  if (typeof t !== 'string') return false;
  try {
    execFileSync(t, ['prog', 'show'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}
