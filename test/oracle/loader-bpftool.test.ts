/**
 * Differential test of the bpftool views: the same map commands on maps made by
 * `bpftool map create` on the real kernel (pinned under /sys/fs/bpf/xdptsJ_*, removed
 * afterwards) and on the emulated kernel (same parameters, pinned at the same paths in its
 * bpffs), compared on stdout, stderr and exit status (map ids normalised).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tools } from '../helpers/tools';
import { BPF_MAP_TYPE } from '../../src/object/index';
import { Kernel, mapDelete, mapDump, mapLookup, mapPin, mapShow, mapUpdate, XdpManager, EMPTY_TOPOLOGY, type ToolOutcome } from '../../src/kernel/index';

const PINS = { arr: '/sys/fs/bpf/xdptsJ_arr', hash: '/sys/fs/bpf/xdptsJ_hash', pcpu: '/sys/fs/bpf/xdptsJ_pcpu' };

const SCRIPT: string[][] = [
  ['show', 'pinned', PINS.arr],
  ['dump', 'pinned', PINS.arr],
  ['update', 'pinned', PINS.arr, 'key', '1', '0', '0', '0', 'value', '5', '0', '0', '0', '0', '0', '0', '0'],
  ['dump', 'pinned', PINS.arr],
  ['lookup', 'pinned', PINS.arr, 'key', '1', '0', '0', '0'],
  ['lookup', 'pinned', PINS.arr, 'key', 'hex', '01', '00', '00', '00'],
  ['lookup', 'pinned', PINS.arr, 'key', '9', '0', '0', '0'],
  ['update', 'pinned', PINS.arr, 'key', '0', '0', '0', '0', 'value', '0x10', '0', '0', '0', '0', '0', '0', '0', 'noexist'],
  ['update', 'pinned', PINS.arr, 'key', '0', '0', '0', 'value', '1', '2'],
  ['update', 'pinned', PINS.arr, 'key', '0', '0', '0', '0', 'value', '1', '2'],
  ['delete', 'pinned', PINS.arr, 'key', '0', '0', '0', '0'],
  ['-j', 'dump', 'pinned', PINS.arr],
  ['-j', 'show', 'pinned', PINS.arr],
  ['show', 'pinned', PINS.hash],
  ['dump', 'pinned', PINS.hash],
  ['update', 'pinned', PINS.hash, 'key', '7', '0', '0', '0', 'value', '1', '0', '0', '0', '0', '0', '0', '0'],
  ['update', 'pinned', PINS.hash, 'key', '7', '0', '0', '0', 'value', '2', '0', '0', '0', '0', '0', '0', '0', 'noexist'],
  ['dump', 'pinned', PINS.hash],
  ['delete', 'pinned', PINS.hash, 'key', '7', '0', '0', '0'],
  ['delete', 'pinned', PINS.hash, 'key', '7', '0', '0', '0'],
  ['dump', 'pinned', PINS.hash],
  ['show', 'pinned', PINS.pcpu],
  ['dump', 'pinned', PINS.pcpu],
  ['-j', 'lookup', 'pinned', PINS.arr, 'key', '1', '0', '0', '0'],
  ['-j', 'lookup', 'pinned', PINS.hash, 'key', '1', '0', '0', '0'],
  ['lookup', 'pinned', PINS.hash, 'key', '1', '0', '0', '0'],
  ['update', 'pinned', PINS.hash, 'key', '3', '0', '0', '0', 'value', '1', '0', '0', '0', '0', '0', '0', '0', 'exist'],
  ['update', 'pinned', PINS.hash, 'key', '3', '0', '0', '0', 'value', '1', '0', '0', '0', '0', '0', '0', '0', 'any'],
  ['dump', 'pinned', PINS.hash],
  ['-j', 'dump', 'pinned', PINS.hash],
  // (Several hash entries dump in bucket order, which the emulated hash does not reproduce.)
  ['-j', 'update', 'pinned', PINS.hash, 'key', '3', '0', '0', '0', 'value', '0x2a', '0', '0', '0', '0', '0', '0', '0'],
  ['lookup', 'pinned', PINS.hash, 'key', '3', '0', '0', '0'],
  ['show', 'name', 'xdptsJ_hash'],
  ['dump', 'name', 'xdptsJ_nosuchmap'],
  ['pin', 'pinned', PINS.arr, PINS.arr],
  ['pin', 'pinned', PINS.arr, '/sys/fs/bpf/xdptsJ_nodir/x'],
  ['show', 'id', '999999'],
  ['-j', 'show', 'id', '999999'],
];

/**
 * Both sides in one form: ids masked, and xdpts' one JSON error shape
 * (`{"error":{"message":M,"code":C}}`, issue 15) read back as bpftool's `{"error":M}` — the
 * message must still be bpftool's word for word.
 */
function norm(o: ToolOutcome): string {
  const t = (s: string): string =>
    s
      .replace(/^\d+: /gm, 'N: ')
      .replace(/"id":\d+/g, '"id":N')
      .replace(/^\{"error":\{"message":("(?:[^"\\]|\\.)*"),"code":"[a-z]+"\}\}$/gm, '{"error":$1}');
  return `exit ${o.exit}\n${t(o.stdout.join('\n'))}\n--\n${t(o.stderr.join('\n'))}`;
}

function real(args: string[]): ToolOutcome {
  const r = spawnSync(tools.bpftool!, args[0] === '-j' ? ['-j', 'map', ...args.slice(1)] : ['map', ...args], { encoding: 'utf8' });
  const lines = (s: string): string[] => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));
  return { exit: r.status ?? -1, stdout: lines(r.stdout), stderr: lines(r.stderr) };
}

function emulated(mgr: XdpManager, args: string[]): ToolOutcome {
  const json = args[0] === '-j';
  const [cmd, ...rest] = json ? args.slice(1) : args;
  const f = { show: mapShow, dump: mapDump, lookup: mapLookup, update: mapUpdate, delete: mapDelete, pin: mapPin }[cmd as 'show'];
  const o = f(mgr, rest, json);
  // bpftool prints `null` for a silent success in JSON mode only.
  return o;
}

function cleanup(): void {
  for (const p of Object.values(PINS)) rmSync(p, { force: true });
}

describe.skipIf(!tools.kernel)(`bpftool map views against the real bpftool${tools.kernel ? '' : ' (skipped: needs root, bpffs and bpftool)'}`, () => {
  afterAll(cleanup);

  it('prints and fails like bpftool 7.1 on the same maps', () => {
    cleanup();
    const mk = (path: string, spec: string): void => {
      const r = spawnSync(tools.bpftool!, ['map', 'create', path, ...spec.split(' '), 'name', path.split('/').pop()!], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    };
    mk(PINS.arr, 'type array key 4 value 8 entries 2');
    mk(PINS.hash, 'type hash key 4 value 8 entries 4');
    mk(PINS.pcpu, 'type percpu_array key 4 value 8 entries 1');
    const ncpus = Number(spawnSync('nproc', ['--all'], { encoding: 'utf8' }).stdout.trim());
    const k = new Kernel({ ncpus });
    const mgr = new XdpManager(k, undefined, EMPTY_TOPOLOGY);
    const mkE = (path: string, type: number, maxEntries: number): void => {
      const m = k.createMap({ type, keySize: 4, valueSize: 8, maxEntries, name: path.split('/').pop()!.slice(0, 15) });
      mgr.bpffs.pin(path, { kind: 'map', id: m.id });
    };
    mkE(PINS.arr, BPF_MAP_TYPE.ARRAY, 2);
    mkE(PINS.hash, BPF_MAP_TYPE.HASH, 4);
    mkE(PINS.pcpu, BPF_MAP_TYPE.PERCPU_ARRAY, 1);
    const diffs: string[] = [];
    for (const step of SCRIPT) {
      const want = norm(real(step));
      const got = norm(emulated(mgr, step));
      if (want !== got) diffs.push(`map ${step.join(' ')}\n--- bpftool:\n${want}\n--- xdpts:\n${got}`);
    }
    expect(diffs).toEqual([]);
  });
});
