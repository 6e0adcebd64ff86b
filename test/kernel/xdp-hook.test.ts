/**
 * The XDP hook across veth pairs and namespaces (reference §3.2): PASS, DROP, TX (skb: back out
 * of the device; native: only when the peer runs native XDP), REDIRECT by bpf_redirect and by
 * DEVMAP (skb: anywhere; native: only to a veth whose peer runs native XDP, else
 * xdp_redirect_err err=-95), to a missing ifindex (err=-22), through a CPUMAP (into the stack),
 * ABORTED and illegal verdicts as xdp_exception, and the attach rules of §3.3.
 */
import { describe, expect, it } from 'vitest';
import { loadObject } from '../../src/object/index';
import { XdpError, type XdpMode } from '../../src/kernel/index';
import { ROOT_NS, linkDel, linkSetUp } from '../../src/net/index';
import { frame, makeWorld, xdpObject, type World } from './xdp-fixture';

function load(w: World, name: string, body: string, maps?: string[]): number {
  const spec = loadObject(xdpObject(name, body, maps ? { maps } : {}), `${name}.o`);
  return w.kernel.loadObject(spec).programs[0]!.id;
}

function attach(w: World, ns: string, dev: string, progId: number, mode: XdpMode): void {
  w.mgr.attach(w.mgr.topology.byName(ns, dev)!, progId, mode, { noexist: true });
}

/** Injects one frame into `dev` and runs the network until it settles; returns the frames seen. */
function send(w: World, ns: string, dev: string, marker = 0x42): { rx: string[]; tx: string[] } {
  w.frames.length = 0;
  w.network.inject(ns, dev, frame(marker));
  w.network.advance(10_000);
  const seen = w.frames.filter((f) => f.frame[14] === marker);
  const name = (f: (typeof seen)[number]): string => `${f.ns || 'root'}/${w.mgr.topology.device(f.ns, f.ifindex)?.name ?? f.ifindex}`;
  return { rx: seen.filter((f) => f.direction === 'rx').map(name), tx: seen.filter((f) => f.direction === 'tx').map(name) };
}

const trace = (w: World): string => w.kernel.helpers.trace.read();

describe('XDP verdicts on veth', () => {
  it('PASS delivers into the stack; DROP frees silently', () => {
    const w = makeWorld();
    attach(w, ROOT_NS, 'v1', load(w, 'xdp_pass', 'r0 = 2\nexit'), 'skb');
    expect(send(w, ROOT_NS, 'v1').rx).toEqual(['root/v1']);
    const v3 = w.mgr.topology.byName(ROOT_NS, 'v3')!;
    w.mgr.attach(v3, load(w, 'xdp_drop', 'r0 = 1\nexit'), 'native');
    expect(send(w, ROOT_NS, 'v3')).toEqual({ rx: [], tx: [] });
    expect(trace(w)).toBe('');
  });

  it('XDP_TX in skb mode sends the frame back out of the device to its peer in another namespace', () => {
    const w = makeWorld();
    attach(w, ROOT_NS, 'v1', load(w, 'xdp_tx', 'r0 = 3\nexit'), 'skb');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: ['a/v2'], tx: ['root/v1'] });
  });

  it('XDP_TX in native mode is dropped unless the peer runs a native program', () => {
    const w = makeWorld();
    attach(w, ROOT_NS, 'v1', load(w, 'xdp_tx', 'r0 = 3\nexit'), 'native');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: [], tx: [] });
    attach(w, 'a', 'v2', load(w, 'xdp_pass', 'r0 = 2\nexit'), 'native');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: ['a/v2'], tx: ['root/v1'] });
    // A generic program on the peer does not help (veth_xdp_xmit needs the peer's XDP rings).
    const w2 = makeWorld();
    attach(w2, ROOT_NS, 'v1', load(w2, 'xdp_tx', 'r0 = 3\nexit'), 'native');
    attach(w2, 'a', 'v2', load(w2, 'xdp_pass', 'r0 = 2\nexit'), 'skb');
    expect(send(w2, ROOT_NS, 'v1')).toEqual({ rx: [], tx: [] });
  });

  it('bpf_redirect to another veth: skb mode transmits it, and the tracepoint says so', () => {
    const w = makeWorld();
    const v3 = w.ifindex(ROOT_NS, 'v3');
    const id = load(w, 'xdp_redir', `r1 = ${v3}\nr2 = 0\ncall bpf_redirect\nexit`);
    attach(w, ROOT_NS, 'v1', id, 'skb');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: ['b/v4'], tx: ['root/v3'] });
    expect(trace(w)).toMatch(new RegExp(`xdp_redirect: prog_id=${id} action=REDIRECT ifindex=${w.ifindex(ROOT_NS, 'v1')} to_ifindex=${v3} err=0 map_id=2147483647 map_index=0\\n$`));
  });

  it('bpf_redirect in native mode needs a native program on the target veth\'s peer (else err=-95)', () => {
    const w = makeWorld();
    const v3 = w.ifindex(ROOT_NS, 'v3');
    attach(w, ROOT_NS, 'v1', load(w, 'xdp_redir', `r1 = ${v3}\nr2 = 0\ncall bpf_redirect\nexit`), 'native');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: [], tx: [] });
    expect(trace(w)).toMatch(/xdp_redirect_err: .* to_ifindex=\d+ err=-95 /);
    attach(w, 'b', 'v4', load(w, 'xdp_pass', 'r0 = 2\nexit'), 'native');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: ['b/v4'], tx: ['root/v3'] });
  });

  it('redirect to an ifindex that does not exist drops with err=-22; XDP_REDIRECT without a helper call drops', () => {
    const w = makeWorld();
    attach(w, ROOT_NS, 'v1', load(w, 'xdp_redir', 'r1 = 4242\nr2 = 0\ncall bpf_redirect\nexit'), 'skb');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: [], tx: [] });
    expect(trace(w)).toMatch(/xdp_redirect_err: .* to_ifindex=4242 err=-22 /);
    attach(w, ROOT_NS, 'v3', load(w, 'xdp_r4', 'r0 = 4\nexit'), 'skb');
    expect(send(w, ROOT_NS, 'v3')).toEqual({ rx: [], tx: [] });
    expect(trace(w)).toMatch(/xdp_redirect_err: .* err=-22 /);
  });

  it('DEVMAP redirect sends to the device of the slot; an empty slot returns the flags action', () => {
    const w = makeWorld();
    const maps = ['.map tx_port, type=devmap, key=__u32, value=__u32, max_entries=4'];
    const id = load(w, 'xdp_devmap', 'r1 = tx_port ll\nr2 = 1\nr3 = 2\ncall bpf_redirect_map\nexit', maps);
    attach(w, ROOT_NS, 'v1', id, 'skb');
    // Slot 1 empty: the low bits of flags (2 = XDP_PASS) are the verdict.
    expect(send(w, ROOT_NS, 'v1').rx).toEqual(['root/v1']);
    const m = w.kernel.mapList().find((x) => x.name === 'tx_port')!;
    m.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(w.ifindex(ROOT_NS, 'v3'), 0, 0, 0));
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: ['b/v4'], tx: ['root/v3'] });
    expect(trace(w)).toMatch(new RegExp(`xdp_redirect: .* to_ifindex=${w.ifindex(ROOT_NS, 'v3')} err=0 map_id=${m.id} map_index=1`));
  });

  it('a DEVMAP entry\'s xdp/devmap program runs before transmit, sees egress_ifindex, and may drop', () => {
    const w = makeWorld();
    const maps = ['.map tx_port, type=devmap, key=__u32, value=__u64, max_entries=4'];
    const id = load(w, 'xdp_devmap', 'r1 = tx_port ll\nr2 = 1\nr3 = 0\ncall bpf_redirect_map\nexit', maps);
    const stamp = 'r0 = 2\nr2 = *(u32 *)(r1 + 0)\nr3 = *(u32 *)(r1 + 4)\nr4 = r2\nr4 += 16\nif r4 > r3 goto +2\nr5 = *(u32 *)(r1 + 20)\n*(u8 *)(r2 + 15) = r5\nexit';
    const pass = w.kernel.loadObject(loadObject(xdpObject('stamp', stamp, { section: 'xdp/devmap' }), 'stamp.o')).programs[0]!.id;
    const drop = w.kernel.loadObject(loadObject(xdpObject('nope', 'r0 = 1\nexit', { section: 'xdp/devmap' }), 'nope.o')).programs[0]!.id;
    attach(w, ROOT_NS, 'v1', id, 'skb');
    const m = w.kernel.mapList().find((x) => x.name === 'tx_port')!;
    const v3 = w.ifindex(ROOT_NS, 'v3');
    m.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(v3, 0, 0, 0, pass, 0, 0, 0));
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: ['b/v4'], tx: ['root/v3'] });
    expect(w.frames.find((f) => f.direction === 'tx')!.frame[15]).toBe(v3);
    m.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(v3, 0, 0, 0, drop, 0, 0, 0));
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: [], tx: [] });
    // bpf_prog_test_run_xdp refuses devmap (and cpumap) programs with EINVAL.
    expect(() => w.kernel.testRun(pass, { packet: frame() })).toThrow(/EINVAL|cannot be test-run/);
  });

  it('CPUMAP redirect hands the frame to the stack (on another CPU)', () => {
    const w = makeWorld();
    const maps = ['.map cpus, type=cpumap, key=__u32, value=__u32, max_entries=1'];
    const id = load(w, 'xdp_cpumap', 'r1 = cpus ll\nr2 = 0\nr3 = 1\ncall bpf_redirect_map\nexit', maps);
    attach(w, ROOT_NS, 'v1', id, 'skb');
    expect(send(w, ROOT_NS, 'v1').rx).toEqual([]); // empty slot: flags say XDP_DROP
    w.kernel.mapList().find((x) => x.name === 'cpus')!.update(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(192, 0, 0, 0));
    expect(send(w, ROOT_NS, 'v1').rx).toEqual(['root/v1']);
  });

  it('ABORTED and illegal verdicts fire xdp_exception with the program id and device', () => {
    const w = makeWorld();
    const id = load(w, 'xdp_abort', 'r0 = 0\nexit');
    attach(w, ROOT_NS, 'v1', id, 'skb');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: [], tx: [] });
    expect(w.verdicts.at(-1)?.action).toBe('aborted');
    expect(trace(w)).toMatch(new RegExp(`^ +test-1 +\\[000\\] \\.\\.s1\\. +\\d+\\.\\d{6}: xdp_exception: prog_id=${id} action=ABORTED ifindex=${w.ifindex(ROOT_NS, 'v1')}\\n$`));
    const id7 = load(w, 'xdp_ret7', 'r0 = 7\nexit');
    attach(w, ROOT_NS, 'v3', id7, 'native');
    expect(send(w, ROOT_NS, 'v3')).toEqual({ rx: [], tx: [] });
    expect(trace(w)).toMatch(/xdp_exception: prog_id=\d+ action=0x7 ifindex=\d+\n$/);
    expect(w.mgr.attachment(ROOT_NS, w.ifindex(ROOT_NS, 'v1'), 'skb')!.stats.exceptions).toBe(1);
  });

  it('a packet fault aborts the run (XDP_ABORTED), never a host exception', () => {
    const w = makeWorld();
    // Reads 4 bytes at data+4000 without a bounds check: the VM faults; raw insns skip the verifier.
    const prog = w.kernel.loadInsns(
      loadObject(xdpObject('xdp_oob', 'r2 = *(u32 *)(r1 + 0)\nr0 = *(u32 *)(r2 + 4000)\nexit'), 'oob.o').programs[0]!.insns,
      { name: 'xdp_oob' },
    );
    attach(w, ROOT_NS, 'v1', prog.id, 'skb');
    expect(send(w, ROOT_NS, 'v1')).toEqual({ rx: [], tx: [] });
    expect(trace(w)).toMatch(/action=ABORTED/);
  });
});

describe('XDP attach rules (dev_xdp_attach)', () => {
  it('one program per mode; native and generic exclusive; hw refused on veth; lo has no native mode', () => {
    const w = makeWorld();
    const p = load(w, 'xdp_pass', 'r0 = 2\nexit');
    const v1 = w.mgr.topology.byName(ROOT_NS, 'v1')!;
    w.mgr.attach(v1, p, 'skb', { noexist: true });
    const err = (f: () => void): [number, string] => {
      try {
        f();
      } catch (e) {
        if (e instanceof XdpError) return [e.errno, e.extack];
        throw e;
      }
      return [0, ''];
    };
    expect(err(() => w.mgr.attach(v1, p, 'skb', { noexist: true }))).toEqual([16, 'XDP program already attached.']);
    expect(err(() => w.mgr.attach(v1, p, 'native'))).toEqual([17, "Native and generic XDP can't be active at the same time."]);
    expect(err(() => w.mgr.attach(v1, p, 'hw'))).toEqual([22, 'Underlying driver does not support XDP offload.']);
    expect(err(() => w.mgr.attach(w.mgr.topology.byName(ROOT_NS, 'lo')!, p, 'native'))).toEqual([95, 'Underlying driver does not support XDP in native mode.']);
    expect(err(() => w.mgr.attach(v1, p, 'skb', { expectedOld: 999 }))).toEqual([17, 'Active program does not match expected.']);
    // A plain attach replaces atomically; detaching nothing succeeds.
    const q = load(w, 'xdp_drop', 'r0 = 1\nexit');
    expect(w.mgr.attach(v1, q, 'skb')).toBe(p);
    expect(w.kernel.program(p)).toBeUndefined(); // freed: nothing holds it any more
    expect(w.mgr.detach(w.mgr.topology.byName(ROOT_NS, 'v3')!, 'skb')).toBeUndefined();
  });

  it('link down keeps the program (it receives nothing); deleting the veth detaches and frees it with its maps', () => {
    const w = makeWorld();
    const maps = ['.map pkt_count, type=array, key=__u32, value=__u64, max_entries=1'];
    const id = load(
      w,
      'count_packets',
      'r1 = 0\n*(u32 *)(r10 - 4) = r1\nr2 = r10\nr2 += -4\nr1 = pkt_count ll\ncall bpf_map_lookup_elem\nif r0 == 0 goto +2\nr1 = 1\nlock *(u64 *)(r0 + 0) += r1\nr0 = 2\nexit',
      maps,
    );
    attach(w, ROOT_NS, 'v1', id, 'skb');
    const count = (): number => Number(new DataView(w.kernel.mapList()[0]!.lookup(new Uint8Array(4)).buffer).getBigUint64(0, true));
    send(w, ROOT_NS, 'v1');
    expect(count()).toBe(1);
    linkSetUp(w.net, ROOT_NS, 'v1', false);
    w.mgr.reconcile();
    expect(w.mgr.linkInfo(ROOT_NS, w.ifindex(ROOT_NS, 'v1'))?.id).toBe(id);
    linkSetUp(w.net, ROOT_NS, 'v1', true);
    send(w, ROOT_NS, 'v1');
    expect(count()).toBe(2);
    linkDel(w.net, 'a', 'v2'); // deleting either end deletes both
    w.mgr.reconcile();
    expect(w.mgr.state.attachments).toEqual([]);
    expect(w.kernel.program(id)).toBeUndefined();
    expect(w.kernel.mapList()).toEqual([]);
  });
});
