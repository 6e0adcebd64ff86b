/**
 * Golden files of `xdpts gen`: the generated modules of each fixtures/gen/<case> must equal the
 * committed expected/ files byte for byte. A missing golden fails; it is written only with
 * XDPTS_UPDATE_GOLDEN=1 (STYLE.md habit 8). Also: output is deterministic across runs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED_HEADER } from '../../src/gen';
import { ROOT, generateCase, readCase } from './harness';

const UPDATE = process.env['XDPTS_UPDATE_GOLDEN'] === '1';

describe('gen golden files', () => {
  for (const name of ['counter', 'rich', 'xdp_drop', 'katran']) {
    it(`${name}: generated modules equal fixtures/gen/${name}/expected`, async () => {
      const files = await generateCase(readCase(name));
      expect(files.length, `${name} generates modules`).toBeGreaterThan(0);
      for (const f of files) {
        const golden = join(ROOT, 'fixtures/gen', name, 'expected', f.path);
        if (UPDATE) {
          mkdirSync(join(golden, '..'), { recursive: true });
          writeFileSync(golden, f.contents);
        }
        expect(existsSync(golden), `missing golden ${golden} (run with XDPTS_UPDATE_GOLDEN=1 to write it)`).toBe(true);
        expect(f.contents).toBe(readFileSync(golden, 'utf8'));
        expect(f.contents.split('\n')[0]).toBe(GENERATED_HEADER);
      }
      // Every committed golden is one this run compares (a stale one would never be checked).
      expect(readdirSync(join(ROOT, 'fixtures/gen', name, 'expected')).sort()).toEqual(files.map((f) => f.path).sort());
    });
  }

  it('is deterministic: two runs give identical bytes', async () => {
    const c = readCase('rich');
    const a = await generateCase(c);
    const b = await generateCase(c);
    expect(a.map((f) => [f.path, f.contents])).toEqual(b.map((f) => [f.path, f.contents]));
    expect(a.map((f) => f.path)).toEqual(['rich_bpfel.ts', 'rich_bpfeb.ts']);
  });

  it('names programs and maps in camelCase, keeping C spelling on a collision', async () => {
    const [counter] = await generateCase(readCase('counter'));
    expect(counter!.module.maps.map((m) => [m.name, m.tsName, m.key, m.value])).toEqual([['pkt_count', 'pktCount', 'number', 'bigint']]);
    expect(counter!.module.programs).toEqual([{ name: 'count_packets', tsName: 'countPackets' }]);
    const [rich] = await generateCase(readCase('rich'));
    expect(rich!.module.programs.map((p) => p.tsName)).toEqual(['xdp_rich', 'xdp_Rich']);
    expect(rich!.module.warnings.some((w) => w.includes("collide as 'xdpRich'"))).toBe(true);
    expect(rich!.module.maps.find((m) => m.name === 'per_cpu_eps')).toMatchObject({ tsName: 'perCpuEps', perCpu: true, value: 'RichEndpointT[]' });
    expect(rich!.module.maps.find((m) => m.name === 'raw_bytes')).toMatchObject({ key: 'Uint8Array', value: 'Uint8Array' });
    expect(rich!.module.types).toContain('RichCounterT');
  });
});
