/**
 * `fresh: true` puts the kernel back to the state right after the setup without loading the
 * program again (src/testing/reset.ts): maps (entries added are gone, setup entries back,
 * arrays and .bss rewritten in place), bpf_get_prandom_u32 back at the seed, trace and event
 * buffers empty. Checked on fixtures/testing/progs/fresh.c (every kind of state) and by
 * equivalence: a file of fresh cases gives each case the result it has alone in a file of its own.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prandom } from '../../src/kernel';
import { runTests } from '../../src/testing';

const ROOT = resolve(__dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'tr_fresh'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('fresh: true', () => {
  it('puts back maps, global data and the random generator, not the program', () => {
    const r1 = (new Prandom(5).next() ^ 7) >>> 0;
    const r2 = (((): number => { const p = new Prandom(5); p.next(); return p.next(); })() ^ 7) >>> 0;
    const file = join(tmp, 'state.test.yaml');
    writeFileSync(file, `object: ${ROOT}/fixtures/testing/progs/fresh.o
setup:
  seed: 5
  maps: { seen: { 192.0.2.9: 40 } }
tests:
  - name: first packet from A
    packet: eth()/ipv4(src=10.0.0.1)/udp()
    expect: { action: XDP_PASS, maps_exact: { seen: { 10.0.0.1: 1, 192.0.2.9: 40 }, last_rand: { 0: ${r1} } }, maps: { fresh.bss: { 0: { packets: 1 } } } }
  - name: A again, and B
    packet: eth()/ipv4(src=10.0.0.1)/udp()
    expect: { action: XDP_DROP, maps: { seen: { 10.0.0.1: 2 }, last_rand: { 0: ${r2} }, fresh.bss: { 0: { packets: 2 } } } }
  - name: B is new
    packet: eth()/ipv4(src=10.0.0.2)/udp()
    expect: { action: XDP_PASS, maps: { seen: { 10.0.0.2: 3 } } }
  - name: fresh, A is new again, B gone, the setup entry back
    fresh: true
    packet: eth()/ipv4(src=10.0.0.1)/udp()
    expect: { action: XDP_PASS, maps_exact: { seen: { 10.0.0.1: 1, 192.0.2.9: 40 }, last_rand: { 0: ${r1} } }, maps: { fresh.bss: { 0: { packets: 1 } } } }
`);
    const r = runTests({ paths: [file] });
    expect(r.files[0]!.error).toBeUndefined();
    expect(r.files[0]!.cases.map((c) => [c.name, c.failures])).toEqual(r.files[0]!.cases.map((c) => [c.name, []]));
  });

  it('types global data by its DATASEC: variables by name, as bpftool prints them', () => {
    const file = join(tmp, 'globals.test.yaml');
    writeFileSync(file, `object: ${ROOT}/fixtures/testing/progs/fresh.o
tests:
  - packet: eth()/arp()
    expect: { maps: { fresh.rodata: { 0: { salt: 7 } }, fresh.bss: { 0: { packets: 2 } } } }
  - packet: eth()/arp()
    expect: { maps: { fresh.bss: { 0: { pakets: 2 } } } }
`);
    const r = runTests({ paths: [file] });
    expect(r.files[0]!.error).toBe(`${file}:6:41: error: value of map 'fresh.bss': no member 'pakets'; the members are packets`);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n {2}- packet: eth\(\)\/arp\(\)\n {4}expect: \{ maps: \{ fresh.bss: \{ 0: \{ pakets: 2 \} \} \} \}\n$/, '\n'));
    expect(runTests({ paths: [file] }).files[0]!.cases[0]!.failures).toEqual([
      { what: 'map fresh.bss[0]', expected: '{"packets":2} (02 00 00 00 00 00 00 00)', actual: '{"packets":1} (01 00 00 00 00 00 00 00)' },
    ]);
  });

  it('gives each case of a file of fresh cases the result it has alone', () => {
    const src = readFileSync(join(ROOT, 'examples/tests/parser.test.yaml'), 'utf8').replace('object: parser.o', `object: ${ROOT}/examples/tests/parser.o`);
    const [head, body] = src.split('\ntests:\n') as [string, string];
    const cases = body.split(/\n(?=  - name:)/).filter((c) => c.trim());
    // Each case's expectations hold after whatever ran before (the file as written), and alone.
    const alone = cases.map((c, i) => {
      const p = join(tmp, `alone${i}.test.yaml`);
      writeFileSync(p, `${head}\ntests:\n${c}\n`);
      return runTests({ paths: [p] }).files[0]!.cases[0]!.failures;
    });
    const fresh = join(tmp, 'all-fresh.test.yaml');
    writeFileSync(fresh, `${head}\ntests:\n${cases.map((c) => c.replace(/^( {2}- name: [^\n]*)/, '$1\n    fresh: true')).join('\n')}\n`);
    const all = runTests({ paths: [fresh] }).files[0]!.cases.map((c) => c.failures);
    expect(all).toEqual(alone);
    // Not vacuous: the parser's counters carry over without fresh, so some cases fail alone.
    expect(alone.some((f) => f.length > 0)).toBe(true);
  });
});
