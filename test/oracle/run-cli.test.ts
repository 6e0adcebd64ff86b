/**
 * `xdpts run --pcap --json` against the kernel: the same capture through the CLI and, packet
 * by packet, through `bpftool prog run` on the same object; verdicts, packets out and the final
 * maps must be equal.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writePcap } from '../../src/pcap';
import { toHex } from '../../src/util/hex';
import { needs, tools } from '../helpers/tools';
import { PACKETS } from './run-packets';
import { kernelLoadAll, kernelMapDump, kernelTestRun, kernelUnloadAll } from './run-kernel';

const ROOT = join(__dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'xdptsI-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!tools.kernel)(`xdpts run --pcap equals bpftool prog run${needs('kernel')}`, () => {
  for (const [file, engine] of [['fixtures/oracle/parser.o', 'jit'], ['fixtures/c/counter.o', 'interp']] as const) {
    it(`${file} (${engine})`, () => {
      const inF = join(tmp, 'in.pcap');
      writeFileSync(inF, writePcap(PACKETS.map((p, i) => ({ timeUs: i, data: p.bytes }))));
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/xdpts'), 'run', file, '--pcap', inF, '--engine', engine, '--json'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as { results: { r0: string; packet: string }[]; maps: Record<string, { key: string; value: string }[]> };
      const ko = kernelLoadAll(join(ROOT, file));
      expect(ko.error).toBeUndefined();
      try {
        const name = file.includes('parser') ? 'xdp_parser' : 'count_packets';
        PACKETS.forEach((p, i) => {
          const k = kernelTestRun(ko, name, p.bytes);
          expect({ r0: got.results[i]!.r0, packet: got.results[i]!.packet }, p.name).toEqual({ r0: `0x${k.retval!.toString(16)}`, packet: toHex(k.dataOut!) });
        });
        const want = kernelMapDump(ko);
        const mine = Object.fromEntries(Object.entries(got.maps).map(([n, rows]) => [n.replace(/\./g, '_'), rows.map(({ key, value }) => ({ key, value })).sort((a, b) => (a.key < b.key ? -1 : 1))]));
        expect(mine).toEqual(want);
      } finally {
        kernelUnloadAll(ko);
      }
    });
  }
});
