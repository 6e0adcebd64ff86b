/**
 * The perf event helpers of an XDP program: bpf_perf_event_output (net/core/filter.c
 * `bpf_xdp_event_output` → kernel/trace/bpf_trace.c `__bpf_perf_event_output`) and
 * bpf_perf_event_read / _read_value (`get_map_perf_counter`). The flags word holds the slot in
 * its low 32 bits (BPF_F_CURRENT_CPU = the run's CPU) and, for output, the number of packet
 * bytes to append to the sample in bits 32..51 (BPF_F_CTX_LEN_MASK).
 */
import type { HelperCall } from '../../vm';
import { E2BIG, EFAULT, EINVAL, ENOENT, EOPNOTSUPP } from '../errno';
import { PerfEventArrayMap, type PerfBuffer } from '../maps/perf-event-array';
import { mapArg, memArg, type HelperContext } from './context';

/** `BPF_F_INDEX_MASK` / `BPF_F_CURRENT_CPU` (include/uapi/linux/bpf.h): the low 32 bits. */
const BPF_F_CURRENT_CPU = 0xffffffff;
/** `BPF_F_CTX_LEN_MASK` >> 32: bits 32..51. */
const CTX_LEN_MASK_HI = 0xfffff;
/** `sizeof(struct bpf_perf_event_value)`: counter, enabled, running. */
const PERF_EVENT_VALUE_SIZE = 24;

/** The buffer a flags word selects (`__bpf_perf_event_output`'s checks), or -errno. */
function selectBuffer(k: HelperContext, c: HelperCall, mapN: number, flagsLo: number): PerfBuffer | number {
  const map = mapArg(k, c, mapN);
  if (!(map instanceof PerfEventArrayMap)) c.fault(`r${mapN} is not a perf event array`);
  const index = flagsLo >>> 0 === BPF_F_CURRENT_CPU ? k.cpu : flagsLo >>> 0;
  if (index >= map.maxEntries) return -E2BIG;
  return map.bufferAt(index) ?? -ENOENT;
}

/** bpf_perf_event_output(ctx, map, flags, data, size) for XDP. */
export function perfEventOutput(k: HelperContext) {
  return (c: HelperCall): void => {
    const lo = c.args[4]! >>> 0;
    const hi = c.args[5]! >>> 0;
    if (hi & ~CTX_LEN_MASK_HI) return c.ret(-EINVAL);
    const x = c.mem.xdp;
    if (!x) c.fault('bpf_perf_event_output called outside an XDP run');
    const ctxLen = hi;
    if (ctxLen > x.dataEnd - x.data) return c.ret(-EFAULT);
    const b = selectBuffer(k, c, 2, lo);
    if (typeof b === 'number') return c.ret(b);
    // The event was opened on one CPU and only receives samples from it.
    if (b.cpu !== k.cpu) return c.ret(-EOPNOTSUPP);
    const size = c.u32(5);
    const meta = size ? memArg(c, 4, size) : new Uint8Array(0);
    const sample = new Uint8Array(size + ctxLen);
    sample.set(meta);
    sample.set(x.frame.subarray(x.data, x.data + ctxLen), size);
    c.ret(b.output(sample, k.clock.monotonicNs()));
  };
}

/**
 * bpf_perf_event_read(map, flags): the counter of the event in the slot. The events a reader
 * opens are bpf-output software events, which count nothing: 0; an event on another CPU is
 * -EINVAL. Errors come back as the (negative) value, as in the kernel.
 */
export function perfEventRead(k: HelperContext) {
  return (c: HelperCall): void => {
    if (c.args[3] !== 0) return c.ret(-EINVAL);
    const b = selectBuffer(k, c, 1, c.args[2]!);
    if (typeof b === 'number') return c.ret(b);
    c.ret(b.cpu === k.cpu ? 0 : -EINVAL);
  };
}

/** bpf_perf_event_read_value(map, flags, buf, size): {counter, enabled, running}, zeroed on error. */
export function perfEventReadValue(k: HelperContext) {
  return (c: HelperCall): void => {
    const size = c.u32(4);
    const out = new Uint8Array(size);
    let err = 0;
    if (size !== PERF_EVENT_VALUE_SIZE || c.args[3] !== 0) err = -EINVAL;
    else {
      const b = selectBuffer(k, c, 1, c.args[2]!);
      if (typeof b === 'number') err = b;
      else if (b.cpu !== k.cpu) err = -EINVAL;
    }
    c.mem.write(c.args[4]!, c.args[5]!, out);
    c.ret(err);
  };
}
