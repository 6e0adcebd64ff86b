/**
 * ping letting go of the state while it waits (the CLI's wall-clock pacing): the run goes on over
 * a re-read state, and what another command delivered to its socket meanwhile (here the ICMP
 * "Destination Host Unreachable" errors of a failed ARP resolution) waits in the state's inbox.
 */
import { describe, expect, it } from 'vitest';
import { addrAdd, createNetState, linkAddVeth, linkSetUp, netnsAdd, Network, runPing, type NetState } from '../../src/net/index';

function tutorial(): NetState {
  const s = createNetState({ seed: 3, epochUs: 0 });
  netnsAdd(s, 'net');
  linkAddVeth(s, '', 'veth1', 'veth2', 'net');
  addrAdd(s, '', '192.168.1.1/24', 'veth1');
  addrAdd(s, 'net', '192.168.1.2/24', 'veth2');
  linkSetUp(s, '', 'veth1', true);
  linkSetUp(s, 'net', 'veth2', true);
  return s;
}

describe('ping over re-read states', () => {
  it('prints the same lines when every wait re-reads the state and another command runs the events', async () => {
    const want = (await runPing(new Network(structuredClone(tutorial())), { ns: '', target: '192.168.1.3', count: 3 })).lines;
    let state = structuredClone(tutorial());
    let sleeps = 0;
    let inboxSeen = 0;
    const r = await runPing(new Network(state), { ns: '', target: '192.168.1.3', count: 3 }, () => {}, {
      pid: 4242,
      sleep: async (ms) => {
        sleeps++;
        expect(state.pingSockets).toEqual([expect.objectContaining({ ns: '', pid: 4242 })]);
        // "Another command": a fresh Network over a copy of the saved state runs the events due
        // in the next ms, delivering to a socket it does not own.
        const saved: NetState = structuredClone(state);
        const other = new Network(saved);
        other.advanceTo(other.now + Math.round(ms * 1000));
        inboxSeen += saved.pingSockets?.[0]?.inbox.length ?? 0;
        state = structuredClone(saved);
        return new Network(state);
      },
    });
    expect(sleeps).toBeGreaterThan(2);
    expect(inboxSeen).toBe(3);
    expect(r.lines).toEqual(want);
    expect(r.lines.filter((l) => l.includes('Destination Host Unreachable'))).toHaveLength(3);
    expect(state.pingSockets).toBeUndefined();
  });
});
