/**
 * xdpts's exit codes for the emulated xdp-loader and bpftool (reference §8.2): the tools' own
 * status and messages stay in the outcome, `xdptsExit` maps them to 0 success, 1 refused, 2 bad
 * usage or bad input.
 */
import { describe, expect, it } from 'vitest';
import { mapDump, mapLookup, mapUpdate, parseLoadArgs, parseUnloadArgs, progShow, XdpLoader, xdptsExit, type LoadArgs, type ToolOutcome } from '../../src/kernel/index';
import { ROOT_NS } from '../../src/net/index';
import { makeWorld, xdpObject } from './xdp-fixture';

const FILES = new Map<string, Uint8Array>([
  ['pass.o', xdpObject('xdp_pass_prog', 'r0 = 2\nexit')],
  ['bad.o', xdpObject('xdp_bad_prog', 'r1 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r1 + 20)\nexit')],
  ['notelf.o', new TextEncoder().encode('not an ELF file')],
]);

function run(argv: string, dispatcher = true, w = makeWorld()): ToolOutcome {
  const l = new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => FILES.get(p), dispatcher });
  const words = argv.split(' ');
  const cmd = words.shift();
  const p = cmd === 'load' ? parseLoadArgs(words) : parseUnloadArgs(words);
  if (!p.ok) return { exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr, code: p.code };
  return cmd === 'load' ? l.load(p.value as LoadArgs) : l.unload(p.value as never);
}

describe('xdp-loader outcomes map to xdpts exit codes', () => {
  const cases: [string, number, number, string][] = [
    // [command, xdp-loader status, xdpts code, first stderr line]
    ['load -m skb v1 pass.o', 0, 0, ''],
    ['load -m skb v1 nosuch.o', 254, 2, "Couldn't open file 'nosuch.o': No such file or directory"],
    ['load -m skb v1 notelf.o', 95, 2, "Couldn't open file 'notelf.o': BPF object format invalid"],
    ['load -m skb -s nosec v1 pass.o', 254, 2, " libxdp: Couldn't find xdp program in bpf object section nosec"],
    ['load -m skb -n nosuch v1 pass.o', 254, 2, " libxdp: Couldn't find xdp program in bpf object"],
    ['load -m skb nosuch0 pass.o', 1, 2, "Couldn't find network interface 'nosuch0'."],
    ['load -m bogus v1 pass.o', 1, 2, "Couldn't parse option mode: Invalid argument."],
    ['load -m skb v1', 1, 2, 'Missing required parameter <filenames>'],
    ['load -s a -n b v1 pass.o', 1, 2, 'Only one of --section or --prog-name can be set'],
    ['load -m hw v1 pass.o pass.o', 1, 2, 'Cannot attach multiple programs in HW mode'],
    ['load -m skb v1 bad.o', 243, 1, "Couldn't attach XDP program on iface 'v1': Permission denied(-13)"],
    ['load -m hw v1 pass.o', 234, 1, "Couldn't attach XDP program on iface 'v1': Invalid argument(-22)"],
    ['unload v1', 1, 2, 'Need prog ID or --all'],
    ['unload v1 --all', 1, 1, 'No XDP program loaded on v1'],
    ['unload nosuch0 --all', 1, 2, "Couldn't find network interface 'nosuch0'."],
  ];
  for (const [argv, real, code, line] of cases)
    it(`${argv} → ${code}`, () => {
      const o = run(argv);
      expect(o.exit).toBe(real);
      expect(xdptsExit(o)).toBe(code);
      expect(o.stderr[0] ?? '').toBe(line);
    });

  it('refusals on a busy interface exit 1 (EBUSY, E2BIG, EOPNOTSUPP), unloading a missing id exits 1', () => {
    const w = makeWorld();
    expect(run('load -m skb v1 pass.o', false, w).exit).toBe(0);
    const busy = run('load -m skb v1 pass.o', true, w);
    expect([busy.exit, xdptsExit(busy)]).toEqual([240, 1]);
    const two = run('load -m skb v3 pass.o pass.o', false, w);
    expect([two.exit, xdptsExit(two)]).toEqual([161, 1]);
    const many = run(`load -m skb v3 ${Array(11).fill('pass.o').join(' ')}`, true, w);
    expect([many.exit, xdptsExit(many)]).toEqual([249, 1]);
    const wrong = run('unload v1 -i 99999', true, w);
    expect([wrong.exit, xdptsExit(wrong), wrong.stderr[0]]).toEqual([1, 1, 'Program with ID 99999 not loaded on v1']);
  });

  it('shows help with exit 0', () => {
    const p = parseLoadArgs(['-h']);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(xdptsExit(p)).toBe(0);
  });
});

describe('bpftool outcomes map to xdpts exit codes', () => {
  it('bad arguments and unknown objects exit 2, failed operations 1', () => {
    const w = makeWorld();
    const m = w.kernel.createMapFromSpec({ name: 'm', type: 1, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 } as never);
    const cases: [ToolOutcome, number, number][] = [
      [mapDump(w.mgr, ['id', String(m.id)], false), 0, 0],
      [mapDump(w.mgr, ['id', '9999'], false), 255, 2],
      [mapDump(w.mgr, ['bogus', '1'], false), 255, 2],
      [mapDump(w.mgr, ['name', 'nosuch'], false), 255, 2],
      [progShow(w.mgr, ['name', 'nosuch'], false), 255, 2],
      [mapUpdate(w.mgr, ['id', String(m.id), 'key', '1', '2'], false), 255, 2],
      [mapLookup(w.mgr, ['id', String(m.id), 'key', '1', '0', '0', '0'], false), 254, 1],
      [mapUpdate(w.mgr, ['id', String(m.id), 'key', '1', '0', '0', '0', 'value', '1', '0', '0', '0'], false), 0, 0],
      [mapUpdate(w.mgr, ['id', String(m.id), 'key', '2', '0', '0', '0', 'value', '1', '0', '0', '0'], false), 249, 1],
    ];
    for (const [o, real, code] of cases) expect([o.exit, xdptsExit(o)]).toEqual([real, code]);
  });
});
