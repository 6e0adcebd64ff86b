# The tutorial's packet counter, in LLVM assembly syntax: the same object as
# fixtures/c/counter.c (section `xdp`, program `count_packets`, map `pkt_count`).
#
#   xdpts build programs/counter.asm -o counter.o

# An ARRAY map with one __u64 slot, laid out in .maps with BTF exactly as clang does for
#   struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64);
#            __uint(max_entries, 1); } pkt_count SEC(".maps");
.map pkt_count, type=array, key=__u32, value=__u64, max_entries=1

.section xdp,"ax",@progbits
.globl count_packets
count_packets:
	r1 = 0
	*(u32 *)(r10 - 4) = r1          # __u32 key = 0 (on the stack)
	r2 = r10
	r2 += -4                        # r2 = &key
	r1 = pkt_count ll               # r1 = &pkt_count (relocated to the map)
	call bpf_map_lookup_elem        # r0 = pointer to the value, or NULL
	if r0 == 0 goto out             # the verifier insists on this NULL check
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1     # __sync_fetch_and_add(count, 1)
out:
	r0 = 2                          # XDP_PASS
	exit

.license "GPL"
