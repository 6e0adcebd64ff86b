/** Public surface of src/util. */
export * from './errors';
export * from './bytes';
export * from './hex';
export * from './shape';
export * from './env';
