/** Public surface of src/pcap: classic pcap read and write. */
export * from './pcap';
export { readPcapng, readCapture } from './pcapng';
