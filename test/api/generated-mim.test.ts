/**
 * Generated bindings of a map-in-map object on the REAL runtime: fixtures/gen/katran/expected/
 * katran.ts (what `xdpts gen katran fixtures/real/katran_vip/prog.o` writes, checked by the gen
 * golden test) types the HASH_OF_MAPS value as the inner map's id. An application fills the
 * backends and puts an inner map into the VIP table by its handle's id, as a Katran control
 * plane does, then runs the balancer: the packet goes back out (XDP_TX) to the backend, the
 * lookup reads the inner map's id back, and a map of another shape is refused with EINVAL.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, freshStateDir, runBundledApp } from './helpers';

const APP = `import { loadKatranObjects } from './katran';

const out: unknown[] = [];
// 10.0.0.1:40000 -> 10.0.0.2:53 over UDP (the source hashes to backend slot 1).
const frame = new Uint8Array([
  2, 0, 0, 0, 0, 11, 2, 0, 0, 0, 0, 10, 0x08, 0x00,
  0x45, 0, 0, 32, 0x12, 0x34, 0x40, 0, 64, 17, 0x14, 0x97, 10, 0, 0, 1, 10, 0, 0, 2,
  0x9c, 0x40, 0, 53, 0, 12, 0, 0, 1, 2, 3, 4,
]);
{
  using objs = loadKatranObjects();
  const { reals, backendsDns, vipMap, lbStats } = objs.maps;
  // Keys and values in memory order: the address and port are in network byte order.
  const vip = { addr: 0x0200000a, port: 0x3500, proto: 17, pad: 0 };
  reals.update(1, { addr: 0x0b01000a, weight: 0 });
  backendsDns.update(1, 1);
  vipMap.update(vip, backendsDns.id);
  const r = objs.programs.balance.testRun({ data: frame });
  out.push(r.retval, Array.from(r.data.subarray(30, 34)), vipMap.lookup(vip) === backendsDns.id, String(lbStats.lookup(2)), reals.lookup(1)?.weight);
  try {
    vipMap.update({ ...vip, port: 0x5000 }, reals.id);
  } catch (e) {
    out.push((e as { code: string }).code);
  }
}
console.log(JSON.stringify(out));
`;

let dir = '';
let state: { dir: string; remove: () => void };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xdptsK_mim-'));
  state = freshStateDir();
  copyFileSync(join(ROOT, 'fixtures/gen/katran/expected/katran.ts'), join(dir, 'katran.ts'));
  writeFileSync(join(dir, 'app.ts'), APP);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  state.remove();
});

describe('generated map-in-map bindings on the real runtime', () => {
  it('put an inner map into the outer map by id, run through it, read the id back', async () => {
    const r = await runBundledApp(join(dir, 'app.ts'), join(dir, 'app.mjs'), 'esm', state.dir);
    expect(r.stderr).toBe('');
    // XDP_TX, the destination rewritten to the backend 10.0.1.11, the id read back, one TX
    // counted, the backend's weight bumped; a map of another shape: EINVAL.
    expect(JSON.parse(r.stdout)).toEqual([3, [10, 0, 1, 11], true, '1', 1, 'EINVAL']);
  });

  it('a process that exits without closing frees the outer map and then its inner maps', async () => {
    writeFileSync(join(dir, 'leaky.ts'), `import { loadKatranObjects } from './katran';\nconst o = loadKatranObjects();\no.maps.vipMap.update({ addr: 1, port: 2, proto: 17, pad: 0 }, o.maps.backendsWeb.id);\nconsole.log('loaded');\n`);
    const r = await runBundledApp(join(dir, 'leaky.ts'), join(dir, 'leaky.mjs'), 'esm', state.dir);
    expect([r.stderr, r.stdout]).toEqual(['', 'loaded\n']);
    const snap = JSON.parse(readFileSync(join(state.dir, 'state.json'), 'utf8')) as { kernel: { core: { maps: unknown[]; programs: unknown[] } } };
    expect(snap.kernel.core.programs).toEqual([]);
    expect(snap.kernel.core.maps).toEqual([]);
  });
});
