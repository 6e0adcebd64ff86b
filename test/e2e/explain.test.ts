/**
 * `xdpts explain` and `xdpts verify --explain` through the real CLI (bin/xdpts, built by
 * `npm run build`): text for learners, the same structure under --json, exit 1 for a refusal
 * and 0 for an accepted program.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const xdpts = (...args: string[]): { exit: number; stdout: string } => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'xdpts'), ...args], { encoding: 'utf8', cwd: ROOT });
  return { exit: r.status ?? -1, stdout: r.stdout };
};

describe('xdpts explain', () => {
  it('explains a packet read past the check, in text and JSON', () => {
    const t = xdpts('explain', 'fixtures/verifier-corpus/packet.o', '-n', 'pkt_rd_u16_straddle');
    expect(t.exit).toBe(1);
    expect(t.stdout).toContain('rejected — packet bounds (packet-bounds)');
    expect(t.stdout).toContain('Proven: at packet.c:12 (insn 4), the packet was proven to hold 14 bytes.');
    expect(t.stdout).toMatch(/ {5}4: if r4 > r3 goto pc\+1 +compares r4 {2}\[R3=pkt_end\(\) R4=pkt\(off=14,r=14\)\]/);
    const j = xdpts('verify', '--explain', 'fixtures/verifier-corpus/packet.o', '-n', 'pkt_rd_u16_straddle', '--json');
    expect(j.exit).toBe(1);
    const e = JSON.parse(j.stdout);
    expect(e).toMatchObject({ accepted: false, program: 'pkt_rd_u16_straddle', category: 'packet-bounds', insn: 5, register: 2, errno: 'EACCES' });
    expect(e.chain.map((s: { insn: number }) => s.insn)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('has nothing to explain for an accepted program', () => {
    const r = xdpts('explain', 'fixtures/c/counter.o', '--json');
    expect(r.exit).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ program: 'count_packets', section: 'xdp', accepted: true });
  });
});
