/** Public surface of src/kernel/helpers: the BPF helper implementations of the emulated kernel. */
export * from './context';
export * from './clock';
export * from './prandom';
export * from './trace';
export * from './bprintf';
export * from './fib';
export * from './redirect';
export * from './misc-helpers';
export * from './xdp-helpers';
export * from './map-helpers';
export * from './ringbuf-helpers';
export * from './trace-printk';
export * from './kernel-helpers';
export * from './perf-helpers';
export { ConntrackTable } from './conntrack';
