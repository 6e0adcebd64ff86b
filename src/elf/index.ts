/** Public surface of src/elf: the ELF64 model, reader and writer. */
export * from './types';
export { readElf, relocationWidth, ELF64_EHDR_SIZE, ELF64_SHDR_SIZE, ELF64_SYM_SIZE, ELF64_REL_SIZE, ELF64_RELA_SIZE } from './read';
export { writeElf } from './write';
