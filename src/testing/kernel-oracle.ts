/**
 * The real kernel as a second opinion (`xdpts test --kernel`): each file's object is loaded with
 * `bpftool prog loadall OBJ DIR type xdp pinmaps DIR_maps`, the setup and case map writes go
 * through `bpftool map update pinned` (one value for every CPU of a per-CPU map, as bpftool
 * writes it), each case runs through `taskset -c CPU bpftool prog run pinned ... data_in F
 * data_out G` (BPF_PROG_TEST_RUN on the case's CPU), with `bpftool map event_pipe` reading the
 * perf event arrays the case expects samples from, and the verdict, the output packet, the maps
 * the case names and those samples are compared with the emulator's. Needs root, bpffs and
 * bpftool; otherwise it says why and the emulator runs alone. Pins are named
 * `${prefix}<pid>_<n>` (prefix from XDPTS_PIN_PREFIX, default `xdpts_`) and removed at the end.
 *
 * A case's `ctx` goes in as bpftool's `ctx_in` (a struct xdp_md file). What bpftool cannot show
 * is not compared, and the case says so: ring-buffer records (bpftool has no ring buffer
 * reader) and per-CPU values that differ from CPU to CPU (bpftool map update copies one value
 * to every CPU).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errnoName, type BpfMap, type XdpMdIn } from '../kernel/index';
import { BPF_MAP_TYPE } from '../object/index';
import { hexOf } from '../packet/index';
import { disagreement, type EmulatedCase, type KernelCaseResult } from './kernel-compare';
import { isPerCpu } from './load-util';
import type { CompiledCase, CompiledFile, MapWrite } from './model';

/** The oracle: compares a case with the kernel; keeps what the kernel said. */
export interface KernelOracle {
  /** Whether the kernel refuses to load the file's program (a `rejected` case). */
  rejects(cf: CompiledFile, c: CompiledCase): boolean;
  /** A disagreement, a note on what could not be compared, or undefined when the kernel agrees. */
  check(cf: CompiledFile, c: CompiledCase, emulated: EmulatedCase, maps: ReadonlyMap<string, BpfMap>): string | { note: string } | undefined;
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

/** The machine's possible CPUs (/sys/devices/system/cpu/possible: `0-1`, `0,2-3`). */
function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    return Math.max(...text.split(',').map((r) => Number(r.split('-').at(-1)))) + 1;
  } catch {
    return 1;
  }
}

const spaced = (b: Uint8Array): string[] => (hexOf(b).match(/../g) ?? []);

/** The linear part of a test packet (XDP_MAX_PACKET: 4096 - 256 headroom - 320 shared info). */
const LINEAR_MAX = 3520;

/**
 * A `struct xdp_md` for bpftool's ctx_in (include/uapi/linux/bpf.h: data, data_end, data_meta,
 * ingress_ifindex, rx_queue_index, egress_ifindex, all __u32): the packet linear from 0, no
 * metadata, the case's device fields.
 */
function xdpMd(ctx: XdpMdIn, len: number): Uint8Array {
  const b = new Uint8Array(24);
  const v = new DataView(b.buffer);
  v.setUint32(4, Math.min(len, LINEAR_MAX), true);
  v.setUint32(12, ctx.ingress_ifindex ?? 0, true);
  v.setUint32(16, ctx.rx_queue_index ?? 0, true);
  v.setUint32(20, ctx.egress_ifindex ?? 0, true);
  return b;
}
const mapPin = (dir: string, name: string): string => join(dir, name.replace(/\./g, '_'));

/**
 * Runs `bpftool prog run` with `bpftool -j map event_pipe` readers on the given pins: each reader
 * is started, waited for until its per-CPU perf events are open, the program runs, and the
 * readers are stopped (SIGINT) after a poll period so they print what they got.
 */
const EVENT_PIPE_SCRIPT = `B=$1 OUT=$2 NCPU=$3 CPU=$4 NM=$5; shift 5
pids=""; i=0
while [ $i -lt "$NM" ]; do "$B" -j map event_pipe pinned "$1" > "$OUT.$i" 2>/dev/null & pids="$pids $!"; shift; i=$((i+1)); done
for p in $pids; do t=0; while [ $t -lt 200 ]; do n=$(ls -l /proc/$p/fd 2>/dev/null | grep -c perf_event); [ "$n" -ge "$NCPU" ] && break; sleep 0.02; t=$((t+1)); done; done
sleep 0.05
taskset -c "$CPU" "$B" "$@"; rc=$?
sleep 0.3
for p in $pids; do kill -INT $p; done
for p in $pids; do wait $p; done
exit $rc`;

/** Makes the kernel oracle, or returns why it cannot run here. */
export function kernelOracle(prefix = process.env['XDPTS_PIN_PREFIX'] ?? 'xdpts_'): KernelOracle | string {
  const tool = findBpftool();
  if (typeof tool !== 'string') return tool.reason;
  const hasTaskset = spawnSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).status === 0;
  const ncpus = possibleCpus();
  const bt = (args: string[]): { code: number; out: string; err: string } => {
    const r = spawnSync(tool, args, { encoding: 'utf8' });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const tmp = mkdtempSync(join(tmpdir(), 'xdpts-kernel-'));
  const pins: string[] = [];
  let n = 0;
  const loaded = new Map<CompiledFile, { prog: string; maps: string } | { error: string }>();
  const records: KernelOracle['records'] = [];

  /** Writes a map entry; a note when the kernel cannot be given the same value. */
  const write = (mapsDir: string, w: MapWrite): string | undefined => {
    const pin = mapPin(mapsDir, w.map);
    if (w.value === null) return void bt(['map', 'delete', 'pinned', pin, 'key', 'hex', ...spaced(w.key)]);
    let value = w.value;
    if (isPerCpu(value)) {
      const all = [...value.perCpu.values()].map(hexOf);
      if (value.perCpu.size === 0 || new Set(all).size !== 1) return `map ${w.map}: bpftool map update writes one value to every CPU, not different ones (${w.where})`;
      value = [...value.perCpu.values()][0]!;
    }
    bt(['map', 'update', 'pinned', pin, 'key', 'hex', ...spaced(w.key), 'value', 'hex', ...spaced(value)]);
    return undefined;
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
    const r = bt(['-j', 'map', 'dump', 'pinned', mapPin(mapsDir, name)]);
    if (r.code !== 0) return {};
    const rows = JSON.parse(r.out || '[]') as { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] }[];
    const hex = (a: string[]): string => a.map((x) => x.replace(/^0x/, '')).join('');
    return Object.fromEntries(rows.map((row) => [hex(row.key), row.values ? row.values.map((v) => hex(v.value)).join(',') : hex(row.value ?? [])]));
  };
  /** `bpftool prog run` on the case's CPU, with event_pipe readers on `perfMaps`. */
  const run = (args: string[], cpu: number, perfPins: string[], out: string): { code: number; out: string; err: string } => {
    if (perfPins.length) {
      const r = spawnSync('sh', ['-c', EVENT_PIPE_SCRIPT, 'sh', tool, out, String(ncpus), String(cpu), String(perfPins.length), ...perfPins, ...args], { encoding: 'utf8' });
      return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    }
    if (!hasTaskset) return bt(args);
    const r = spawnSync('taskset', ['-c', String(cpu), tool, ...args], { encoding: 'utf8' });
    return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const samples = (file: string): { cpu: number; hex: string }[] => {
    if (!existsSync(file)) return [];
    const rows = JSON.parse(readFileSync(file, 'utf8') || '[]') as { type: number; cpu: number; data?: number[] }[];
    return rows.filter((x) => x.data).map((x) => ({ cpu: x.cpu, hex: hexOf(Uint8Array.from(x.data!)) }));
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
      if (c.cpu >= ncpus) return { note: `not run on the kernel: this machine has ${ncpus} CPU${ncpus === 1 ? '' : 's'}, the case runs on CPU ${c.cpu}` };
      if (c.cpu !== 0 && !hasTaskset) return { note: 'not run on the kernel: taskset (util-linux) is needed to run on CPU ' + c.cpu };
      let l = loaded.get(cf);
      if (!l || c.fresh) loaded.set(cf, (l = load(cf)));
      if ('error' in l) return l.error;
      const notes = c.writes.map((w) => write(l.maps, w)).filter((x): x is string => x !== undefined);
      const din = join(tmp, 'in');
      const dout = join(tmp, 'out');
      writeFileSync(din, c.packet ?? new Uint8Array(0));
      rmSync(dout, { force: true });
      const args = ['prog', 'run', 'pinned', l.prog, 'data_in', din, 'data_out', dout, ...(c.repeat !== undefined ? ['repeat', String(c.repeat)] : [])];
      if (c.ctx) {
        const ctxIn = join(tmp, 'ctx');
        writeFileSync(ctxIn, xdpMd(c.ctx, c.packet?.length ?? 0));
        args.push('ctx_in', ctxIn);
      }
      const perf = [...(c.expect.events?.keys() ?? [])].filter((name) => cf.maps.get(name)?.spec.type === BPF_MAP_TYPE.PERF_EVENT_ARRAY);
      const ring = [...(c.expect.events?.keys() ?? [])].filter((name) => !perf.includes(name));
      const evOut = join(tmp, 'events');
      const r = run(args, c.cpu, perf.map((name) => mapPin(l.maps, name)), evOut);
      const mapState = Object.fromEntries(c.expect.maps.map((m) => [m.map, dump(l.maps, m.map)]));
      let result: KernelCaseResult;
      if (r.code !== 0) result = { errno: errnoName(256 - r.code), maps: mapState };
      else {
        const m = /Return value: (\d+)/.exec(r.out);
        const events = Object.fromEntries(perf.map((name, i) => [name, samples(`${evOut}.${i}`)]));
        result = { retval: m ? Number(m[1]) : -1, packet: existsSync(dout) ? hexOf(new Uint8Array(readFileSync(dout))) : '', maps: mapState, ...(perf.length ? { events } : {}) };
      }
      records.push({ file: cf.file, name: c.name, result });
      const d = disagreement(emulated, result, maps);
      if (d) return d;
      if (ring.length) notes.push(`ring buffer ${ring.join(', ')} not compared: bpftool has no ring buffer reader`);
      return notes.length ? { note: `kernel: ${notes.join('; ')}` } : undefined;
    },
    close() {
      for (const p of pins) rmSync(p, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    },
  };
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
