/**
 * Which helpers an XDP program may call, and the kernel's refusal of a call with all-zero
 * arguments, for every helper id: fixtures/kernel/helper-probe.c ran on the 6.18 kernel (GPL and
 * MIT licenses) into fixtures/kernel/helper-probe*.out. xdpts must give the same verdict and
 * message, or, for a helper the kernel has but xdpts does not model, name it as not emulated.
 * Re-recorded live (XDPTS_UPDATE_FIXTURES=1) or re-checked where root + libbpf exist.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helperName, notEmulatedMessage } from '../../src/isa';
import { verifyProgram } from '../../src/verifier';
import { NOT_EMULATED_HELPERS } from '../../src/kernel/helpers';
import { BPF_EMIT_CALL, BPF_EXIT_INSN, BPF_MOV64_IMM, toSpec } from '../verifier/builder';
import { tools, needs } from '../helpers/tools';

const FIX = join(import.meta.dirname, '../../fixtures/kernel');
const MAX_ID = 215;
const ERRNO: Record<string, string> = { EACCES: 'E13', EINVAL: 'E22', EOPNOTSUPP: 'E95' };

/** xdpts' line for helper `id` in the probe's format. */
function xdptsLine(id: number, license: string): string {
  const insns = [1, 2, 3, 4, 5].map((r) => BPF_MOV64_IMM(r, 0));
  insns.push(BPF_EMIT_CALL(id), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN());
  const { prog, maps } = toSpec({ name: 'probe', insns });
  const r = verifyProgram({ ...prog, license }, maps);
  return r.accepted ? `${id} OK` : `${id} ${ERRNO[r.errno!] ?? r.errno} ${r.error}`;
}

function compare(file: string, license: string): { notEmulated: string[] } {
  const want = readFileSync(join(FIX, file), 'utf8').trimEnd().split('\n');
  expect(want.length).toBe(MAX_ID - 1);
  const notEmulated: string[] = [];
  for (const line of want) {
    const id = Number(line.split(' ')[0]);
    const got = xdptsLine(id, license);
    if (got === `${id} E95 xdpts: ${notEmulatedMessage(id)}`) {
      // Only a helper the kernel lets XDP call may be "not emulated".
      expect(line, `helper ${helperName(id)} is not callable in the kernel`).not.toMatch(/cannot use helper|invalid func/);
      notEmulated.push(helperName(id)!);
      continue;
    }
    expect(got, `helper #${id} ${helperName(id)}`).toBe(line);
  }
  return { notEmulated };
}

describe('helper availability and zero-argument refusals (fixtures/kernel/helper-probe.c on 6.18)', () => {
  it('match the kernel for a GPL program', () => {
    const { notEmulated } = compare('helper-probe.out', 'GPL');
    // Every helper the verifier names as not emulated is in the kernel's list of them, with why.
    expect(notEmulated.filter((n) => !(n in NOT_EMULATED_HELPERS))).toEqual([]);
  });

  it('match the kernel for a non-GPL program (gpl_only helpers refused)', () => {
    compare('helper-probe-mit.out', 'MIT');
  });
});

describe.skipIf(!tools.kernel)(`helper probe against the live kernel${needs('kernel')}`, () => {
  it('still gives the recorded answers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rh_probe_'));
    try {
      const exe = join(dir, 'probe');
      const cc = spawnSync('cc', ['-O1', '-o', exe, join(FIX, 'helper-probe.c'), '-lbpf'], { encoding: 'utf8' });
      expect(cc.status, cc.stderr).toBe(0);
      for (const [file, lic] of [['helper-probe.out', 'GPL'], ['helper-probe-mit.out', 'MIT']] as const) {
        const r = spawnSync(exe, [String(MAX_ID)], { encoding: 'utf8', env: { ...process.env, LIC: lic } });
        if (process.env['XDPTS_UPDATE_FIXTURES'] === '1') writeFileSync(join(FIX, file), r.stdout);
        expect(r.stdout).toBe(readFileSync(join(FIX, file), 'utf8'));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
