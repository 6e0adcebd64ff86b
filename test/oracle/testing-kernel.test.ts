/**
 * `xdpts test --kernel` against the real kernel: every case of examples/tests was run through
 * BPF_PROG_TEST_RUN (bpftool prog run) with its maps, and the kernel's verdicts, packets and map
 * contents (and fixtures/testing/progs: redirects, ring buffer, per-CPU maps on two CPUs, perf
 * samples read by bpftool map event_pipe, a rejected program) are recorded in
 * fixtures/testing/kernel-examples.json. Without root the emulator is checked against that
 * record; with root the kernel is asked again live (pins /sys/fs/bpf/xdptsT_*, or
 * $XDPTS_PIN_PREFIX*).
 * Re-recorded only with XDPTS_UPDATE_FIXTURES=1.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTests } from '../../src/index';
import { Kernel } from '../../src/kernel';
import { disagreement, kernelOracle, type CaseOracle, type KernelCaseResult } from '../../src/testing';
import { needs, tools } from '../helpers/tools';

const ROOT = resolve(__dirname, '../..');
const EX = join(ROOT, 'examples/tests');
const PROGS = join(ROOT, 'fixtures/testing/progs');
const PATHS = [EX, PROGS];
const FIXTURE = join(ROOT, 'fixtures/testing/kernel-examples.json');

interface Recorded {
  file: string;
  name: string;
  result: KernelCaseResult;
}

describe('the test runner agrees with the real kernel', () => {
  it('on the recorded kernel results of every example case', () => {
    if (process.env['XDPTS_UPDATE_FIXTURES'] === '1' && tools.kernel) {
      const k = kernelOracle(process.env['XDPTS_PIN_PREFIX'] ?? 'xdptsT_');
      if (typeof k === 'string') throw new Error(k);
      try {
        runTests({ paths: PATHS, oracle: k });
      } finally {
        k.close();
      }
      writeFileSync(FIXTURE, JSON.stringify(k.records.map((r) => ({ ...r, file: basename(r.file) })), null, 1) + '\n');
    }
    expect(existsSync(FIXTURE), 'fixture missing: run with XDPTS_UPDATE_FIXTURES=1 as root').toBe(true);
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Recorded[];
    expect(recorded.length).toBe(32);
    expect(recorded.filter((r) => r.result.errno === 'EINVAL')).toHaveLength(2);
    const seen: string[] = [];
    const find = (file: string, name: string): Recorded | undefined => recorded.find((x) => x.file === basename(file) && x.name === name);
    const replay: CaseOracle = {
      rejects(cf, c) {
        seen.push(c.name);
        return find(cf.file, c.name)?.result.errno === 'rejected';
      },
      check(cf, c, emulated, maps) {
        const r = find(cf.file, c.name);
        if (!r) return `no kernel record for ${c.name}`;
        seen.push(c.name);
        return disagreement(emulated, r.result, maps);
      },
    };
    const report = runTests({ paths: PATHS, oracle: replay });
    expect(report.files.flatMap((f) => f.cases.flatMap((c) => c.failures))).toEqual([]);
    expect(seen).toHaveLength(32);
    expect(recorded.find((r) => r.name.includes('refuses an unchecked'))?.result.errno).toBe('rejected');
    expect(find('ctx.test.yaml', 'no device 99')?.result.errno).toBe('ENODEV');
    // The kernel ran the case on CPU 1 (taskset) and event_pipe read the padded sample there.
    expect(find('perf.test.yaml', 'the CPU the case runs on')?.result.events).toEqual({ samples: [{ cpu: 1, hex: '01000000170006080200000000020200000000010806000000000000' }] });
    expect(find('percpu.test.yaml', 'the limit applies per CPU')?.result.maps['pcpu_limit']).toEqual({ '00000000': '0200000000000000,0200000001000000' });
  });

  it('compares per-CPU values on the CPUs both kernels have, and perf samples with their CPU', () => {
    const files = runTests({ paths: [join(PROGS, 'percpu.test.yaml')] });
    expect(files.failed).toBe(0);
    // A map as the emulator leaves it (2 CPUs), against a kernel with 4 CPUs.
    const k = new Kernel({ ncpus: 2 });
    const m = k.createMap({ type: 6, keySize: 4, valueSize: 4, maxEntries: 1, name: 'pc' });
    m.update(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0));
    const maps = new Map([['pc', m]]);
    const base = { retval: 2, packet: '00', events: {} };
    const emulated = { retval: 2, dataOut: Uint8Array.of(0) };
    expect(disagreement(emulated, { ...base, maps: { pc: { '00000000': '01000000,02000000,05000000,05000000' } } }, maps)).toBeUndefined();
    expect(disagreement(emulated, { ...base, maps: { pc: { '00000000': '01000000,03000000,00000000,00000000' } } }, maps)).toBe('map pc[00000000] cpu 1: xdpts 02000000, kernel 03000000');
    const events = new Map([['samples', [{ cpu: 0, data: Uint8Array.of(1, 2) }]]]);
    expect(disagreement({ ...emulated, events }, { ...base, maps: {}, events: { samples: [{ cpu: 1, hex: '0102' }] } }, maps)).toBe('events samples: xdpts cpu 0: 0102, kernel cpu 1: 0102');
  });

  it('reports a disagreement with both results', () => {
    const d = disagreement({ retval: 2, dataOut: Uint8Array.of(1, 2) }, { retval: 1, packet: '0102', maps: {} }, new Map());
    expect(d).toBe('retval: xdpts 2, kernel 1');
    expect(disagreement({ errno: 'EINVAL' }, { retval: 2, packet: '', maps: {} }, new Map())).toBe('test_run: xdpts EINVAL, kernel ran (retval 2)');
  });

  it.skipIf(!tools.kernel)(`live: every example case on BPF_PROG_TEST_RUN${needs('kernel')}`, () => {
    const k = kernelOracle(process.env['XDPTS_PIN_PREFIX'] ?? 'xdptsT_');
    if (typeof k === 'string') throw new Error(k);
    try {
      const report = runTests({ paths: PATHS, oracle: k });
      expect(report.files.flatMap((f) => f.cases.flatMap((c) => c.failures))).toEqual([]);
      expect(k.records).toHaveLength(32);
    } finally {
      k.close();
    }
  });
});
