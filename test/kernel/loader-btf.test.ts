/**
 * One program built three ways (fixtures/kernel/xdp/btf_cases.c, build.sh): with -g (BTF and func
 * info), without -g (no BTF), and with -g and .BTF.ext stripped (BTF, no func info). The kernel
 * keeps a program's BTF only when the load passes func/line info, so bpftool prints `btf_id` for
 * the first alone. The goldens are real bpftool 7.1.0's `prog show -j` on Linux 6.18 for these
 * objects (loaded with `bpftool prog load X.o PIN type xdp`), with the id, load time, BTF id and
 * jited size (the x86 JIT's, not emulated) masked; re-checked live where the kernel is usable.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLoadArgs, progShow, XdpLoader, type LoadArgs } from '../../src/kernel/index';
import { ROOT_NS } from '../../src/net/index';
import { needs, tools } from '../helpers/tools';
import { makeWorld } from './xdp-fixture';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'kernel', 'xdp');
const CASES = ['g', 'nobtf', 'noext'] as const;

const COMMON = { type: 'xdp', name: 'xdp_pass_prog', tag: '614b434cd8324ecc', gpl_compatible: true, uid: 0, bytes_xlated: 16, jited: true, bytes_memlock: 4096 };
/** Real bpftool's keys and values, masked. */
const GOLDEN: Record<(typeof CASES)[number], Record<string, unknown>> = {
  g: { ...COMMON, btf_id: 'N' },
  nobtf: COMMON,
  noext: COMMON,
};

function masked(j: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, loaded_at: _at, bytes_jited: _jited, ...rest } = j;
  return { ...rest, ...(rest['btf_id'] !== undefined ? { btf_id: 'N' } : {}) };
}

/** `prog show -j` of the object loaded alone (legacy attach) by xdpts. */
function xdptsShow(c: string): Record<string, unknown> {
  const w = makeWorld();
  const file = `btf_cases_${c}.o`;
  const bytes = readFileSync(join(FIXTURES, file));
  const l = new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => (p === file ? bytes : undefined), dispatcher: false });
  const a = parseLoadArgs(['-m', 'skb', 'v1', file]);
  if (!a.ok) throw new Error(a.stderr.join('\n'));
  expect(l.load(a.value as LoadArgs).exit).toBe(0);
  const all = JSON.parse(progShow(w.mgr, [], true).stdout.join('\n')) as Record<string, unknown>[];
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe('prog show -j fields for BTF with and without func info', () => {
  it.each(CASES)('btf_cases_%s.o as real bpftool prints it', (c) => {
    expect(masked(xdptsShow(c))).toEqual(GOLDEN[c]);
  });

  describe.skipIf(!tools.kernel)(`live: bpftool prog show -j of the same objects${needs('kernel')}`, () => {
    it.each(CASES)('btf_cases_%s.o', (c) => {
      const pin = `/sys/fs/bpf/t5_btf_${c}_${process.pid}`;
      execFileSync(tools.bpftool!, ['prog', 'load', join(FIXTURES, `btf_cases_${c}.o`), pin, 'type', 'xdp']);
      try {
        const j = JSON.parse(execFileSync(tools.bpftool!, ['prog', 'show', 'pinned', pin, '-j'], { encoding: 'utf8' })) as Record<string, unknown>;
        expect(masked(j)).toEqual(GOLDEN[c]);
      } finally {
        execFileSync('rm', ['-f', pin]);
      }
    });
  });
});
