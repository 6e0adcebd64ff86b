import { describe, expect, it } from 'vitest';
import {
  addrAdd,
  createNetState,
  describeFrame,
  formatNeigh,
  getNetns,
  linkAddVeth,
  linkSetUp,
  netnsAdd,
  Network,
  runPing,
  type FrameEvent,
  type NetState,
  type XdpHook,
  type XdpVerdict,
} from '../../src/net/index';

function tutorial(): NetState {
  const s = createNetState({ seed: 5 });
  netnsAdd(s, 'net');
  linkAddVeth(s, '', 'veth1', 'veth2', 'net');
  addrAdd(s, '', '192.168.1.1/24', 'veth1');
  addrAdd(s, 'net', '192.168.1.2/24', 'veth2');
  linkSetUp(s, '', 'veth1', true);
  linkSetUp(s, 'net', 'veth2', true);
  return s;
}

const ifindexOf = (s: NetState, ns: string, name: string): number => getNetns(s, ns).ifaces.find((i) => i.name === name)!.ifindex;

function onDev(ns: string, ifindex: number, verdict: (frame: Uint8Array) => Omit<XdpVerdict, 'frame'>, seen?: string[]): XdpHook {
  return {
    runXdp: (n, i, frame) => {
      if (n === ns && i === ifindex) {
        seen?.push(describeFrame(frame));
        return { ...verdict(frame), frame };
      }
      return { action: 'pass', frame };
    },
  };
}

describe('XDP verdicts on received frames', () => {
  it('a program sees only what its device receives: the ARP reply and the echo replies', async () => {
    const s = tutorial();
    const seen: string[] = [];
    const net = new Network(s, { hook: onDev('', ifindexOf(s, '', 'veth1'), () => ({ action: 'pass' }), seen) });
    await runPing(net, { ns: '', target: '192.168.1.2', count: 3 });
    // As observed on Linux (reference §3.1): a counter on veth1 counts 4 with cold caches.
    expect(seen).toHaveLength(4);
    expect(seen[0]).toMatch(/^ARP, Reply 192.168.1.2 is-at/);
    expect(seen.slice(1).every((f) => f.includes('ICMP echo reply'))).toBe(true);
  });

  it('XDP_TX bounces the ARP reply back unchanged; the peer ignores it, so the host cannot resolve', async () => {
    const s = tutorial();
    const frames: FrameEvent[] = [];
    const net = new Network(s, { hook: onDev('', ifindexOf(s, '', 'veth1'), () => ({ action: 'tx' })), onFrame: (e) => frames.push(e) });
    const r = await runPing(net, { ns: '', target: '192.168.1.2', count: 1 });
    expect(r.lines[1]).toBe('From 192.168.1.1 icmp_seq=1 Destination Host Unreachable');
    const bounced = frames.filter((f) => f.ns === '' && f.direction === 'tx' && describeFrame(f.frame).startsWith('ARP, Reply'));
    expect(bounced.length).toBeGreaterThan(0);
  });

  it('XDP_REDIRECT sends the frame out of the target device', async () => {
    const s = tutorial();
    netnsAdd(s, 'other');
    linkAddVeth(s, '', 'veth3', 'veth4', 'other');
    linkSetUp(s, '', 'veth3', true);
    linkSetUp(s, 'other', 'veth4', true);
    const seenOn4: string[] = [];
    const v3 = ifindexOf(s, '', 'veth3');
    const hook: XdpHook = {
      runXdp: (ns, i, frame) => {
        if (ns === 'other') seenOn4.push(describeFrame(frame));
        if (ns === '' && i === ifindexOf(s, '', 'veth1')) return { action: 'redirect', frame, redirect: { ifindex: v3 } };
        return { action: 'pass', frame };
      },
    };
    const net = new Network(s, { hook });
    await runPing(net, { ns: '', target: '192.168.1.2', count: 1, wait: 1 });
    expect(seenOn4.some((f) => f.startsWith('ARP, Reply 192.168.1.2'))).toBe(true);
  });

  it('XDP_ABORTED and XDP_DROP both drop', async () => {
    for (const action of ['aborted', 'drop'] as const) {
      const s = tutorial();
      const net = new Network(s, { hook: onDev('net', ifindexOf(s, 'net', 'veth2'), () => ({ action })) });
      const r = await runPing(net, { ns: '', target: '192.168.1.2', count: 1 });
      expect(r.errors).toBe(1);
    }
  });
});

describe('neighbour aging as Linux', () => {
  it('REACHABLE turns STALE after its reachable time', async () => {
    const s = tutorial();
    const net = new Network(s);
    await runPing(net, { ns: '', target: '192.168.1.2', count: 1 });
    const v1 = ifindexOf(s, '', 'veth1');
    expect(formatNeigh(s, getNetns(s, ''), v1)[0]).toMatch(/REACHABLE $/);
    net.advance(46_000_000);
    expect(formatNeigh(s, getNetns(s, ''), v1)[0]).toMatch(/^192\.168\.1\.2 lladdr \S+ STALE $/);
  });

  it('with a drop program after a good ping: silent loss first, then unreachable in batches of 3 (reference §5.2)', async () => {
    const s = tutorial();
    let net = new Network(s);
    await runPing(net, { ns: '', target: '192.168.1.2', count: 1 });
    net = new Network(s, { hook: onDev('', ifindexOf(s, '', 'veth1'), () => ({ action: 'drop' })) });
    const r = await runPing(net, { ns: '', target: '192.168.1.2', count: 70 });
    const firstErr = r.lines.findIndex((l) => l.startsWith('From '));
    const firstSeq = Number(/icmp_seq=(\d+)/.exec(r.lines[firstErr]!)![1]);
    // REACHABLE 15–45 s, then DELAY 5 s and 3 unicast probes: 23..55 probes lost silently.
    expect(firstSeq).toBeGreaterThan(20);
    expect(firstSeq).toBeLessThan(56);
    expect(r.lines[firstErr + 1]).toBe(`From 192.168.1.1 icmp_seq=${firstSeq + 1} Destination Host Unreachable`);
    expect(r.lines[firstErr + 2]).toBe(`From 192.168.1.1 icmp_seq=${firstSeq + 2} Destination Host Unreachable`);
    expect(r.exitCode).toBe(1);
    expect(r.lines[r.lines.length - 1]).toMatch(/^pipe [34]$/);
  });
});
