/**
 * A tiny command language for map scenarios, run both on the emulated kernel (here) and on the
 * real one (fixtures/kernel/map-driver.c), so the differential test compares line by line.
 */
import { fromHex, toHex } from '../../src/util/hex';
import { MapError } from '../../src/util/errors';
import { createMap, type BpfMap, type MapEnv } from '../../src/kernel/maps';
import { errnoName } from '../../src/kernel/errno';

const ERRNO: Record<string, number> = {
  EPERM: 1, ENOENT: 2, E2BIG: 7, EBADF: 9, ENOMEM: 12, EBUSY: 16, EEXIST: 17, ENODEV: 19, EINVAL: 22,
  ENOSPC: 28, EOVERFLOW: 75, ENOTSOCK: 88, EOPNOTSUPP: 95, ENOTSUPP: 524,
};

function hexOrUndef(h: string): Uint8Array | undefined {
  return h === '-' ? undefined : fromHex(h);
}

/** Runs a script on emulated maps; returns the output lines the C driver would print. */
export function runScript(script: string, env: MapEnv): string[] {
  const out = [`ncpus ${env.ncpus}`];
  let map: BpfMap | undefined;
  // The extra maps (`inner`) a map-in-map refers to as @0, @1... (ids 100, 101...).
  const extra: BpfMap[] = [];
  const menv: MapEnv = { ...env, map: (id) => extra.find((m) => m.id === id) };
  const value = (h: string): Uint8Array | undefined => {
    if (!h.startsWith('@')) return hexOrUndef(h);
    const v = new Uint8Array(4);
    new DataView(v.buffer).setInt32(0, extra[Number(h.slice(1))]?.id ?? -1, true);
    return v;
  };
  // A map-in-map lookup reads back an inner map id: shown as @n, as the driver shows it.
  const named = (v: Uint8Array): Uint8Array | string => {
    if (!map?.innerMeta || v.length !== 4) return v;
    const k = extra.findIndex((m) => m.id === new DataView(v.buffer, v.byteOffset).getUint32(0, true));
    return k < 0 ? v : `@${k}`;
  };
  let creating = false;
  const run = (f: () => Uint8Array | string | void): void => {
    if (map === undefined && !creating) {
      out.push('ERR 9'); // the driver's fd is -1 after a failed create: EBADF
      return;
    }
    try {
      const r = f();
      out.push(typeof r === 'string' ? `OK ${r}` : r ? `OK ${toHex(r)}` : 'OK');
    } catch (e) {
      if (!(e instanceof MapError)) throw e;
      const n = ERRNO[e.errno];
      if (n === undefined) throw new Error(`unknown errno ${e.errno}`);
      out.push(`ERR ${n}`);
    }
  };
  for (const line of script.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) {
    const [op, a = '', b = '', c = ''] = line.split(/\s+/);
    switch (op) {
      case 'create': {
        const [type, ks, vs, me, flags] = line.split(/\s+/).slice(1).map(Number);
        map = undefined;
        creating = true;
        run(() => {
          map = createMap(1, { type: type!, keySize: ks!, valueSize: vs!, maxEntries: me!, flags: flags!, name: 'xdptsE_drv' }, env);
        });
        break;
      }
      case 'inner':
      case 'createin': {
        const [type, ks, vs, me, flags, n] = line.split(/\s+/).slice(1).map(Number);
        const attr = { type: type!, keySize: ks!, valueSize: vs!, maxEntries: me!, flags: flags! };
        if (op === 'inner') {
          const saved = map;
          creating = true;
          run(() => void extra.push(createMap(100 + extra.length, { ...attr, name: 'xdptsE_in' }, menv)));
          map = saved;
          break;
        }
        map = undefined;
        creating = true;
        run(() => {
          map = createMap(1, { ...attr, name: 'xdptsE_drv', innerMapId: extra[n!]?.id ?? -1 }, menv);
        });
        break;
      }
      case 'update':
        run(() => map!.update(hexOrUndef(a), value(b) ?? new Uint8Array(0), Number(c)));
        break;
      case 'lookup':
        run(() => named(pad(map!.lookup(hexOrUndef(a)), Number(b))));
        break;
      case 'lookupdel':
        run(() => pad(map!.lookupAndDelete(hexOrUndef(a)), Number(b)));
        break;
      case 'delete':
        run(() => map!.delete(hexOrUndef(a)));
        break;
      case 'next':
        run(() => map!.nextKey(hexOrUndef(a)));
        break;
      case 'freeze':
        run(() => map!.freeze());
        break;
      default:
        throw new Error(`bad script line ${line}`);
    }
  }
  return out;
}

function pad(v: Uint8Array, n: number): Uint8Array {
  const o = new Uint8Array(n);
  o.set(v.subarray(0, n));
  return o;
}

/** errno number → name, for readable failures. */
export function describe(line: string): string {
  const m = /^ERR (\d+)$/.exec(line);
  return m ? `ERR ${errnoName(Number(m[1]))}` : line;
}
