/**
 * Generated bindings against the REAL runtime (not the generator's test shim): the checked-in
 * examples/counter/counter.ts is what `xdpts gen counter programs/counter.o` writes today, and
 * an application using it — bundled with esbuild as ESM and as CommonJS, `xdpts` resolved to
 * src/index.ts, run by node with its own XDPTS_STATE_DIR — loads the object into the emulated
 * kernel, runs it, attaches it, reads the typed counter and closes everything with `using`.
 */
import { readFileSync, rmSync, writeFileSync, mkdtempSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { generateBindings } from '../../src/gen';
import { loadObject, writeElf } from '../../src/object';
import { ROOT, freshStateDir, runBundledApp } from './helpers';

const APP = `import { attachXDP } from 'xdpts';
import { loadCounterObjects } from './counter';

const out: unknown[] = [];
const frame = new Uint8Array(64);
frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x00]);
{
  using objs = loadCounterObjects();
  const r = objs.programs.countPackets.testRun({ data: frame, repeat: 4 });
  out.push(r.retval, String(objs.maps.pktCount.lookup(0)));
  objs.maps.pktCount.update(0, 100n, 'exist');
  {
    using link = attachXDP({ program: objs.programs.countPackets, interface: 'eth0', mode: 'skb' });
    out.push(link.info().interface, link.info().mode);
  }
  out.push(String(objs.maps.pktCount.lookup(0)));
  try {
    objs.maps.pktCount.delete(0);
  } catch (e) {
    out.push((e as { name: string; code: string }).name, (e as { code: string }).code);
  }
}
console.log(JSON.stringify(out));
`;

let dir = '';
let state: { dir: string; remove: () => void };
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'xdptsK_gen-'));
  state = freshStateDir();
  copyFileSync(join(ROOT, 'examples/counter/counter.ts'), join(dir, 'counter.ts'));
  writeFileSync(join(dir, 'app.ts'), APP);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  state.remove();
});

describe('generated counter bindings on the real runtime', () => {
  it('examples/counter/counter.ts is what xdpts gen writes for programs/counter.asm', () => {
    const r = assemble(readFileSync(join(ROOT, 'programs/counter.asm'), 'utf8'), { file: 'programs/counter.asm' });
    if (r.kind !== 'elf') throw new Error('expected an object');
    const bytes = writeElf(r.elf);
    const [file] = generateBindings([{ spec: loadObject(bytes, 'counter.o'), bytes, objectName: 'counter.o' }], {
      ident: 'counter',
      command: 'xdpts gen counter programs/counter.o',
    });
    expect(file!.path).toBe('counter.ts');
    expect(readFileSync(join(ROOT, 'examples/counter/counter.ts'), 'utf8')).toBe(file!.contents);
  });

  it('a process that exits without closing releases everything, as the kernel closes its fds', async () => {
    writeFileSync(
      join(dir, 'leaky.ts'),
      `import { attachXDP } from 'xdpts';\nimport { loadCounterObjects } from './counter';\nconst objs = loadCounterObjects();\nattachXDP({ program: objs.programs.countPackets, interface: 'eth0' });\nconsole.log('attached');\n`,
    );
    const r = await runBundledApp(join(dir, 'leaky.ts'), join(dir, 'leaky.mjs'), 'esm', state.dir);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('attached\n');
    const snap = JSON.parse(readFileSync(join(state.dir, 'state.json'), 'utf8')) as { kernel: { core: { maps: unknown[]; programs: unknown[] }; xdp: { attachments: unknown[] } } };
    expect(snap.kernel.xdp.attachments).toEqual([]);
    expect(snap.kernel.core.programs).toEqual([]);
    expect(snap.kernel.core.maps).toEqual([]);
  });

  for (const format of ['esm', 'cjs'] as const) {
    it(`runs as ${format === 'esm' ? 'an ES module' : 'CommonJS'}: load, testRun, attach, typed lookup, errno, using`, async () => {
      const r = await runBundledApp(join(dir, 'app.ts'), join(dir, `app.${format === 'esm' ? 'mjs' : 'cjs'}`), format, state.dir);
      expect(r.stderr).toBe('');
      // count_packets ran 4 times (retval XDP_PASS); the attachment was made in skb mode on eth0.
      expect(JSON.parse(r.stdout)).toEqual([2, '4', 'eth0', 'skb', '100', 'MapError', 'EINVAL']);
      // `using` closed the link, the programs and the maps: the shared state holds nothing.
      const snap = JSON.parse(readFileSync(join(state.dir, 'state.json'), 'utf8')) as { kernel: { core: { maps: unknown[]; programs: unknown[] }; xdp: { attachments: unknown[] } } };
      expect(snap.kernel.core.maps).toEqual([]);
      expect(snap.kernel.core.programs).toEqual([]);
      expect(snap.kernel.xdp.attachments).toEqual([]);
    });
  }
});
