/** Shared steps of the library API tests: a fresh state directory and fixture objects. */
import { build } from 'esbuild';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

/** The bytes of fixtures/c/<name>.o (compiled by clang-19 from the C beside it). */
export function fixtureObject(name: string, eb = false): Uint8Array {
  return new Uint8Array(readFileSync(join(ROOT, 'fixtures/c', `${name}${eb ? '.eb' : ''}.o`)));
}

/** A fresh state directory, removed by the returned function. */
export function freshStateDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'xdptsK_state-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A minimal Ethernet + IPv4 + UDP frame of `len` bytes (zero padding after the headers). */
export function udpFrame(len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, len - 14, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 2, 2, 10, 0, 2, 15], 14);
  return f;
}

/** The u32/u64 codecs generated bindings use, little-endian. */
export const u32 = {
  size: 4,
  align: 4,
  encode: (v: number) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    return b;
  },
  decode: (b: Uint8Array) => {
    if (b.length !== 4) throw new RangeError('u32');
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  },
};
export const u64 = {
  size: 8,
  align: 8,
  encode: (v: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    return b;
  },
  decode: (b: Uint8Array) => {
    if (b.length !== 8) throw new RangeError('u64');
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  },
};

/**
 * Bundles an application (`xdpts` resolved to src/index.ts) with esbuild as ESM or CommonJS and
 * runs it with node on its own state directory, as a user's program would run.
 */
export async function runBundledApp(entry: string, outfile: string, format: 'esm' | 'cjs', stateDir: string): Promise<SpawnSyncReturns<string>> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format,
    platform: 'node',
    target: 'node20',
    alias: { xdpts: join(ROOT, 'src/index.ts') },
    logLevel: 'silent',
    ...(format === 'esm' ? { banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } } : {}),
  });
  return spawnSync(process.execPath, [outfile], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, XDPTS_REALTIME: '0', XDPTS_STATE_DIR: stateDir } });
}
