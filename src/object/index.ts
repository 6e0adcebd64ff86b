/**
 * Public surface of src/object: the ObjectSpec model, `loadObject`, the concise map builder,
 * libbpf's section table — and, re-exported for src/asm (which may not import src/elf), the
 * ELF model with `readElf` and `writeElf`.
 */
export * from './types';
export { loadObject, objectFromElf, objectNameOf } from './load';
export { buildMapsSection, cIntTypeSize, KNOWN_INT_TYPES, type MapDeclaration, type MapsSection } from './maps-builder';
export { buildObjectBtf, type FuncDeclaration, type LineDeclaration, type ObjectBtfInput } from './btf-writer';
export { SECTION_DEFS, sectionDef, sectionMatches, BPF_ATTACH, BPF_F_XDP_HAS_FRAGS, type SectionDef } from './sections';
export { collectMaps, internalMapName, globalDataKind, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_F_MMAPABLE, type MapLocation } from './maps';
export * from '../elf/types';
export { readElf, writeElf, relocationWidth } from '../elf/index';
export { applyCoreRelos, essentialNameLen, BPF_CORE, CORE_POISON_IMM, type CoreTarget } from './core-relo';
export { kernelBtf, KERNEL_BTF_VMLINUX_IDS } from './kernel-btf';
export { rewriteConstants, parseConstant, parseAssignments, type ConstantValue } from './constants';
