/**
 * `xdpts run --trace / --trace-json / --max-steps` through the real CLI (bin/xdpts, built by
 * `npm run build`) on the tutorial's counter: source lines from BTF, the instruction as clang
 * writes it, registers and memory with concrete values, and the usage errors.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'xdpts');
const xdpts = (...args: string[]): { exit: number; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
  return { exit: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
const PKT = '02000000000b02000000000a0800' + '4500002412344000401114930a0000010a000002' + '9c40003500100000' + '0102030405060708';

describe('xdpts run --trace', () => {
  it('prints each executed instruction with its source line, registers and memory', () => {
    const r = xdpts('run', 'fixtures/c/counter.o', '--packet', PKT, '--trace');
    expect(r.exit).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('; __u32 key = 0; @ counter.c:15');
    expect(lines.find((l) => /^\s+1\s+1: \*\(u32 \*\)\(r10 - 0x4\) = w1\s+; write fp-4\/4=0$/.test(l))).toBeDefined();
    expect(lines.find((l) => /^\s+3\s+3: r2 \+= -0x4\s+; r2=fp-4$/.test(l))).toBeDefined();
    expect(lines.find((l) => /^\s+4\s+4: r1 = pkt_count ll/.test(l))).toBeDefined();
    expect(lines.find((l) => /^\s+5\s+6: call 0x1\s+; r0=map_value$/.test(l))).toBeDefined();
    expect(lines.find((l) => /lock \*\(u64 \*\)\(r0 \+ 0x0\) \+= r1\s+; read map_value\/8=0  write map_value\/8=1$/.test(l))).toBeDefined();
    expect(lines).toContain('11 instructions executed');
    expect(r.stdout).toContain('Return value: 2');
  });

  it('--trace-json gives the steps as data; --max-steps bounds them', () => {
    const r = xdpts('run', 'fixtures/c/counter.o', '--packet', PKT, '--trace-json', '--max-steps', '3', '--engine', 'jit');
    expect(r.exit).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.engine).toBe('interp');
    expect(j.trace.executed).toBe(11);
    expect(j.trace.truncated).toBe(true);
    expect(j.trace.steps).toHaveLength(3);
    expect(j.trace.steps[1]).toMatchObject({
      step: 1,
      insn: 1,
      source: { line: 15, text: '__u32 key = 0;' },
      regs: [],
      mem: [{ kind: 'write', addr: 'fp-4', size: 4, value: '0x0' }],
    });
    expect(j.trace.steps[2].regs).toEqual([{ reg: 'r2', value: 'fp', raw: '0x300001000' }]);
  });

  it('--verifier puts the verifier\'s value beside each register written, and checks the run', () => {
    const r = xdpts('run', 'fixtures/c/counter.o', '--packet', PKT, '--trace', '--verifier');
    expect(r.exit).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => /^\s+3\s+3: r2 \+= -0x4\s+; r2=fp-4 \(fp-4\)$/.test(l))).toBeDefined();
    expect(lines.find((l) => /^\s+5\s+6: call 0x1\s+; r0=map_value \(map_value\(map=pkt_count,ks=4,vs=8\)\)$/.test(l))).toBeDefined();
    expect(lines).toContain("verifier check: every register of the 11 recorded steps lies inside the verifier's envelope");
    // A parser with joined paths: the union of the states is shown.
    const p = xdpts('run', 'fixtures/real/parse_l4/prog.o', '--packet', PKT, '--trace', '--verifier');
    expect(p.exit).toBe(0);
    expect(p.stdout).toMatch(/r1=pkt\+14 \(pkt\(off=22,r=22\) \| pkt\(off=18,r=18\) \| pkt\(off=14,r=14\)\)/);
    expect(p.stdout).not.toContain('MISMATCH');
  });

  it('--trace-json --verifier gives every register\'s abstract value per step and the check', () => {
    const r = xdpts('run', 'fixtures/c/counter.o', '--packet', PKT, '--trace-json', '--verifier');
    expect(r.exit).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.trace.steps[0].verifier).toEqual({ r1: 'ctx()', r10: 'fp0' });
    expect(j.trace.steps[8].verifier.r0).toBe('map_value(map=pkt_count,ks=4,vs=8)');
    expect(j.trace.verifierCheck).toEqual({ mismatches: [], untracked: [] });
    expect(xdpts('run', 'fixtures/c/counter.o', '--packet', PKT, '--verifier').exit).toBe(2);
  });

  it('refuses --trace where there is no single packet run', () => {
    expect(xdpts('run', 'fixtures/c/counter.o', '--pcap', 'x.pcap', '--trace').exit).toBe(2);
    expect(xdpts('run', 'fixtures/c/counter.o', '--packet', PKT, '--trace', '--max-steps', '0').exit).toBe(2);
  });
});
