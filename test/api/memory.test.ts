/**
 * The in-memory kernel (`Kernel.inMemory`): isolated from the state directory and from other
 * kernels, maps typed from BTF the way bpftool's `map dump -j` formats them (ground truth
 * recorded from bpftool 7.1 on Linux 6.18 in fixtures/kernel/xdp/struct-value.dump-json.expected),
 * program.run, typed errors, and a refused load leaving nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Kernel, loadCollectionSpec, MapError, ObjectError, VerifierError } from '../../src/index';
import type { MemoryHost } from '../../src/api/host';
import { loadCounterObjects } from '../../examples/counter/counter';
import { freshStateDir, fixtureObject, ROOT, udpFrame } from './helpers';

let state: { dir: string; remove: () => void };
let saved: string | undefined;
beforeEach(() => {
  state = freshStateDir();
  saved = process.env['XDPTS_STATE_DIR'];
  // A state directory that must stay untouched: the in-memory kernel writes no file.
  process.env['XDPTS_STATE_DIR'] = join(state.dir, 'never');
});
afterEach(() => {
  if (saved === undefined) delete process.env['XDPTS_STATE_DIR'];
  else process.env['XDPTS_STATE_DIR'] = saved;
  state.remove();
});

const HEX = (s: string): Uint8Array => Uint8Array.from(s.split(' '), (x) => Number(x));
// The value bpftool wrote in the recorded dump (fixtures/kernel/xdp/struct-value.*).
const V = HEX('1 0 0 0 2 0 0 0 0x10 0x20 0 0 0 0 0 0 0x50 0 0x35 0 6 0 0 0 0x0d 0x61 0x62 0x63 0 0 0 0 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff');

describe('Kernel.inMemory', () => {
  it('runs a program with no state directory, and kernels do not share anything', () => {
    const a = Kernel.inMemory();
    const b = Kernel.inMemory();
    expect(a.inMemory).toBe(true);
    expect(a.where).not.toBe(b.where);
    const ca = a.loadCollection<'pkt_count', 'count_packets'>(fixtureObject('counter'));
    const cb = b.loadCollection<'pkt_count', 'count_packets'>(fixtureObject('counter'));
    const r = ca.programs.count_packets.run(udpFrame(), { repeat: 3 });
    expect(r).toMatchObject({ action: 'XDP_PASS', retval: 2 });
    expect(r.packet).toEqual(udpFrame());
    expect(r.meta.length).toBe(0);
    expect(ca.maps.pkt_count.lookup(0)).toBe(3n);
    expect(cb.maps.pkt_count.lookup(0)).toBe(0n);
    ca.close();
    cb.close();
    expect(existsSync(process.env['XDPTS_STATE_DIR']!)).toBe(false);
  });

  it('decodes map values from BTF as bpftool map dump -j does, and encodes them back', () => {
    const golden = JSON.parse(readFileSync(join(ROOT, 'fixtures/kernel/xdp/struct-value.dump-json.expected'), 'utf8')) as { formatted: { value: Record<string, unknown> } }[];
    const want = golden[0]!.formatted.value;
    for (const eb of [false, true]) {
      const c = Kernel.inMemory().loadCollection(fixtureObject('struct_value', eb));
      const flows = c.maps.flows;
      // The recorded bytes are little-endian: on the big-endian object, write them raw only.
      if (!eb) {
        flows.update({ src: 1, dst: 2 }, V);
        const v = flows.lookup({ src: 1, dst: 2 }) as Record<string, unknown>;
        // bpftool prints bitfields as hex strings and 64-bit integers as numbers.
        expect(JSON.parse(JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? Number(x) : x)))).toEqual({ ...want, flags: 5, seen: 1 });
        expect(flows.raw.lookup(flows.keyCodec.encode({ src: 1, dst: 2 }))).toEqual(V);
      }
      const mine = { addrs: { src: 7, dst: 8 }, total: { bytes: 513n }, ports: [80, 53], proto: 'PROTO_UDP', flags: 3, seen: 1, tag: 'xy', last_ts: -5n };
      flows.update({ src: 3, dst: 4 }, mine);
      expect(flows.lookup({ src: 3, dst: 4 })).toEqual({ ...mine, total: { bytes: 513n, words: eb ? [0, 513] : [513, 0] } });
      c.close();
    }
  });

  it('takes dotted IPv4 in network byte order, and names the map and field in errors', () => {
    const c = Kernel.inMemory().loadCollection<'blocklist' | 'drops', 'xdp_blocklist'>(join(ROOT, 'examples/blocklist/blocklist.o'));
    c.maps.blocklist.update({ prefixlen: 24, addr: '10.1.2.0' }, 1);
    expect(c.maps.blocklist.raw.keys().next().value).toEqual(HEX('24 0 0 0 10 1 2 0'));
    const bad = (f: () => unknown, re: RegExp): void => {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MapError);
      expect((err as MapError).code).toBe('EINVAL');
      expect((err as Error).message).toMatch(re);
    };
    bad(() => c.maps.blocklist.update({ prefixlen: 24, adr: 1 }, 1), /map blocklist: key: no field 'adr' \(fields: prefixlen, addr\)/);
    bad(() => c.maps.blocklist.update({ prefixlen: 24, addr: 1 }, 'x'), /map blocklist: value: expected an integer of 4 bytes, got "x"/);
    bad(() => c.maps.blocklist.update({ prefixlen: 2 ** 32, addr: 1 }, 1), /key\.prefixlen: 4294967296 is out of range/);
    bad(() => c.maps.drops.update(new Uint8Array(3), { packets: 1n }), /map drops: key: 3 bytes given, the type is 4/);
    expect(() => c.programs.xdp_blocklist.run(udpFrame(), { ctx: { ingress_ifindex: 2 } as never })).toThrow(/program xdp_blocklist: unknown ctx field 'ingress_ifindex'/);
    const unknown = (): unknown => (c.maps as Record<string, unknown>)['blocklst'];
    expect(unknown).toThrow(ObjectError);
    expect(unknown).toThrow(/blocklist\.o has no map 'blocklst' \(maps: blocklist, drops\)/);
    expect(() => (c.programs as Record<string, unknown>)['xdp']).toThrow(/has no program 'xdp' \(programs: xdp_blocklist\)/);
  });

  it('a program the verifier refuses throws VerifierError with the log and leaves nothing loaded', () => {
    const k = Kernel.inMemory();
    // fixtures/api/refused.c: Linux 6.18 refuses it with "invalid access to packet, off=12 size=1".
    let err: unknown;
    try {
      k.loadCollection(join(ROOT, 'fixtures/api/refused.o'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as VerifierError).log).toMatch(/invalid access to packet, off=12 size=1/);
    expect((err as Error).message).toMatch(/xdp_unchecked/);
    // Nothing stayed: the map the failed load created is gone again.
    const host = (k as unknown as { hp: { host: MemoryHost } }).hp.host;
    expect(host.kernel.mapList()).toEqual([]);
    expect(host.kernel.programList()).toEqual([]);
    const c = k.loadCollection<'pkt_count', 'count_packets'>(fixtureObject('counter'));
    expect(c.programs.count_packets.run(udpFrame()).action).toBe('XDP_PASS');
  });

  it('generated bindings load into an in-memory kernel, isolated from the shared state', () => {
    const kernel = Kernel.inMemory();
    const objs = loadCounterObjects({ kernel });
    const r = objs.programs.countPackets.run(udpFrame(), { repeat: 5 });
    expect(r.action).toBe('XDP_PASS');
    expect(objs.maps.pktCount.lookup(0)).toBe(5n);
    const again = loadCounterObjects({ kernel });
    expect(again.maps.pktCount.lookup(0)).toBe(0n);
    again.close();
    objs.close();
    expect(existsSync(process.env['XDPTS_STATE_DIR']!)).toBe(false);
    expect(() => loadCounterObjects({ kernel: { inMemory: true, where: 'memory:0' } })).toThrow(/not a kernel made by Kernel.inMemory\(\) or Kernel.shared\(\)/);
  });

  it('Kernel.shared() is the state directory kernel: another handle on it sees the same maps', () => {
    const dir = join(state.dir, 'shared');
    const k = Kernel.shared({ stateDir: dir });
    expect(k).toMatchObject({ inMemory: false, where: dir });
    const c = k.loadCollection<'pkt_count', 'count_packets'>(fixtureObject('counter'));
    c.programs.count_packets.run(udpFrame(), { repeat: 2 });
    c.maps.pkt_count.update(0, 40n);
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    const other = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: dir, mapReplacements: { pkt_count: (c.maps.pkt_count as unknown as { raw: never }).raw } });
    expect(other.maps.get('pkt_count')!.lookup(new Uint8Array(4))).toEqual(Uint8Array.of(40, 0, 0, 0, 0, 0, 0, 0));
    other.close();
    c.close();
  });
});
