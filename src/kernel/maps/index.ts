/** Public surface of src/kernel/maps: the emulated BPF map types. */
export * from './flags';
export {
  BpfMap, roundUp8, type BytesOrErrno, type InnerMapMeta, type MapAttr, type MapElem, type MapEnv, type MapSnapshot, type ProgInfo,
} from './map';
export { ArrayMap, PercpuArrayMap } from './array';
export { HashMap, type HashKind } from './hash';
export type { LruSnapshot } from './lru';
export { LpmTrieMap } from './lpm-trie';
export { ProgArrayMap } from './prog-array';
export { ArrayOfMaps, HashOfMaps, asMapOfMaps, isMapInMapType, metaEqual, type MapOfMaps } from './map-of-maps';
export { PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PerfBuffer, PerfEventArrayMap, type PerfRecord } from './perf-event-array';
export { BPF_XDP_CPUMAP, BPF_XDP_DEVMAP, DevMap, DevMapHash, type DevTarget } from './devmap';
export { CpuMap } from './cpumap';
export { XskMap } from './xskmap';
export {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, RingBufMap,
} from './ringbuf';
export { QueueStackMap } from './queue-stack';
export { BloomFilterMap, bloomBitsetMask } from './bloom-filter';
export { EMU_MAX_RINGBUF, EMULATED_MAP_TYPES, checkMapAttr, createMap, mapFromSnapshot, validMapName } from './create';
export { MapTable, type MapTableSnapshot } from './table';
