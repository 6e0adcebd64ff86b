/**
 * attachXDP against the shared state: the attachment is written where the XDP hook of the
 * emulated network finds it, frames received on eth0 run the program and update the map the
 * application reads, the kernel's attach rules surface as typed errors, and closing the link
 * detaches and frees what nothing else references.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachXDP, loadCollectionSpec, XdptsError } from '../../src/index';
import { StateHost as Host } from '../../src/api/host';
import { XdpHookRunner } from '../../src/kernel';
import { Network } from '../../src/net';
import { fixtureObject, freshStateDir, u32, u64, udpFrame } from './helpers';

let state: { dir: string; remove: () => void };
beforeEach(() => {
  state = freshStateDir();
});
afterEach(() => state.remove());

/**
 * Delivers `n` frames to eth0 as another process (`xdpts inject`) would: its own transaction,
 * the kernel and network hydrated from the state, the XDP hook in front of the stack.
 */
function injectFrames(n: number): string[] {
  const actions: string[] = [];
  new Host({ stateDir: state.dir }).write((t) => {
    const net = new Network(t.net(), {
      hook: new XdpHookRunner(t.xdp()),
      onVerdict: (v) => actions.push(v.action),
    });
    for (let i = 0; i < n; i++) net.inject('', 'eth0', udpFrame());
    net.advance(1000);
  });
  return actions;
}

function attachments(): { dev: { name: string }; mode: string; progId: number }[] {
  return new Host({ stateDir: state.dir }).read((t) => t.xdp().state.attachments);
}

describe('attachXDP', () => {
  it('attaches count_packets to eth0; frames from another transaction run it; close detaches', () => {
    const coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const prog = coll.detachProgram('count_packets');
    const map = coll.detachMap('pkt_count', u32, u64);
    coll.close();
    const link = attachXDP({ program: prog, interface: 'eth0' });
    // eth0 (the emulated NIC) has a driver with XDP: unspecified resolves to native.
    expect(link.info()).toMatchObject({ interface: 'eth0', ifindex: 2, mode: 'native' });
    expect(attachments()).toMatchObject([{ dev: { name: 'eth0' }, mode: 'native', progId: link.info().progId }]);
    expect(injectFrames(5)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(map.lookup(0)).toBe(5n);
    // The application closes its program handle: the link keeps the program attached.
    prog.close();
    injectFrames(2);
    expect(map.lookup(0)).toBe(7n);
    link.close();
    link.close();
    expect(attachments()).toEqual([]);
    // Nothing holds the program any more: it is freed; the map lives while the handle is open.
    const left = new Host({ stateDir: state.dir }).read((t) => ({ progs: t.kernel.programList().length, maps: t.kernel.mapList().length }));
    expect(left).toEqual({ progs: 0, maps: 1 });
    expect(injectFrames(1)).toEqual(['pass']);
    expect(map.lookup(0)).toBe(7n);
    map.close();
  });

  it('refuses what the kernel refuses: unknown device, a second link, a closed program', () => {
    using coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const prog = coll.programs.get('count_packets')!;
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(XdptsError);
        return (e as XdptsError).code;
      }
      return 'no error';
    };
    expect(code(() => attachXDP({ program: prog, interface: 'nope0' }))).toBe('ENODEV');
    using link = attachXDP({ program: prog, interface: 'eth0', mode: 'skb' });
    expect(link.info().mode).toBe('skb');
    // A link cannot replace an attached program (EBUSY); native beside generic is EEXIST.
    expect(code(() => attachXDP({ program: prog, interface: 'eth0', mode: 'skb' }))).toBe('EBUSY');
    expect(code(() => attachXDP({ program: prog, interface: 'eth0', mode: 'native' }))).toBe('EEXIST');
    expect(code(() => attachXDP({ program: prog, interface: 'lo', mode: 'native' }))).toBe('EOPNOTSUPP');
    expect(code(() => attachXDP({ program: prog, interface: 'eth0', mode: 'bogus' as never }))).toBe('usage');
  });

  it('update swaps the program atomically and releases the old one', () => {
    const a = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const b = loadCollectionSpec(fixtureObject('xdp_drop')).load({ stateDir: state.dir });
    const counter = a.detachProgram('count_packets');
    const drop = b.detachProgram([...b.programs.keys()][0]!);
    const link = attachXDP({ program: counter, interface: 'eth0' });
    counter.close();
    link.update(drop);
    expect(link.info().progId).toBe((drop as unknown as { id: number }).id);
    expect(injectFrames(2)).toEqual(['drop', 'drop']);
    // The counter program was held only by the link: gone now.
    const names = new Host({ stateDir: state.dir }).read((t) => t.kernel.programList().map((p) => p.funcName));
    expect(names).toEqual([drop.name]);
    link.close();
    drop.close();
    a.close();
    b.close();
    expect(new Host({ stateDir: state.dir }).read((t) => [t.kernel.programList().length, t.kernel.mapList().length])).toEqual([0, 0]);
  });
});

describe('pinned links', () => {
  it('a pinned link keeps the program attached after close; unpin then detaches it', () => {
    const coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const prog = coll.detachProgram('count_packets');
    coll.close();
    const link = attachXDP({ program: prog, interface: 'eth0', mode: 'skb' });
    link.pin('/sys/fs/bpf/xdptsK_link');
    expect(link.pinned).toBe('/sys/fs/bpf/xdptsK_link');
    prog.close();
    link.close();
    expect(attachments()).toHaveLength(1);
    expect(injectFrames(1)).toEqual(['pass']);
    link.unpin();
    expect(attachments()).toEqual([]);
    expect(new Host({ stateDir: state.dir }).read((t) => [t.kernel.programList().length, t.kernel.mapList().length])).toEqual([0, 0]);
  });
});
