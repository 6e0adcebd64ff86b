import { beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { acquireLock, STATE_VERSION, StateError, StateStore } from '../../src/state/index';

const tmp = (): string => mkdtempSync(join(tmpdir(), 'xdpts-state-'));

describe('StateStore', () => {
  it('starts empty, persists a snapshot, and writes atomically (no temporary file left)', async () => {
    const dir = tmp();
    const store = new StateStore(dir);
    expect(store.read()).toEqual({ version: STATE_VERSION, kernel: null, net: null });
    await store.withState((s) => {
      s.kernel = { maps: [1, 2, 3] };
      s.net = { hello: 'world' };
    });
    expect(new StateStore(dir).read()).toEqual({ version: STATE_VERSION, kernel: { maps: [1, 2, 3] }, net: { hello: 'world' } });
    expect(readdirSync(dir).sort()).toEqual(['state.json']);
  });

  it('does not write back a readonly transaction', async () => {
    const store = new StateStore(tmp());
    await store.withState((s) => {
      s.net = 1;
    }, { readonly: true });
    expect(existsSync(store.file)).toBe(false);
  });

  it('names the file and suggests `xdpts reset` for corrupt JSON', () => {
    const store = new StateStore(tmp());
    writeFileSync(store.file, '{"version":1, "net": ');
    expect(() => store.read()).toThrow(StateError);
    expect(() => store.read()).toThrow(new RegExp(`${store.file.replace(/[/.]/g, '\\$&')} is corrupt .*xdpts reset`));
    store.reset();
    expect(store.read().net).toBe(null);
  });

  it('refuses a newer version with a clear message', () => {
    const store = new StateStore(tmp());
    writeFileSync(store.file, JSON.stringify({ version: STATE_VERSION + 1, kernel: null, net: null }));
    try {
      store.read();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(StateError);
      expect((e as StateError).code).toBe('EVERSION');
      expect((e as Error).message).toContain('newer xdpts');
      expect((e as Error).message).toContain('xdpts reset');
    }
    writeFileSync(store.file, '[1,2]');
    expect(() => store.read()).toThrow(/not a JSON object/);
  });

  it('breaks a stale lock left by a dead process', () => {
    const dir = tmp();
    const store = new StateStore(dir);
    // A pid that cannot be alive (above pid_max on Linux).
    writeFileSync(store.lockFile, `4194305 ${hostname()} 0\n`);
    const lock = acquireLock(store.lockFile, { timeoutMs: 1000 });
    expect(readFileSync(store.lockFile, 'utf8').startsWith(`${process.pid} `)).toBe(true);
    lock.release();
    expect(existsSync(store.lockFile)).toBe(false);
  });

  it('times out on a lock held by a live process', () => {
    const store = new StateStore(tmp());
    const held = acquireLock(store.lockFile);
    expect(() => acquireLock(store.lockFile, { timeoutMs: 50 })).toThrow(/locked by another xdpts command/);
    held.release();
  });

  describe('16 parallel processes', () => {
    let script = '';
    beforeAll(async () => {
      const dir = tmp();
      const entry = join(dir, 'incr.ts');
      writeFileSync(
        entry,
        `import { StateStore } from ${JSON.stringify(join(__dirname, '../../src/state/index'))};
const store = new StateStore(process.argv[2]);
const n = Number(process.argv[3]);
for (let i = 0; i < n; i++) {
  await store.withState(async (s) => {
    const k = (s.kernel ?? { counter: 0 }) as { counter: number };
    const v = k.counter;
    await new Promise((r) => setTimeout(r, Math.random() * 2));
    s.kernel = { counter: v + 1 };
  });
}
`,
      );
      script = join(dir, 'incr.mjs');
      await build({ entryPoints: [entry], outfile: script, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent' });
    });

    it('lose no increment', async () => {
      const dir = tmp();
      const per = 10;
      const runs = Array.from({ length: 16 }, () =>
        new Promise<number>((resolve) => {
          const c = spawn(process.execPath, [script, dir, String(per)], { stdio: 'inherit' });
          c.on('exit', (code) => resolve(code ?? -1));
        }),
      );
      expect(await Promise.all(runs)).toEqual(Array(16).fill(0));
      expect((new StateStore(dir).read().kernel as { counter: number }).counter).toBe(16 * per);
    });
  });
});
