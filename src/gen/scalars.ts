/**
 * Scalar BTF types as TypeScript: the TS type and the DataView read/write code of ints, bools,
 * enums, floats and pointers, in the module's byte order (`LE`). bpfel/bpfeb differ only in that
 * constant, so one shape serves both targets.
 */
import type { BtfType } from '../btf';
import type { HelperName } from './ts-types';

/** A scalar's TS type and the code reading it at an offset expression / writing `x` there. */
export interface Scalar {
  ts: string;
  read: (off: string) => string;
  write: (off: string, x: string) => string;
}

/** The shape of a resolved scalar type (enums typed as `tsOverride`), or null when not a scalar. */
export function scalarShape(t: BtfType, helpers: Set<HelperName>, tsOverride?: string): Scalar | null {
  switch (t.kind) {
    case 'int': {
      const signed = (t.encoding & 1) !== 0;
      if ((t.encoding & 4) !== 0 && t.size === 1) {
        return { ts: 'boolean', read: (o) => `v.getUint8(${o}) !== 0`, write: (o, x) => `v.setUint8(${o}, ${x} ? 1 : 0);` };
      }
      return intShape(t.size, signed, helpers, tsOverride);
    }
    case 'enum':
    case 'enum64': {
      const s = intShape(t.size, t.signed, helpers, tsOverride);
      return s;
    }
    case 'float':
      if (t.size === 4) return { ts: 'number', read: (o) => `v.getFloat32(${o}, LE)`, write: (o, x) => `v.setFloat32(${o}, ${x}, LE);` };
      if (t.size === 8) return { ts: 'number', read: (o) => `v.getFloat64(${o}, LE)`, write: (o, x) => `v.setFloat64(${o}, ${x}, LE);` };
      return null;
    case 'ptr':
      return { ts: 'bigint', read: (o) => `v.getBigUint64(${o}, LE)`, write: (o, x) => `v.setBigUint64(${o}, ${x}, LE);` };
    default:
      return null;
  }
}

/** The shape of a C integer of `size` bytes (1/2/4 → number, 8/16 → bigint). */
function intShape(size: number, signed: boolean, helpers: Set<HelperName>, tsOverride?: string): Scalar | null {
  const cast = (e: string): string => (tsOverride ? `${e} as ${tsOverride}` : e);
  const S = signed ? 'Int' : 'Uint';
  switch (size) {
    case 1:
      return { ts: tsOverride ?? 'number', read: (o) => cast(`v.get${S}8(${o})`), write: (o, x) => `v.set${S}8(${o}, ${x});` };
    case 2:
    case 4:
      return { ts: tsOverride ?? 'number', read: (o) => cast(`v.get${S}${size * 8}(${o}, LE)`), write: (o, x) => `v.set${S}${size * 8}(${o}, ${x}, LE);` };
    case 8:
      return { ts: tsOverride ?? 'bigint', read: (o) => cast(`v.getBig${S}64(${o}, LE)`), write: (o, x) => `v.setBig${S}64(${o}, ${x}, LE);` };
    case 16:
      helpers.add('getInt128');
      helpers.add('setInt128');
      return { ts: tsOverride ?? 'bigint', read: (o) => cast(`getInt128(v, ${o}, ${signed})`), write: (o, x) => `setInt128(v, ${o}, ${x});` };
    default:
      return null;
  }
}
