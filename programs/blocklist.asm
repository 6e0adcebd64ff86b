# A source-address blocklist: drop IPv4 packets whose source address falls in a listed prefix
# (10.0.0.0/8, 192.168.1.7/32...), count the hits of each prefix, pass everything else.
# The prefixes live in an LPM trie (longest-prefix match), filled from user space:
#
#   xdpts build programs/blocklist.asm -o blocklist.o
#   # key = struct { __u32 prefixlen; __u8 addr[4]; } = 8 (little-endian) then 10.0.0.0
#   xdpts map update name blocklist key 8 0 0 0 10 0 0 0 value 0 0 0 0 0 0 0 0
#
# In C:
#   struct ipv4_lpm_key { __u32 prefixlen; __u8 addr[4]; };
#   struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __type(key, struct ipv4_lpm_key);
#            __type(value, __u64); __uint(max_entries, 1024);
#            __uint(map_flags, BPF_F_NO_PREALLOC); } blocklist SEC(".maps");

# The LPM trie: 8-byte keys (prefix length, then the address in network byte order), a __u64
# hit counter per prefix. The kernel requires BPF_F_NO_PREALLOC (flags=1) for LPM tries.
.map blocklist, type=lpm_trie, key_size=8, value=__u64, max_entries=1024, flags=1

.section xdp,"ax",@progbits
.globl xdp_blocklist
xdp_blocklist:
	r2 = *(u32 *)(r1 + 4)           # r2 = ctx->data_end
	r1 = *(u32 *)(r1 + 0)           # r1 = ctx->data

	# --- Ethernet (14 bytes) + the IPv4 header up to the source address (14 + 16 = 30) ---
	# One bounds check covers every byte we read: the verifier remembers that
	# [data, data + 30) is safe on the fall-through path.
	r3 = r1
	r3 += 30
	if r3 > r2 goto pass            # too short to be Ethernet + IPv4
	r3 = *(u16 *)(r1 + 12)          # EtherType, big-endian in the packet
	if r3 != 0x8 goto pass          # not ETH_P_IP (0x0800 reads 0x0008 little-endian)

	# --- build the lookup key on the stack: { prefixlen = 32, addr = iph->saddr } ---
	# A lookup key's prefixlen is the number of address bits to match: all 32 of them. The
	# trie returns the longest stored prefix that contains the address.
	r3 = *(u32 *)(r1 + 26)          # iph->saddr (offset 14 + 12), kept in network order
	*(u32 *)(r10 - 4) = r3          # key.addr
	r3 = 32
	*(u32 *)(r10 - 8) = r3          # key.prefixlen = 32
	r2 = r10
	r2 += -8                        # r2 = &key
	r1 = blocklist ll               # r1 = &blocklist
	call bpf_map_lookup_elem        # r0 = &hits of the matching prefix, or NULL
	if r0 == 0 goto pass            # no listed prefix contains the source: let it through

	r1 = 1
	lock *(u64 *)(r0 + 0) += r1     # count a hit for this prefix (atomic: CPUs share it)
	r0 = 1                          # XDP_DROP
	exit

pass:
	r0 = 2                          # XDP_PASS
	exit

.license "GPL"
