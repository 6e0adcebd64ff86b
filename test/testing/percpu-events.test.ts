/**
 * Per-CPU maps and perf samples in test files: what a plain value and bpftool's per-CPU list
 * mean in setup, case writes and expectations; failures name the CPU; perf samples compare
 * with the kernel's 8-byte padding; and every mistake is a file:line:col error. The kernel's
 * own results for fixtures/testing/progs/{percpu,perf}.test.yaml are in
 * fixtures/testing/kernel-examples.json (test/oracle/testing-kernel.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCode, runTests } from '../../src/testing';

const PROGS = resolve(__dirname, '../../fixtures/testing/progs');
const tmp = mkdtempSync(join(tmpdir(), 'tr_percpu'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(name: string, body: string): ReturnType<typeof runTests> {
  const p = join(tmp, name);
  writeFileSync(p, `object: ${PROGS}/percpu.o\n${body}`);
  return runTests({ paths: [p] });
}

describe('per-CPU maps', () => {
  it('a plain expected value is every CPU\'s: a failure names the CPU that differs', () => {
    const r = run('plain.test.yaml', `program: xdp_percpu
setup: { cpus: 2 }
tests:
  - packet: eth()/ipv4()/udp()
    expect: { maps: { pcpu_count: { 0: 1 }, pcpu_proto: { 0x0800: [{ cpu: 1, value: 1 }] } } }
`);
    expect(r.files[0]!.cases[0]!.failures).toEqual([
      { what: 'map pcpu_count[0] cpu 1', expected: '1 (01 00 00 00 00 00 00 00)', actual: '0 (00 00 00 00 00 00 00 00)' },
      { what: 'map pcpu_proto[2048] cpu 1', expected: '1 (01 00 00 00)', actual: '0 (00 00 00 00)' },
    ]);
  });

  it('setup writes CPU by CPU (unlisted CPUs zero) and a case runs on the CPU it names', () => {
    const r = run('setup.test.yaml', `program: xdp_percpu
setup:
  cpus: 3
  maps: { pcpu_limit: [{ key: 0, values: [{ cpu: 2, value: { max: 1 } }] }] }
tests:
  - name: no limit on CPU 0
    repeat: 3
    packet: eth()/arp()
    expect: { action: XDP_PASS }
  - name: CPU 2 drops its second packet
    cpu: 2
    repeat: 2
    packet: eth()/arp()
    expect:
      action: XDP_DROP
      maps_exact: { pcpu_limit: [{ key: 0, values: [{ cpu: 0, value: { max: 0, drops: 0 } }, { cpu: 2, value: { max: 1, drops: 1 } }] }] }
`);
    expect(r.files[0]!.error).toBeUndefined();
    expect(r.files[0]!.cases.map((c) => [c.name, c.failures])).toEqual([['no limit on CPU 0', []], ['CPU 2 drops its second packet', []]]);
  });

  it('maps_exact lists an unexpected per-CPU entry CPU by CPU', () => {
    const r = run('exact.test.yaml', `program: xdp_percpu
setup: { cpus: 2 }
tests:
  - packet: eth()/arp()
    expect: { maps_exact: { pcpu_proto: { 0x0800: null } } }
`);
    expect(r.files[0]!.cases[0]!.failures).toEqual([{ what: 'map pcpu_proto[2054 (06 08)]', expected: 'absent (maps_exact)', actual: 'cpu 0: 1 (01 00 00 00), cpu 1: 0 (00 00 00 00)' }]);
  });
});

describe('perf samples', () => {
  it('a sample is compared with its padding; a wrong CPU or count fails with both sides', () => {
    const r = run('perf.test.yaml', `program: xdp_perf
setup: { cpus: 2 }
tests:
  - cpu: 1
    packet: eth()
    expect: { events: { samples: [{ cpu: 0, hex: "01000000 0e00 b588 020000000002020000000001 88b5" }] } }
  - packet: eth()
    expect: { events: { samples: [] } }
`);
    const [a, b] = r.files[0]!.cases;
    expect(a!.failures).toEqual([{ what: 'events samples', expected: 'cpu 0: 010000000e00b58802000000000202000000000188b5', actual: 'cpu 1: 010000000e00b58802000000000202000000000188b5000000000000' }]);
    expect(b!.failures).toEqual([{ what: 'events samples', expected: '(none)', actual: 'cpu 0: 000000000e00b58802000000000202000000000188b5000000000000' }]);
  });

  it('each case sees only its own samples (a reader is always reading)', () => {
    const r = run('own.test.yaml', `program: xdp_perf
tests:
  - packet: eth()/ipv4()/udp()
    expect: { action: XDP_PASS }
  - packet: eth()
    expect: { events: { samples: ["00000000 0e00 b588 020000000002020000000001 88b5"] } }
`);
    expect(r.failed).toBe(0);
  });
});

describe('mistakes are file:line:col errors (exit 2)', () => {
  it.each([
    ['a CPU past setup.cpus', 'program: xdp_percpu\ntests:\n  - cpu: 1\n    packet: eth()\n    expect: { action: XDP_PASS }\n', "3:10: error: cpu 1: the emulated kernel has 1 CPU (set 'setup.cpus' for more)"],
    ['a per-CPU value past setup.cpus', 'program: xdp_percpu\nsetup: { cpus: 2 }\ntests:\n  - packet: eth()\n    expect: { maps: { pcpu_count: { 0: [{ cpu: 2, value: 1 }] } } }\n', '5:48: error: cpu 2: the emulated kernel has 2 CPUs'],
    ['a CPU twice', 'program: xdp_percpu\nsetup: { cpus: 2, maps: { pcpu_count: { 0: [{ cpu: 1, value: 1 }, { cpu: 1, value: 2 }] } } }\ntests:\n  - packet: eth()\n    expect: { action: XDP_PASS }\n', '2:74: error: cpu 1 is given twice'],
    ['values for a map that is not per-CPU', 'program: xdp_redirect_by_ttl\nsetup: { maps: { tx_port: [{ key: 0, values: [{ cpu: 0, value: 1 }] }] } }\ntests:\n  - packet: eth()\n    expect: { action: XDP_PASS }\n', "2:38: error: unknown field 'values' in an entry of map 'tx_port'; expected one of key, value"],
    ['zero CPUs', 'program: xdp_percpu\nsetup: { cpus: 0 }\ntests:\n  - packet: eth()\n    expect: { action: XDP_PASS }\n', '2:16: error: cpus must be from 1 to 256'],
    ['an index past an array', 'program: xdp_percpu\ntests:\n  - packet: eth()\n    expect: { maps: { pcpu_count: { 2: 0 } } }\n', "4:37: error: key of map 'pcpu_count': index 2 is past its 2 entries (0..1)"],
    ['events of a map that holds none', 'program: xdp_percpu\ntests:\n  - packet: eth()\n    expect: { events: { pcpu_count: [] } }\n', "4:25: error: map 'pcpu_count' is neither a ring buffer"],
    ['a perf sample without hex', 'program: xdp_perf\ntests:\n  - packet: eth()\n    expect: { events: { samples: [{ cpu: 0 }] } }\n', "4:35: error: a perf sample needs 'hex'"],
  ])('%s', (_what, body, where) => {
    const file = body.includes('xdp_redirect_by_ttl') ? body.replace('program:', `object: ${PROGS}/features.o\nprogram:`) : `object: ${PROGS}/percpu.o\n${body}`;
    const p = join(tmp, 'bad.test.yaml');
    writeFileSync(p, file);
    const r = runTests({ paths: [p] });
    expect(exitCode(r)).toBe(2);
    const lineShift = 1; // the object line written above the body
    const [l, rest] = where.split(/:(.*)/s) as [string, string];
    expect(r.files[0]!.error).toContain(`${p}:${Number(l) + lineShift}:${rest}`);
  });
});
