/** Public surface of src/net: the emulated network (namespaces, veths, the IPv4 and IPv6 stacks, ping, iproute2 views). */
export * from './addr';
export * from './packet';
export * from './types';
export { NetError } from './errors';
export * from './model';
export * from './routes';
export { upstreamReply } from './upstream';
export * from './neigh';
export { Network, type FrameEvent, type VerdictEvent, type PingDelivery, type NetworkOptions, type OutputResult } from './engine';
export { runPing, type PingOptions, type PingResult, type PingReply } from './ping';
export * from './format';
export { netStateProblem } from './state-check';
export * from './packet6';
export * from './addr6';
export { output6, type Output6 } from './stack6';
export { icmp6ErrorText } from './ping6';
export * from './format6';
