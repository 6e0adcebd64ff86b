/**
 * libxdp's dispatcher through the xdp-loader front end, in process: run configuration (BTF
 * metadata, -P, -A as the real xdp-loader -v printed them for fixtures/kernel/xdp/run_config.o),
 * component order, chain-call semantics on real packets, the status geometry of reference §1.2,
 * a new dispatcher (id and tag) on every change with component ids kept, the 10-program limit,
 * unload by component id, and the refusals (mode mismatch, legacy program present, hw).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  compareComponents,
  dispatcherInsns,
  orderComponents,
  parseLoadArgs,
  parseUnloadArgs,
  runChain,
  statusText,
  XdpLoader,
  type DispatcherComponent,
  type LoadArgs,
  type ToolOutcome,
} from '../../src/kernel/index';
import { verifyProgram } from '../../src/verifier/index';
import { BPF_PROG_TYPE_XDP, loadObject, type ProgramSpec } from '../../src/object/index';
import { ROOT_NS } from '../../src/net/index';
import { frame, makeWorld, xdpObject, type World } from './xdp-fixture';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'kernel', 'xdp');

function files(): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  m.set('run_config.o', readFileSync(join(FIXTURES, 'run_config.o')));
  for (const [n, v] of [
    ['xdp_pass_prog', 2],
    ['xdp_drop_prog', 1],
    ['xdp_tx_prog', 3],
    ['xdp_abort_prog', 0],
  ] as const)
    m.set(`${n}.o`, xdpObject(n, `r0 = ${v}\nexit`));
  m.set(
    'counter.o',
    xdpObject(
      'count_packets',
      'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = pkt_count ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 2\nexit',
      { maps: ['.map pkt_count, type=array, key=__u32, value=__u64, max_entries=1'] },
    ),
  );
  return m;
}

function loader(w: World, dispatcher = true): XdpLoader {
  const f = files();
  return new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => f.get(p), dispatcher });
}

function load(l: XdpLoader, argv: string): ToolOutcome {
  const p = parseLoadArgs(argv.split(' '));
  if (!p.ok) throw new Error(p.stderr.join('\n'));
  return l.load(p.value as LoadArgs);
}

function unload(l: XdpLoader, argv: string): ToolOutcome {
  const p = parseUnloadArgs(argv.split(' '));
  if (!p.ok) throw new Error(p.stderr.join('\n'));
  return l.unload(p.value);
}

/** The status table with the ID column replaced (width kept) and the dispatcher's tag masked. */
function status(w: World, dev = 'v1'): string[] {
  return statusText(w.mgr, [w.mgr.topology.byName(ROOT_NS, dev)!]).map((l) =>
    l.replace(/^(.{50})(\d+ *)( [0-9a-f]{16})/, (_m, a: string, id: string, t: string) => `${a}${'N'.padEnd(id.length)}${a.includes('xdp_dispatcher') ? ' TTTTTTTTTTTTTTTT' : t}`),
  );
}

describe('run configuration (.xdp_run_config, -P, -A) as xdp-loader -v reports it', () => {
  const cases: [string, string][] = [
    ['-v -m skb v1 run_config.o', 'XDP program 0: Run prio: 10. Chain call actions: XDP_DROP,XDP_PASS'],
    ['-v -m skb -P 20 v1 run_config.o', 'XDP program 0: Run prio: 20. Chain call actions: XDP_DROP,XDP_PASS'],
    ['-v -m skb -A XDP_DROP v1 run_config.o', 'XDP program 0: Run prio: 10. Chain call actions: XDP_DROP'],
    ['-v -m skb -A XDP_TX,XDP_ABORTED -P 7 v1 run_config.o', 'XDP program 0: Run prio: 7. Chain call actions: XDP_ABORTED,XDP_TX'],
    ['-v -m skb -n xdp_cfg_tx -P 0 v1 run_config.o', 'XDP program 0: Run prio: 5. Chain call actions: XDP_TX'],
    ['-v -m skb -P abc v1 xdp_pass_prog.o', 'XDP program 0: Run prio: 50. Chain call actions: XDP_PASS'],
  ];
  for (const [argv, line] of cases)
    it(argv, () => {
      const w = makeWorld();
      const o = load(loader(w), argv);
      expect(o.exit).toBe(0);
      expect(o.stderr).toEqual(["Loading 1 files on interface 'v1'.", line]);
    });
});

describe('dispatcher order and chain calls', () => {
  const c = (name: string, runPrio: number, extra: Partial<DispatcherComponent> = {}): DispatcherComponent => ({
    progId: 0,
    name,
    runPrio,
    chainCallActions: 4,
    insnCount: 2,
    tag: '00',
    loadTime: 0,
    ...extra,
  });

  it('orders by prio, then name, then loaded-before-new, then instruction count, then tag', () => {
    expect(orderComponents([], [c('b', 50), c('a', 60), c('z', 10)]).map((x) => x.name)).toEqual(['z', 'b', 'a']);
    expect(orderComponents([], [c('b', 50), c('a', 50)]).map((x) => x.name)).toEqual(['a', 'b']);
    const old = c('p', 50, { progId: 1, insnCount: 9 });
    const fresh = c('p', 50, { progId: 2, insnCount: 1 });
    expect(orderComponents([old], [fresh]).map((x) => x.progId)).toEqual([1, 2]);
    expect(compareComponents(c('p', 50, { insnCount: 3 }), false, c('p', 50, { insnCount: 2 }), false)).toBeGreaterThan(0);
    expect(compareComponents(c('p', 50, { tag: 'aa' }), false, c('p', 50, { tag: 'ab' }), false)).toBeLessThan(0);
  });

  it('returns the first verdict not in its program\'s chain set, and XDP_PASS when all continue', () => {
    const comps = [c('a', 1, { chainCallActions: (1 << 2) | (1 << 1) }), c('b', 2)];
    expect(runChain(comps, (i) => [1, 3][i]!)).toEqual({ verdict: 3, decidedBy: 1 });
    expect(runChain(comps, (i) => [1, 1][i]!)).toEqual({ verdict: 1, decidedBy: 1 });
    expect(runChain([c('a', 1, { chainCallActions: (1 << 1) | (1 << 2) })], () => 1)).toEqual({ verdict: 2, decidedBy: -1 });
    expect(runChain(comps, () => 7)).toEqual({ verdict: 7, decidedBy: 0 });
  });

  it('the generated dispatcher is valid XDP bytecode the verifier accepts and returns XDP_PASS with empty stubs', () => {
    const insns = dispatcherInsns([c('a', 1), c('b', 2, { chainCallActions: 6 })]);
    const stubs = insns.length - 4;
    const spec: ProgramSpec = {
      name: 'xdp_dispatcher',
      section: 'xdp',
      type: BPF_PROG_TYPE_XDP,
      attachType: 37,
      insns,
      references: new Map(),
      lineInfo: new Map(),
      subprograms: [0, 1].map((i) => ({ name: `prog${i}`, start: stubs + 2 * i })),
      license: 'GPL',
      btfFuncId: 0,
    };
    expect(verifyProgram(spec, []).accepted).toBe(true);
    const w = makeWorld();
    const p = w.kernel.loadInsns(insns, { name: 'xdp_dispatcher' });
    expect(w.kernel.runXdp(p, { packet: frame() }).action).toBe(2);
  });
});

describe('xdp-loader with the dispatcher', () => {
  it('shows the dispatcher row and the => rows in the geometry of reference §1.2', () => {
    const w = makeWorld();
    const l = loader(w);
    expect(load(l, '-m skb v1 xdp_drop_prog.o').exit).toBe(0);
    expect(load(l, '-m skb -P 60 -A XDP_PASS,XDP_DROP v1 counter.o').exit).toBe(0);
    const drop = w.kernel.programList().find((p) => p.funcName === 'xdp_drop_prog')!;
    const cnt = w.kernel.programList().find((p) => p.funcName === 'count_packets')!;
    expect(status(w)).toEqual([
      'CURRENT XDP PROGRAM STATUS:',
      '',
      'Interface        Prio  Program name      Mode     ID   Tag               Chain actions',
      '--------------------------------------------------------------------------------------',
      'v1                     xdp_dispatcher    skb      N    TTTTTTTTTTTTTTTT ',
      ` =>              50     xdp_drop_prog             N    ${drop.tag}  XDP_PASS`,
      ` =>              60     count_packets             N    ${cnt.tag}  XDP_DROP,XDP_PASS`,
      '',
    ]);
    expect(drop.tag).toBe('b11459a0e11ca14c');
    expect(cnt.tag).toBe('0afa56fcd9325709');
    // ip link names the dispatcher; bpftool shows the components as ext programs.
    expect(w.mgr.linkInfo(ROOT_NS, w.ifindex(ROOT_NS, 'v1'))?.name).toBe('xdp_dispatcher');
    expect([...w.mgr.state.extProgs].sort()).toEqual([drop.id, cnt.id].sort());
  });

  it('builds a new dispatcher (new id and tag) on every change; component ids stay', () => {
    const w = makeWorld();
    const l = loader(w);
    const v1 = w.ifindex(ROOT_NS, 'v1');
    load(l, '-m skb v1 xdp_pass_prog.o');
    const d1 = w.mgr.linkInfo(ROOT_NS, v1)!;
    const pass = w.kernel.programList().find((p) => p.funcName === 'xdp_pass_prog')!.id;
    load(l, '-m skb -P 10 v1 counter.o');
    const d2 = w.mgr.linkInfo(ROOT_NS, v1)!;
    expect(d2.id).toBeGreaterThan(d1.id);
    expect(d2.tag).not.toBe(d1.tag);
    expect(w.kernel.program(d1.id)).toBeUndefined(); // the old dispatcher is freed
    expect(w.mgr.rxAttachment(ROOT_NS, v1)!.dispatcher!.components.map((c) => c.name)).toEqual(['count_packets', 'xdp_pass_prog']);
    expect(w.kernel.program(pass)).toBeDefined();
    // bpffs pins of the current dispatcher only.
    expect(w.mgr.bpffs.list().map(([p]) => p)).toEqual([
      `/sys/fs/bpf/xdp/dispatch-${v1}-${d2.id}/prog0-link`,
      `/sys/fs/bpf/xdp/dispatch-${v1}-${d2.id}/prog0-prog`,
      `/sys/fs/bpf/xdp/dispatch-${v1}-${d2.id}/prog1-link`,
      `/sys/fs/bpf/xdp/dispatch-${v1}-${d2.id}/prog1-prog`,
    ]);
    // Unload one component: a third dispatcher; the last one removes the dispatcher.
    expect(unload(l, `v1 -i ${pass}`).exit).toBe(0);
    expect(w.kernel.program(pass)).toBeUndefined();
    const d3 = w.mgr.linkInfo(ROOT_NS, v1)!;
    expect(d3.id).toBeGreaterThan(d2.id);
    expect(unload(l, `v1 -i ${d3.id}`)).toMatchObject({ exit: 1, stderr: [`Program with ID ${d3.id} not loaded on v1`] });
    const cnt = w.mgr.rxAttachment(ROOT_NS, v1)!.dispatcher!.components[0]!.progId;
    expect(unload(l, `v1 -i ${cnt}`).exit).toBe(0);
    expect(w.mgr.state.attachments).toEqual([]);
    expect(w.kernel.programList()).toEqual([]);
    expect(w.kernel.mapList()).toEqual([]);
    expect(w.mgr.bpffs.list()).toEqual([]);
  });

  it('runs the chain on packets: a DROP in the chain set continues, the last chained verdict becomes PASS', () => {
    const w = makeWorld();
    const l = loader(w);
    load(l, '-m skb -P 10 -A XDP_PASS,XDP_DROP v1 xdp_drop_prog.o');
    load(l, '-m skb -P 20 v1 counter.o');
    const count = (): bigint => new DataView(w.kernel.mapList().find((m) => m.name === 'pkt_count')!.lookup(new Uint8Array(4)).buffer).getBigUint64(0, true);
    w.network.inject(ROOT_NS, 'v1', frame());
    w.network.advance(1000);
    expect(count()).toBe(1n); // the drop continued into the counter
    expect(w.verdicts.at(-1)?.action).toBe('pass');
    // The same drop without DROP in its chain set ends the chain before the counter.
    const w2 = makeWorld();
    const l2 = loader(w2);
    load(l2, '-m skb -P 10 v1 xdp_drop_prog.o');
    load(l2, '-m skb -P 20 v1 counter.o');
    w2.network.inject(ROOT_NS, 'v1', frame());
    w2.network.advance(1000);
    expect(w2.verdicts.at(-1)?.action).toBe('drop');
    expect(new DataView(w2.kernel.mapList().find((m) => m.name === 'pkt_count')!.lookup(new Uint8Array(4)).buffer).getBigUint64(0, true)).toBe(0n);
    // A last program whose verdict is in its chain set: the dispatcher returns XDP_PASS.
    const w3 = makeWorld();
    load(loader(w3), '-m skb -A XDP_PASS,XDP_DROP v1 xdp_drop_prog.o');
    w3.network.inject(ROOT_NS, 'v1', frame());
    w3.network.advance(1000);
    expect(w3.verdicts.at(-1)?.action).toBe('pass');
  });

  it('refuses an 11th program (E2BIG), another mode (EBUSY after retries), a legacy program present (EBUSY), hw on veth (EINVAL)', () => {
    const w = makeWorld();
    const l = loader(w);
    expect(load(l, `-m skb v1 ${Array(10).fill('xdp_pass_prog.o').join(' ')}`).exit).toBe(0);
    expect(load(l, '-m skb v1 xdp_pass_prog.o')).toMatchObject({ exit: 249, stderr: ["Couldn't attach XDP program on iface 'v1': Argument list too long(-7)"] });
    expect(load(l, '-m native v1 xdp_pass_prog.o')).toMatchObject({
      exit: 240,
      stderr: [' libxdp: Retried more than 11 times, giving up', "Couldn't attach XDP program on iface 'v1': Device or resource busy(-16)"],
    });
    const before = w.kernel.programList().length;
    expect(load(l, '-m hw v3 xdp_pass_prog.o')).toMatchObject({ exit: 234, stderr: ["Couldn't attach XDP program on iface 'v3': Invalid argument(-22)"] });
    expect(load(l, '-m hw v3 xdp_pass_prog.o xdp_drop_prog.o')).toMatchObject({ exit: 1, stderr: ['Cannot attach multiple programs in HW mode'] });
    expect(w.kernel.programList().length).toBe(before); // a failed load leaves nothing behind
    const legacy = loader(w, false);
    expect(load(legacy, '-m skb v3 xdp_pass_prog.o').exit).toBe(0);
    expect(load(l, '-m skb v3 xdp_drop_prog.o')).toMatchObject({
      exit: 240,
      stderr: [" libxdp: Existing program is not using a dispatcher, can't replace; unload first", "Couldn't attach XDP program on iface 'v3': Device or resource busy(-16)"],
    });
    expect(status(w, 'v3')[4]).toBe('v3                     xdp_pass_prog     skb      N    ' + w.kernel.programList().find((p) => p.funcName === 'xdp_pass_prog' && !w.mgr.state.extProgs.includes(p.id))!.tag + ' ');
  });

  it('prints the verifier log with -vv only, and refuses with EACCES (exit 243)', () => {
    const w = makeWorld();
    const f = new Map([['bad.o', xdpObject('xdp_bad_prog', 'r1 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r1 + 20)\nexit')]]);
    const l = new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => f.get(p) });
    const quiet = load(l, '-m skb v1 bad.o');
    expect(quiet).toMatchObject({ exit: 243, stderr: ["Couldn't attach XDP program on iface 'v1': Permission denied(-13)"] });
    const loud = load(l, '-vv -m skb v1 bad.o');
    expect(loud.exit).toBe(243);
    expect(loud.stderr).toContain("  libbpf: prog 'xdp_bad_prog': -- BEGIN PROG LOAD LOG --");
    expect(loud.stderr.join('\n')).toMatch(/invalid access to packet/);
    expect(w.kernel.programList()).toEqual([]);
    expect(w.kernel.mapList()).toEqual([]);
  });

  it('pins maps with pinning=LIBBPF_PIN_BY_NAME under -p and reuses them; unload keeps them', () => {
    const w = makeWorld();
    const f = new Map([
      [
        'pinned.o',
        xdpObject(
          'count_packets',
          'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = pinned_counter ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 2\nexit',
          { maps: ['.map pinned_counter, type=array, key=__u32, value=__u64, max_entries=1, pinning=1'] },
        ),
      ],
    ]);
    const l = new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => f.get(p) });
    expect(load(l, '-m skb -p /sys/fs/bpf/xdptsJ_pin v1 pinned.o').exit).toBe(0);
    const pin = w.mgr.bpffs.get('/sys/fs/bpf/xdptsJ_pin/pinned_counter');
    expect(pin?.kind).toBe('map');
    expect(load(l, '-m skb -p /sys/fs/bpf/xdptsJ_pin v3 pinned.o').exit).toBe(0);
    expect(w.kernel.mapList().filter((m) => m.name === 'pinned_counter').length).toBe(1); // reused
    expect(unload(l, 'v1 --all').exit).toBe(0);
    expect(unload(l, 'v3 --all').exit).toBe(0);
    expect(w.kernel.map(pin!.id)).toBeDefined(); // the pin keeps it
  });
});
