/**
 * `xdpts verify` as a user runs it: exit 0 accepted / 1 rejected / 2 bad input, the kernel's
 * wording, the source line from .BTF.ext, the log levels and the JSON shape of the issue.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin/xdpts');
const BAD = 'fixtures/kernel/xdp/xdp_bad.o';

function xdpts(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'ignore' });
});

describe('xdpts verify', () => {
  it('accepts the tutorial counter (exit 0) with the kernel processed count', () => {
    const r = xdpts('verify', 'fixtures/c/counter.o');
    expect(r.code).toBe(0);
    // Linux 6.18 prints "processed 11 insns" for this object (bpftool -d prog load).
    expect(r.stdout).toBe('fixtures/c/counter.o: count_packets (section xdp): accepted, processed 11 insns\n');
  });

  it('rejects an unchecked packet read with the kernel message, the insn and the source line (exit 1)', () => {
    const r = xdpts('verify', BAD);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('rejected at insn 1');
    expect(r.stderr).toContain('xdp_bad.c:9: return *(unsigned char *)(data + 20);');
    expect(r.stderr).toContain("xdp_bad.c:9: return *(unsigned char *)(data + 20);): R1 offset is outside of the packet\n");
    expect(r.stderr).toContain('  invalid access to packet, off=20 size=1, R1(id=0,off=20,r=0)');
  });

  it('prints the kernel-style log at --log-level 1', () => {
    const r = xdpts('verify', BAD, '--log-level', '1');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        '0: R1=ctx() R10=fp0',
        '; void *data = (void *)(long)ctx->data; @ xdp_bad.c:8',
        '0: (61) r1 = *(u32 *)(r1 +0)          ; R1=pkt(r=0)',
        '; return *(unsigned char *)(data + 20); @ xdp_bad.c:9',
        '1: (71) r0 = *(u8 *)(r1 +20)',
        'invalid access to packet, off=20 size=1, R1(id=0,off=20,r=0)',
        'R1 offset is outside of the packet',
        'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
        '',
      ].join('\n'),
    );
  });

  it('gives {"accepted","error","insn","log"} with --json', () => {
    const r = xdpts('verify', BAD, '--json', '--log-level', '2');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ accepted: false, error: 'R1 offset is outside of the packet', insn: 1 });
    expect(j.log).toContain('processed 2 insns');
    expect(JSON.parse(xdpts('verify', 'fixtures/c/xdp_drop.o', '--json').stdout)).toMatchObject({ accepted: true, program: 'xdp_drop_prog' });
  });

  it('refuses bad usage with exit 2', () => {
    expect(xdpts('verify', 'fixtures/c/counter.o', '--log-level', '7').code).toBe(2);
    expect(xdpts('verify', 'fixtures/c/multi.o', '-n', 'nosuch').code).toBe(2);
    expect(xdpts('verify', 'nosuch.o').code).toBe(2);
  });
});
