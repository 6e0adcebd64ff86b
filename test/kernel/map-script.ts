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
  let creating = false;
  const run = (f: () => Uint8Array | void): void => {
    if (map === undefined && !creating) {
      out.push('ERR 9'); // the driver's fd is -1 after a failed create: EBADF
      return;
    }
    try {
      const r = f();
      out.push(r ? `OK ${toHex(r)}` : 'OK');
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
      case 'update':
        run(() => map!.update(hexOrUndef(a), hexOrUndef(b) ?? new Uint8Array(0), Number(c)));
        break;
      case 'lookup':
        run(() => pad(map!.lookup(hexOrUndef(a)), Number(b)));
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
