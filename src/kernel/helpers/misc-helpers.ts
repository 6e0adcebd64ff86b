/**
 * Small helpers: time (bpf_ktime_get_ns, _boot_ns, _tai_ns, bpf_jiffies64), randomness
 * (bpf_get_prandom_u32), CPU and NUMA ids, bpf_csum_diff (net/core/filter.c) and bpf_loop
 * (kernel/bpf/bpf_iter.c).
 */
import { BPF_MAX_LOOPS, type HelperCall } from '../../vm';
import { E2BIG, EINVAL } from '../errno';
import { jiffiesAt } from './clock';
import { flagsArg, ptrArg, type HelperContext } from './context';

/** bpf_ktime_get_ns: CLOCK_MONOTONIC in ns. */
export const ktimeGetNs = (k: HelperContext) => (c: HelperCall): void => c.retBig(k.clock.monotonicNs());
/** bpf_ktime_get_boot_ns: CLOCK_BOOTTIME in ns. */
export const ktimeGetBootNs = (k: HelperContext) => (c: HelperCall): void => c.retBig(k.clock.bootNs());
/** bpf_ktime_get_tai_ns: CLOCK_TAI in ns. */
export const ktimeGetTaiNs = (k: HelperContext) => (c: HelperCall): void => c.retBig(k.clock.taiNs());
/** bpf_jiffies64: jiffies at HZ = 250. */
export const jiffies64 = (k: HelperContext) => (c: HelperCall): void => c.retBig(jiffiesAt(k.clock.bootNs()));
/** bpf_get_prandom_u32: the next value of the kernel's seeded generator. */
export const getPrandomU32 = (k: HelperContext) => (c: HelperCall): void => c.ret(k.random.next());
/** bpf_get_smp_processor_id: the CPU of the run. */
export const getSmpProcessorId = (k: HelperContext) => (c: HelperCall): void => c.ret(k.cpu);
/**
 * bpf_get_current_pid_tgid: `tgid << 32 | pid` of the task the run is attributed to
 * (kernel/bpf/helpers.c); the emulated tasks are single-threaded, so tgid == pid.
 */
export const getCurrentPidTgid = (k: HelperContext) => (c: HelperCall): void =>
  c.retBig((BigInt(k.pid >>> 0) << 32n) | BigInt(k.pid >>> 0));
/** bpf_get_numa_node_id: always node 0 (one NUMA node). */
export const getNumaNodeId = () => (c: HelperCall): void => c.ret(0);

/** Folds a 32-bit checksum to 16 bits like `csum_from32to16` (include/net/checksum.h). */
export function csumFrom32to16(sum: number): number {
  const rot = ((sum >>> 16) | (sum << 16)) >>> 0;
  return ((sum + rot) >>> 0) >>> 16;
}

/** Adds with end-around carry in 32 bits (csum_add). */
function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return (s >= 0x100000000 ? s - 0xffffffff : s) >>> 0;
}

/**
 * csum_partial on x86_64: the ones' complement sum of `buf` taken as little-endian 32-bit words
 * (a short tail as a little-endian partial word), added to `seed`, in 32 bits.
 */
export function csumPartial(buf: Uint8Array, seed: number): number {
  let s = seed >>> 0;
  let i = 0;
  for (; i + 4 <= buf.length; i += 4) s = csumAdd(s, (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)) >>> 0);
  let tail = 0;
  for (let j = 0; i + j < buf.length; j++) tail |= buf[i + j]! << (8 * j);
  if (i < buf.length) s = csumAdd(s, tail >>> 0);
  return s;
}

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed) as Linux 6.18 computes it (the
 * arch-independent version): the 16-bit folded ones' complement sum of `to` minus `from` plus
 * `seed`. Verified against the oracle kernel, including sizes that are not multiples of 4
 * (no longer refused).
 */
export function csumDiff(from: Uint8Array, to: Uint8Array, seed: number): number {
  if (from.length && to.length) return csumFrom32to16(csumAdd(csumPartial(to, seed), ~csumPartial(from, 0) >>> 0));
  if (to.length) return csumFrom32to16(csumPartial(to, seed));
  if (from.length) return csumFrom32to16(~csumPartial(from, ~seed >>> 0) >>> 0);
  return csumFrom32to16(seed >>> 0);
}

/** The bpf_csum_diff helper. */
export function csumDiffHelper(c: HelperCall): void {
  const fromSize = c.u32(2);
  const toSize = c.u32(4);
  const view = (n: number, size: number): Uint8Array => {
    if (size === 0) return new Uint8Array(0);
    const [lo, hi] = ptrArg(c, n);
    return c.mem.check(lo, hi, size, false).subarray(lo >>> 0, (lo >>> 0) + size);
  };
  c.ret(csumDiff(view(1, fromSize), view(3, toSize), c.u32(5)));
}

/**
 * bpf_loop(nr_loops, callback, ctx, flags): calls `callback(i, ctx)` for i = 0.. until it
 * returns non-zero; returns the number of calls made. Flags must be 0; more than
 * BPF_MAX_LOOPS (8M) iterations is -E2BIG.
 */
export function loopHelper(c: HelperCall): void {
  const n = c.u32(1);
  const slot = c.funcArg(2);
  const [ctxLo, ctxHi] = ptrArg(c, 3);
  if (flagsArg(c, 4) !== 0) return c.ret(-EINVAL);
  if (n > BPF_MAX_LOOPS) return c.ret(-E2BIG);
  const args = [0, 0, ctxLo, ctxHi];
  for (let i = 0; i < n; i++) {
    args[0] = i;
    if (c.invoke(slot, args) !== 0) return c.ret(i + 1);
  }
  c.ret(n);
}
