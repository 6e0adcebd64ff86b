/** Public surface of src/kernel/xdp: the XDP hook, attach points and libxdp's dispatcher. */
export * from './actions';
export * from './dispatcher';
export * from './errors';
export * from './hook';
export * from './manager';
export * from './run-config';
export * from './state';
export * from './topology';
