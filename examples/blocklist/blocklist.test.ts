/**
 * Unit tests of an XDP program the way a CI pipeline runs them: no root, no kernel, no state
 * on disk. Each test gets a fresh in-memory kernel, loads the object clang built (blocklist.c
 * beside this file), fills its maps through BTF-typed handles, runs packets and checks the
 * verdicts and the maps. Copy this file next to your own program and change the packets.
 *
 *   npx vitest run examples/blocklist
 */
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { Kernel, loadCollectionSpec, MapError, TestRunError, type KernelCollection } from 'xdpts';

const spec = loadCollectionSpec(fileURLToPath(new URL('./blocklist.o', import.meta.url)));

/** An Ethernet + IPv4 + UDP frame from `src` (a dotted IPv4 address) to 10.0.0.2. */
function udpFrom(src: string, payload = 8): Uint8Array {
  const f = new Uint8Array(14 + 20 + 8 + payload);
  f.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
  f.set([0x45, 0, 0, 28 + payload, 0, 0, 0x40, 0, 64, 17, 0, 0], 14);
  f.set(src.split('.').map(Number), 26);
  f.set([10, 0, 0, 2], 30);
  return f;
}

let coll: KernelCollection<'blocklist' | 'drops', 'xdp_blocklist'>;
beforeEach(() => {
  coll = Kernel.inMemory({ seed: 1, clock: 'virtual' }).loadCollection(spec);
  // The LPM trie's key is { __u32 prefixlen; __u32 addr } with addr in network byte order:
  // a dotted address is written as its bytes.
  coll.maps.blocklist.update({ prefixlen: 24, addr: '192.0.2.0' }, 1);
  coll.maps.blocklist.update({ prefixlen: 32, addr: '198.51.100.7' }, 2);
});

describe('xdp_blocklist', () => {
  it('drops sources inside a blocked prefix and passes the rest', () => {
    const xdp = coll.programs.xdp_blocklist;
    expect(xdp.run(udpFrom('192.0.2.77'), { ctx: { ingressIfindex: 2 } }).action).toBe('XDP_DROP');
    expect(xdp.run(udpFrom('198.51.100.7')).action).toBe('XDP_DROP');
    expect(xdp.run(udpFrom('198.51.100.8')).action).toBe('XDP_PASS');
    expect(xdp.run(udpFrom('192.0.3.1')).action).toBe('XDP_PASS');
  });

  it('counts drops per rule, packets and bytes', () => {
    const xdp = coll.programs.xdp_blocklist;
    for (let i = 0; i < 1000; i++) xdp.run(udpFrom('192.0.2.1'));
    xdp.run(udpFrom('198.51.100.7', 100));
    expect(coll.maps.drops.lookup(1)).toEqual({ packets: 1000n, bytes: 50_000n });
    expect(coll.maps.drops.lookup(2)).toEqual({ packets: 1n, bytes: 142n });
    expect(coll.maps.drops.lookup(3)).toBeUndefined();
  });

  it('leaves the packet as it was and passes what is not IPv4', () => {
    const arp = udpFrom('192.0.2.1');
    arp[13] = 0x06;
    // On the virtual clock a run's result repeats exactly (durationNs 0): compare it whole.
    expect(coll.programs.xdp_blocklist.run(arp)).toEqual({ action: 'XDP_PASS', retval: 2, packet: arp, meta: new Uint8Array(0), durationNs: 0 });
  });

  it('refuses a context the kernel would refuse: a device that does not exist (ENODEV)', () => {
    const run = (): unknown => coll.programs.xdp_blocklist.run(udpFrom('192.0.2.1'), { ctx: { ingressIfindex: 42 } });
    expect(run).toThrow(TestRunError);
    expect(run).toThrow(/no device with ifindex 42 \(ENODEV\)/);
  });

  it('aborts on a truncated IPv4 header, as the bounds checks say', () => {
    expect(coll.programs.xdp_blocklist.run(udpFrom('192.0.2.1').subarray(0, 20)).action).toBe('XDP_ABORTED');
  });

  it('refuses keys that do not match the map type, naming the field', () => {
    expect(() => coll.maps.blocklist.update({ prefix: 24, addr: '192.0.2.0' }, 1)).toThrow(MapError);
    expect(() => coll.maps.blocklist.update({ prefix: 24, addr: '192.0.2.0' }, 1)).toThrow(/no field 'prefix'/);
  });
});
