# A protocol counter: how many packets of each L4 protocol (ICMP=1, TCP=6, UDP=17, ICMPv6=58...)
# arrive, whatever the IP version. Every packet is passed on to the stack (XDP_PASS); the program
# only looks. In C it would be:
#
#   struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64);
#            __uint(max_entries, 256); } proto_count SEC(".maps");
#   SEC("xdp") int count_protocols(struct xdp_md *ctx) { ... parse, then
#       __sync_fetch_and_add(bpf_map_lookup_elem(&proto_count, &proto), 1); return XDP_PASS; }
#
#   xdpts build programs/proto_count.asm -o proto_count.o
#   xdpts run proto_count.o --packet <hex of an Ethernet frame> --json
#
# Every packet access must be proven in bounds first: the verifier only lets us read
# `*(uN *)(p + off)` when an earlier `if p + off + N > data_end` branch left this path. The
# pattern is always the same: copy the pointer, add the length we want, compare with data_end.

# One __u64 counter per IP protocol number (the key: 0..255). An ARRAY shared by all CPUs,
# so the increment is atomic (`lock ... +=`); a PERCPU_ARRAY would avoid the atomic at the
# price of summing per CPU in user space.
.map proto_count, type=array, key=__u32, value=__u64, max_entries=256

.section xdp,"ax",@progbits
.globl count_protocols
count_protocols:
	# r1 = ctx (struct xdp_md *). Its first two fields are the packet bounds.
	r2 = *(u32 *)(r1 + 4)           # r2 = ctx->data_end
	r1 = *(u32 *)(r1 + 0)           # r1 = ctx->data (start of the Ethernet header)

	# --- Ethernet: 6 bytes destination, 6 bytes source, 2 bytes EtherType (14 bytes) ---
	r3 = r1
	r3 += 14
	if r3 > r2 goto pass            # shorter than an Ethernet header: nothing to count
	r6 = r1
	r6 += 14                        # r6 = start of the L3 header (if there is no VLAN tag)
	r4 = *(u16 *)(r1 + 12)          # EtherType, in network byte order (big-endian)
	# Loaded on a little-endian machine, 0x8100 (802.1Q) reads as 0x0081, 0x0800 (IPv4) as
	# 0x0008 and 0x86dd (IPv6) as 0xdd86: we compare with the swapped constants rather than
	# byte-swapping r4 (what clang does too for `eth->h_proto == bpf_htons(ETH_P_IP)`).
	if r4 != 0x81 goto l3           # not 802.1Q: the EtherType is the L3 protocol

	# --- one 802.1Q VLAN tag: 2 bytes TCI, then the real EtherType (4 more bytes) ---
	r3 = r1
	r3 += 18
	if r3 > r2 goto pass
	r4 = *(u16 *)(r1 + 16)          # the encapsulated EtherType
	r6 += 4                         # the L3 header starts 4 bytes later

l3:
	if r4 == 0x8 goto ipv4          # ETH_P_IP
	if r4 == 0xdd86 goto ipv6       # ETH_P_IPV6
	goto pass                       # ARP, LLDP, ...: not IP, not counted

ipv4:
	# --- IPv4: the protocol is the byte at offset 9 of the 20-byte fixed header ---
	r3 = r6
	r3 += 20
	if r3 > r2 goto pass            # truncated IPv4 header
	r7 = *(u8 *)(r6 + 9)            # iph->protocol
	goto count

ipv6:
	# --- IPv6: the next header is the byte at offset 6 of the 40-byte fixed header ---
	# (extension headers are not followed: a packet with a hop-by-hop header counts as 0)
	r3 = r6
	r3 += 40
	if r3 > r2 goto pass            # truncated IPv6 header
	r7 = *(u8 *)(r6 + 6)            # ip6h->nexthdr

count:
	*(u32 *)(r10 - 4) = r7          # __u32 key = protocol (on the stack: helpers take pointers)
	r2 = r10
	r2 += -4                        # r2 = &key
	r1 = proto_count ll             # r1 = &proto_count (relocated to the map)
	call bpf_map_lookup_elem        # r0 = &proto_count[key], or NULL
	if r0 == 0 goto pass            # the verifier insists on this NULL check
	r1 = 1
	lock *(u64 *)(r0 + 0) += r1     # __sync_fetch_and_add(count, 1)

pass:
	r0 = 2                          # XDP_PASS: hand every packet to the stack
	exit

.license "GPL"
