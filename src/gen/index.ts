/** Public surface of src/gen: the bindings generator (`xdpts gen`, the bpf2go role). */
export { generateBindings, type GenTarget, type GenerateOptions, type GeneratedFile } from './generate';
export { generateModule, GENERATED_HEADER, type ModuleOptions, type ModuleResult } from './module';
export { camelName, pascalName, stemName, validateIdent, assignMemberNames, isSafeIdentifier, RESERVED_WORDS } from './names';
export { TypeEmitter } from './ts-types';
export type * from './runtime-contract';
export { BPF_ANY, BPF_NOEXIST, BPF_EXIST } from './runtime-contract';
