/** Public surface of src/isa: the one instruction table every other part reads. */
export * from './opcodes';
export * from './instruction';
export * from './helpers';
export * from './helper-protos';
export * from './kfuncs';
