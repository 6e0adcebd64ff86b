/**
 * The emulated kernel's clocks: CLOCK_MONOTONIC (bpf_ktime_get_ns), CLOCK_BOOTTIME
 * (bpf_ktime_get_boot_ns), CLOCK_TAI (bpf_ktime_get_tai_ns) and jiffies (bpf_jiffies64).
 * A real clock follows the host's monotonic time; a virtual clock starts at a fixed time and
 * advances by a fixed step at every reading, so runs are reproducible.
 */

/** CONFIG_HZ of the emulated kernel (Debian's x86_64 kernels use 250). */
export const HZ = 250;
/**
 * INITIAL_JIFFIES (include/linux/jiffies.h): jiffies start 5 minutes before the 32-bit wrap,
 * `(unsigned long)(unsigned int)(-300 * HZ)`.
 */
export const INITIAL_JIFFIES = 2n ** 32n - BigInt(300 * HZ);
/** TAI - UTC offset in seconds (37 since 2017). */
const TAI_OFFSET_NS = 37_000_000_000n;

/** A source of kernel time, in nanoseconds. */
export interface KernelClock {
  /** CLOCK_MONOTONIC: time since boot, not counting suspend. */
  monotonicNs(): bigint;
  /** CLOCK_BOOTTIME: time since boot including suspend (equal here: nothing suspends). */
  bootNs(): bigint;
  /** CLOCK_TAI: wall-clock time on the TAI scale. */
  taiNs(): bigint;
}

/** jiffies64 for a boot time: INITIAL_JIFFIES + elapsed ticks at HZ. */
export function jiffiesAt(bootNs: bigint): bigint {
  return BigInt.asUintN(64, INITIAL_JIFFIES + (bootNs * BigInt(HZ)) / 1_000_000_000n);
}

/**
 * A clock that follows the host: "boot" is when the clock was made, minus `uptimeNs` so that
 * timestamps look like those of a machine that has been up a while.
 */
export function realClock(uptimeNs = 0n): KernelClock {
  const start = process.hrtime.bigint() - uptimeNs;
  const mono = (): bigint => process.hrtime.bigint() - start;
  return {
    monotonicNs: mono,
    bootNs: mono,
    taiNs: () => BigInt(Date.now()) * 1_000_000n + TAI_OFFSET_NS,
  };
}

/**
 * A deterministic clock: the first reading is `startNs`, each reading advances it by `stepNs`
 * (monotonic and boot time share the counter, so they never go backwards relative to each other).
 */
export function virtualClock(startNs = 1_000_000_000n, stepNs = 1000n): KernelClock {
  let now = startNs;
  const tick = (): bigint => {
    const t = now;
    now += stepNs;
    return t;
  };
  return { monotonicNs: tick, bootNs: tick, taiNs: () => tick() + 1_700_000_000_000_000_000n + TAI_OFFSET_NS };
}
