/**
 * PERF_EVENT_ARRAY and bpf_perf_event_output end to end: fixtures/kernel/helpers/perf.c runs on
 * packets while a reader is attached; `bpftool map event_pipe` on the 6.18 kernel printed
 * perf.event_pipe.txt (timestamps replaced by T) for the same runs (case 1, then case 0, which
 * outputs twice). xdpts' event_pipe view and the library's PerfReader must give the same
 * samples; live, bpftool is re-run in the background and compared.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel as ApiKernel, newPerfReader } from '../../src/index';
import { Kernel, PerfEventArrayMap, emptyXdpState, mapEventPipe, XdpManager } from '../../src/kernel';
import { loadObject } from '../../src/object';
import { needs, tools } from '../helpers/tools';

const DIR = join(import.meta.dirname, '../../fixtures/kernel/helpers');
const OBJ = join(DIR, 'perf.o');
const WANT = readFileSync(join(DIR, 'perf.event_pipe.txt'), 'utf8');
const packet = (n: number): Uint8Array => Uint8Array.from({ length: 128 }, (_, i) => (i === 0 ? n : n === 1 ? i : 0));
const normalize = (s: string): string => s.replace(/@\d+\.\d{9}/g, '@T');

describe('bpf_perf_event_output into a PERF_EVENT_ARRAY', () => {
  it('gives the samples bpftool map event_pipe printed on the kernel', () => {
    for (const engine of ['interp', 'jit'] as const) {
      const k = new Kernel({ engine, ncpus: 2, seed: 1 });
      const { maps, programs } = k.loadObject(loadObject(new Uint8Array(readFileSync(OBJ)), 'perf.o'), { type: 6 });
      const events = maps.get('events')!;
      expect(events.maxEntries).toBe(2); // libbpf: one slot per CPU when max_entries is 0
      const mgr = new XdpManager(k, emptyXdpState(), { device: () => undefined, byName: () => undefined, list: () => [], byMac: () => undefined });
      expect(mapEventPipe(mgr, ['id', String(events.id)], false).stdout).toEqual([]);
      for (const n of [1, 0]) k.testRun(programs[0]!, { packet: packet(n) });
      const out = mapEventPipe(mgr, ['id', String(events.id)], false);
      expect(normalize(out.stdout.join('\n') + '\n')).toBe(WANT);
      // Read once: the next call has nothing.
      expect(mapEventPipe(mgr, ['id', String(events.id)], false).stdout).toEqual([]);
    }
  });

  it('counts samples that do not fit as lost, reported before the next one that fits', () => {
    const k = new Kernel({ engine: 'jit', ncpus: 1, seed: 1 });
    const { maps, programs } = k.loadObject(loadObject(new Uint8Array(readFileSync(OBJ)), 'perf.o'), { type: 6 });
    const events = maps.get('events') as PerfEventArrayMap;
    events.openBuffers({ pages: 1, withTime: true });
    // Each sample: 8 header + 8 time + 4 size + 28 bytes = 48; 85 fit in 4096 bytes.
    for (let i = 0; i < 90; i++) k.testRun(programs[0]!, { packet: packet(1) });
    const first = events.drain();
    expect(first.length).toBe(85);
    k.testRun(programs[0]!, { packet: packet(1) });
    const next = events.drain();
    expect(next.map((r) => r.type)).toEqual([2, 9]);
    expect(next[0]).toMatchObject({ lost: 5 });
  });

  it('PerfReader delivers the samples like cilium/ebpf perf.Reader, and closing empties the slots', () => {
    const c = ApiKernel.inMemory().loadCollection<'events' | 'small', 'perf'>(OBJ);
    const rd = newPerfReader(c.maps.events, 4096);
    c.programs.perf.run(packet(1));
    const s = rd.readAll();
    expect(s).toHaveLength(1);
    expect(s[0]!.cpu).toBe(0);
    expect(s[0]!.lostSamples).toBe(0);
    expect(Buffer.from(s[0]!.rawSample).toString('hex')).toBe('4433221155' + Buffer.from(packet(1).subarray(0, 20)).toString('hex') + '000000');
    expect(rd.read()).toBeUndefined();
    rd.close();
    const r = c.programs.perf.run(packet(1));
    // No reader: the slot is empty and the helper's -ENOENT lands in the packet.
    expect(Buffer.from(r.packet.subarray(8, 16)).readBigInt64LE()).toBe(-2n);
    c.close();
  });
});

describe.skipIf(!tools.kernel)(`bpftool map event_pipe on the live kernel${needs('kernel')}`, () => {
  it('still prints the recorded samples', async () => {
    const pin = `/sys/fs/bpf/rh_perf_${process.pid}`;
    const tmp = mkdtempSync(join(tmpdir(), 'rh_perf_'));
    try {
      const load = spawnSync(tools.bpftool!, ['prog', 'loadall', OBJ, pin, 'type', 'xdp', 'pinmaps', `${pin}_m`], { encoding: 'utf8' });
      expect(load.status, load.stderr).toBe(0);
      const pipe = spawn(tools.bpftool!, ['map', 'event_pipe', 'pinned', `${pin}_m/events`]);
      let text = '';
      pipe.stdout.on('data', (d: Buffer) => (text += d.toString()));
      await new Promise((r) => setTimeout(r, 700));
      for (const n of [1, 0]) {
        writeFileSync(join(tmp, 'in'), packet(n));
        // Pinned to CPU 0 so the samples say CPU 0 like the recording.
        const run = spawnSync('taskset', ['-c', '0', tools.bpftool!, 'prog', 'run', 'pinned', `${pin}/perf`, 'data_in', join(tmp, 'in')], { encoding: 'utf8' });
        expect(run.status, run.stderr).toBe(0);
      }
      await new Promise((r) => setTimeout(r, 700));
      pipe.kill('SIGINT');
      await new Promise((r) => pipe.on('close', r));
      expect(normalize(text)).toBe(WANT);
    } finally {
      rmSync(pin, { recursive: true, force: true });
      rmSync(`${pin}_m`, { recursive: true, force: true });
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
