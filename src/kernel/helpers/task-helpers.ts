/**
 * Helpers about the task a run is attributed to and about kernel memory
 * (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c). The emulated kernel runs every program on
 * behalf of one root task (uid/gid 0) of the initial PID namespace, in the root cgroup v2, with
 * no net_cls classid; kernel and user addresses passed as numbers are never readable (the
 * emulation has no kernel memory), so the probe_read helpers fail as for a bad address.
 */
import type { HelperCall } from '../../vm';
import { EFAULT, EINVAL, ERANGE } from '../errno';
import { HZ } from './clock';
import { ptrArg, type HelperContext } from './context';

/** `PROC_PID_INIT_INO`: the inode of the initial PID namespace (include/linux/proc_ns.h). */
export const PROC_PID_INIT_INO = 0xeffffffc;
/** st_dev of nsfs on the oracle machine (`stat -L -c %d /proc/self/ns/pid` gives 4). */
export const NSFS_DEV = 4;
/** `sizeof(struct bpf_pidns_info)`: pid and tgid, two u32. */
const PIDNS_INFO_SIZE = 8;
/** The root cgroup's id in cgroup v2 (kernfs id of the root directory). */
export const ROOT_CGROUP_ID = 1n;
/** Where the emulated task_struct of pid N "lives": a direct-map address, never dereferencable. */
const TASK_BASE = 0xffff888100000000n;
const TICK_NS = BigInt(1_000_000_000 / HZ);

/** Writes `n` zero bytes at pointer rN (the helpers' "clear the output on error" path). */
function zeroArg(c: HelperCall, n: number, len: number): void {
  if (len === 0) return;
  const [lo, hi] = ptrArg(c, n);
  c.mem.write(lo, hi, new Uint8Array(len));
}

/** bpf_ktime_get_coarse_ns: CLOCK_MONOTONIC_COARSE, the monotonic time of the last tick. */
export const ktimeGetCoarseNs = (k: HelperContext) => (c: HelperCall): void => {
  const ns = k.clock.monotonicNs();
  c.retBig(ns - (ns % TICK_NS));
};

/** bpf_get_current_uid_gid: `gid << 32 | uid` of the current task: root, so 0. */
export const getCurrentUidGid = () => (c: HelperCall): void => c.retBig(0n);

/** bpf_get_current_comm(buf, size): the task's name, NUL-terminated and zero-padded (strscpy_pad). */
export const getCurrentComm = (k: HelperContext) => (c: HelperCall): void => {
  const size = c.u32(2);
  const out = new Uint8Array(size);
  const name = new TextEncoder().encode(k.comm).subarray(0, Math.min(15, size - 1));
  out.set(name);
  const [lo, hi] = ptrArg(c, 1);
  c.mem.write(lo, hi, out);
  c.ret(0);
};

/** bpf_get_current_cgroup_id: the root cgroup. */
export const getCurrentCgroupId = () => (c: HelperCall): void => c.retBig(ROOT_CGROUP_ID);

/** bpf_get_current_ancestor_cgroup_id(level): the root at level 0, none (0) deeper. */
export const getCurrentAncestorCgroupId = () => (c: HelperCall): void => c.retBig(c.big(1) === 0n ? ROOT_CGROUP_ID : 0n);

/** bpf_get_cgroup_classid (current task's net_cls classid): 0, no net_cls cgroup. */
export const getCgroupClassid = () => (c: HelperCall): void => c.ret(0);

/** bpf_get_current_task: the address of the current task_struct (a number; not readable). */
export const getCurrentTask = (k: HelperContext) => (c: HelperCall): void => c.retBig(TASK_BASE + BigInt(k.pid) * 0x4000n);

/**
 * bpf_get_ns_current_pid_tgid(dev, ino, nsdata, size): pid and tgid as seen from the PID
 * namespace (dev, ino); -EINVAL for a bad size or another namespace, the output cleared.
 */
export const getNsCurrentPidTgid = (k: HelperContext) => (c: HelperCall): void => {
  const size = c.u32(4);
  const dev = c.big(1);
  const ino = c.big(2);
  // Every mismatch (size, a dev wider than dev_t, another namespace) is -EINVAL.
  if (size !== PIDNS_INFO_SIZE || dev !== BigInt(NSFS_DEV) || ino !== BigInt(PROC_PID_INIT_INO)) {
    zeroArg(c, 3, size);
    return c.ret(-EINVAL);
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setUint32(0, k.pid, true);
  new DataView(out.buffer).setUint32(4, k.pid, true);
  const [lo, hi] = ptrArg(c, 3);
  c.mem.write(lo, hi, out);
  c.ret(0);
};

/** `TASK_SIZE_MAX + PAGE_SIZE` on x86_64: kernel reads below it are refused with -ERANGE. */
const USER_END = 0x00007ffffffff000n + 4096n;

/**
 * bpf_probe_read_{kernel,user}[_str](dst, size, unsafe_ptr): the emulation has no kernel or user
 * address space, so every read fails as for an unmapped address, with the kernel's codes
 * (checked on 6.18): a kernel read of a user-range address is -ERANGE
 * (`copy_from_kernel_nofault_allowed`), any other read -EFAULT; the destination is zeroed. A
 * zero size reads nothing and returns 0, except bpf_probe_read_kernel, which checks the
 * address first.
 */
export const probeRead = (space: 'kernel' | 'user', str: boolean) => (c: HelperCall): void => {
  const size = c.u32(2);
  const addr = c.big(3);
  if (size === 0 && (str || space === 'user')) return c.ret(0);
  zeroArg(c, 1, size);
  c.ret(space === 'kernel' && addr < USER_END ? -ERANGE : -EFAULT);
};
