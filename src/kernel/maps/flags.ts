/**
 * Map flags and update flags of the bpf(2) ABI, as include/uapi/linux/bpf.h defines them.
 */

// `bpf_map_update_elem` flags.
/** BPF_ANY: Create or replace. */
export const BPF_ANY = 0;
/** BPF_NOEXIST: Create only: EEXIST if present. */
export const BPF_NOEXIST = 1;
/** BPF_EXIST: Replace only: ENOENT if absent. */
export const BPF_EXIST = 2;
/** BPF_F_LOCK: Update the value under its bpf_spin_lock. */
export const BPF_F_LOCK = 4;

// `map_flags` of BPF_MAP_CREATE.
/** BPF_F_NO_PREALLOC: Allocate elements on demand (required by LPM tries). */
export const BPF_F_NO_PREALLOC = 1 << 0;
/** BPF_F_NO_COMMON_LRU: One LRU list per CPU. */
export const BPF_F_NO_COMMON_LRU = 1 << 1;
/** BPF_F_NUMA_NODE: numa_node is valid. */
export const BPF_F_NUMA_NODE = 1 << 2;
/** BPF_F_RDONLY: User space may only read. */
export const BPF_F_RDONLY = 1 << 3;
/** BPF_F_WRONLY: User space may only write. */
export const BPF_F_WRONLY = 1 << 4;
/** BPF_F_STACK_BUILD_ID: Stack maps store build ids. */
export const BPF_F_STACK_BUILD_ID = 1 << 5;
/** BPF_F_ZERO_SEED: Hash seed 0: reproducible bucket order. */
export const BPF_F_ZERO_SEED = 1 << 6;
/** BPF_F_RDONLY_PROG: Programs may only read. */
export const BPF_F_RDONLY_PROG = 1 << 7;
/** BPF_F_WRONLY_PROG: Programs may only write. */
export const BPF_F_WRONLY_PROG = 1 << 8;
/** BPF_F_CLONE: Clone a socket storage. */
export const BPF_F_CLONE = 1 << 9;
/** BPF_F_MMAPABLE: The array can be mmap()ed. */
export const BPF_F_MMAPABLE = 1 << 10;
/** BPF_F_PRESERVE_ELEMS: Perf event arrays keep elements on close. */
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
/** BPF_F_INNER_MAP: Inner map of varying size. */
export const BPF_F_INNER_MAP = 1 << 12;
/** BPF_F_LINK: A struct_ops map creates a link. */
export const BPF_F_LINK = 1 << 13;
/** BPF_F_PATH_FD: Pathname relative to path_fd. */
export const BPF_F_PATH_FD = 1 << 14;

/** `BPF_F_ACCESS_MASK` (kernel/bpf/syscall.c): the access flags a map may carry. */
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

/**
 * `bpf_map_flags_access_ok` (include/linux/bpf.h): RDONLY and WRONLY together are refused, for
 * user space and for programs alike.
 */
export function mapFlagsAccessOk(flags: number): boolean {
  return (
    (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) !== (BPF_F_RDONLY | BPF_F_WRONLY) &&
    (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)
  );
}

/** `PCPU_MIN_UNIT_SIZE` (32 KiB): the largest per-CPU value the kernel accepts (E2BIG beyond). */
export const PCPU_MIN_UNIT_SIZE = 32768;
/**
 * `KMALLOC_MAX_SIZE` on x86_64 with 4 KiB pages (4 MiB): hash elements and queue values larger
 * than this get E2BIG, as measured on the 6.18 oracle kernel.
 */
export const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
/** Page size of the emulated machine (x86_64). */
export const PAGE_SIZE = 4096;
/**
 * `NR_CPUS` bound of BPF_MAP_TYPE_CPUMAP's max_entries. The oracle kernel accepts 256 and
 * refuses 512 with E2BIG; 256 is the bound used here.
 */
export const NR_CPUS = 256;
