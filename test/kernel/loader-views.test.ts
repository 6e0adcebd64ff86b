/**
 * xdp-loader's argument errors as 1.3.1 prints them (message on stderr; the blank line and the
 * usage on stdout), the features table of reference §1.1, and bpftool's `prog show` layout of
 * reference §7.1 on a loaded counter (ids and times aside).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featuresText, deviceFeatures, mapDump, mapLookup, mapUpdate, parseIfaceArgs, parseLoadArgs, parseUnloadArgs, progShow, progTracelog, XdpLoader } from '../../src/kernel/index';
import { ROOT_NS } from '../../src/net/index';
import { makeWorld, xdpObject } from './xdp-fixture';

describe('xdp-loader argument errors', () => {
  it('reports bad option values, missing parameters and conflicts like xdp-loader 1.3.1', () => {
    expect(parseLoadArgs(['-m', 'turbo', 'veth1', 'x.o'])).toEqual({
      ok: false,
      exit: 1,
      stderr: ["Couldn't parse option mode: Invalid argument."],
      stdout: ['', 'Usage: xdpts [options] <ifname> <filenames>', 'Use --help (or -h) to see full option list.'],
      code: 2,
    });
    expect(parseLoadArgs(['-A', 'XDP_FOO', 'veth1', 'x.o'])).toMatchObject({ exit: 1, stderr: ["Couldn't parse option actions: Invalid argument."] });
    expect(parseLoadArgs(['veth1'])).toMatchObject({ exit: 1, stderr: ['Missing required parameter <filenames>'] });
    expect(parseLoadArgs(['--foo', 'veth1', 'x.o'])).toMatchObject({ exit: 1, stderr: ["load: unrecognized option '--foo'"] });
    expect(parseLoadArgs(['-s', 'a', '-n', 'b', 'veth1', 'x.o'])).toEqual({ ok: false, exit: 1, stderr: ['Only one of --section or --prog-name can be set'], stdout: [], code: 2 });
    expect(parseUnloadArgs(['veth1'])).toEqual({ ok: false, exit: 1, stderr: ['Need prog ID or --all'], stdout: [], code: 2 });
    expect(parseUnloadArgs(['veth1', '-i', 'abc'])).toMatchObject({ stderr: ['Need prog ID or --all'] });
    expect(parseUnloadArgs(['veth1', 'x', '--all'])).toEqual({
      ok: false,
      exit: 1,
      stderr: [],
      stdout: ['', 'Usage: xdpts unload [options] <ifname>', 'Use --help (or -h) to see full option list.'],
      code: 2,
    });
    expect(parseIfaceArgs('features', [])).toMatchObject({ exit: 1, stderr: ['Missing required parameter <ifname>'] });
  });

  it('takes options anywhere, -vv, -P parsed like strtoul (abc is 0: not given), combined short options', () => {
    const p = parseLoadArgs(['veth1', '-vv', 'a.o', '-P', 'abc', '-mskb', 'b.o']);
    expect(p).toMatchObject({ ok: true, value: { ifname: 'veth1', files: ['a.o', 'b.o'], mode: 'skb', prio: 0, verbose: 2 } });
    expect(parseLoadArgs(['-P', '15x', 'veth1', 'a.o'])).toMatchObject({ value: { prio: 15, mode: 'native' } });
    expect(parseLoadArgs(['-A', 'XDP_TX,XDP_ABORTED', 'veth1', 'a.o'])).toMatchObject({ value: { actions: 0b1001 } });
  });
});

describe('features', () => {
  it('prints the seven flags with one tab for long names, two for short; NDO_XMIT follows the peer\'s native program', () => {
    const w = makeWorld();
    const v1 = w.mgr.topology.byName(ROOT_NS, 'v1')!;
    expect(featuresText(deviceFeatures(w.mgr, v1))).toEqual([
      'NETDEV_XDP_ACT_BASIC:\t\tyes',
      'NETDEV_XDP_ACT_REDIRECT:\tyes',
      'NETDEV_XDP_ACT_NDO_XMIT:\tno',
      'NETDEV_XDP_ACT_XSK_ZEROCOPY:\tno',
      'NETDEV_XDP_ACT_HW_OFFLOAD:\tno',
      'NETDEV_XDP_ACT_RX_SG:\t\tyes',
      'NETDEV_XDP_ACT_NDO_XMIT_SG:\tno',
    ]);
    const f = new Map([['p.o', xdpObject('xdp_pass', 'r0 = 2\nexit')]]);
    const l = new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => f.get(p) });
    const p = parseLoadArgs(['-m', 'skb', 'v2', 'p.o']);
    // v2 is in namespace a: load there.
    const la = new XdpLoader(w.mgr, { ns: 'a', readFile: (x) => f.get(x) });
    expect(la.load(p.ok ? p.value : (undefined as never)).exit).toBe(0);
    expect(deviceFeatures(w.mgr, v1).NETDEV_XDP_ACT_NDO_XMIT).toBe(false); // generic on the peer: no change
    la.unload({ ifname: 'v2', all: true, verbose: 0, json: false });
    const q = parseLoadArgs(['-m', 'native', 'v2', 'p.o']);
    expect(la.load(q.ok ? q.value : (undefined as never)).exit).toBe(0);
    expect(deviceFeatures(w.mgr, v1)).toMatchObject({ NETDEV_XDP_ACT_NDO_XMIT: true, NETDEV_XDP_ACT_NDO_XMIT_SG: true });
    expect(Object.values(deviceFeatures(w.mgr, w.mgr.topology.byName(ROOT_NS, 'lo')!)).every((x) => !x)).toBe(true);
    void l;
  });
});

describe('bpftool prog show', () => {
  it('prints the reference layout: tab continuation lines, map_ids and btf_id when present; JSON fields', () => {
    const w = makeWorld();
    const f = new Map([
      [
        'counter.o',
        xdpObject(
          'count_packets',
          'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = pkt_count ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 2\nexit',
          { maps: ['.map pkt_count, type=array, key=__u32, value=__u64, max_entries=1'], btf: false },
        ),
      ],
    ]);
    const l = new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => f.get(p), dispatcher: false });
    const p = parseLoadArgs(['-m', 'skb', 'v1', 'counter.o']);
    expect(l.load(p.ok ? p.value : (undefined as never)).exit).toBe(0);
    const prog = w.kernel.programList()[0]!;
    const map = w.kernel.mapList()[0]!;
    const text = progShow(w.mgr, ['id', String(prog.id)], false).stdout;
    expect(text[0]).toBe(`${prog.id}: xdp  name count_packets  tag 0afa56fcd9325709  gpl`);
    expect(text[1]).toMatch(/^\tloaded_at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000  uid 0$/);
    expect(text[2]).toBe(`\txlated 96B  jited 96B  memlock 4096B  map_ids ${map.id}`);
    // The object has BTF (for its map) but no .BTF.ext func info: the kernel keeps no BTF for the
    // program, so no btf_id line (test/kernel/loader-btf.test.ts pins this against real bpftool).
    expect(text).toHaveLength(3);
    const j = JSON.parse(progShow(w.mgr, ['id', String(prog.id)], true).stdout[0]!) as Record<string, unknown>;
    expect(Object.keys(j)).toEqual(['id', 'type', 'name', 'tag', 'gpl_compatible', 'loaded_at', 'uid', 'bytes_xlated', 'jited', 'bytes_jited', 'bytes_memlock', 'map_ids']);
    expect(progShow(w.mgr, ['id', '999999'], false)).toEqual({ exit: 255, stdout: [], stderr: ['Error: get by id (999999): No such file or directory'], code: 2 });
    expect(progShow(w.mgr, ['id', '999999'], true).stdout).toEqual(['{"error":{"message":"get by id (999999): No such file or directory","code":"usage"}}']);
    expect(progTracelog(w.mgr, false).stdout).toEqual([]);
  });
});

describe('bpftool map dump with BTF (btf_dumper)', () => {
  // Recorded from bpftool 7.1 on Linux 6.18: fixtures/c/struct_value.o loaded with
  // `bpftool prog load ... pinmaps`, the map updated with the value below, then dumped.
  const V = '1 0 0 0 2 0 0 0 0x10 0x20 0 0 0 0 0 0 0x50 0 0x35 0 6 0 0 0 0x0d 0x61 0x62 0x63 0 0 0 0 0xff 0xff 0xff 0xff 0xff 0xff 0xff 0xff';
  const expected = (n: string): string => readFileSync(join(__dirname, '..', '..', 'fixtures', 'kernel', 'xdp', `struct-value.${n}.expected`), 'utf8');

  it('prints nested structs, unions, arrays, enums by name, bitfields in hex and char arrays as strings', () => {
    const w = makeWorld();
    const f = new Map([['sv.o', readFileSync(join(__dirname, '..', '..', 'fixtures', 'c', 'struct_value.o'))]]);
    const p = parseLoadArgs(['-m', 'skb', 'v1', 'sv.o']);
    expect(new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (x) => f.get(x) }).load(p.ok ? p.value : (undefined as never)).exit).toBe(0);
    const sel = ['name', 'flows'];
    expect(mapUpdate(w.mgr, [...sel, 'key', '1', '0', '0', '0', '2', '0', '0', '0', 'value', ...V.split(' ')], false).exit).toBe(0);
    expect(mapDump(w.mgr, sel, false).stdout.join('\n') + '\n').toBe(expected('dump'));
    expect(mapDump(w.mgr, sel, true).stdout.join('\n') + '\n').toBe(expected('dump-json'));
    expect(mapLookup(w.mgr, [...sel, 'key', '1', '0', '0', '0', '2', '0', '0', '0'], false).stdout.join('\n') + '\n').toBe(expected('lookup'));
  });
});
