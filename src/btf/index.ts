/** Public surface of src/btf: BTF types, decode/encode, .BTF.ext, C layout, bpftool-style dump. */
export * from './types';
export * from './kinds';
export { decodeBtf, readBtfHeader, btfEndian, btfString, referencedTypes, type BtfSections } from './decode';
export { BtfBuilder, encodeBtf } from './encode';
export { decodeBtfExt } from './ext';
export { encodeBtfExt } from './ext-encode';
export * from './layout';
export { formatBtf, formatBtfType } from './format';
