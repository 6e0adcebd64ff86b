# A load balancer: spread IPv4 flows over up to 4 backends by hashing the 5-tuple (addresses,
# protocol and, for TCP and UDP, the ports) and redirect each packet to the interface its flow
# maps to (XDP_REDIRECT through a DEVMAP). Packets of one flow always take the same backend.
# Non-IPv4 traffic goes to the stack (XDP_PASS), and so does a flow whose backend slot is empty.
#
#   xdpts build programs/lb.asm -o lb.o
#   xdpts load -m skb veth1 lb.o
#   xdpts map update name backends key 0 0 0 0 value 4 0 0 0    # slot 0 -> ifindex 4
#
# In C:
#   struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __type(key, __u32); __type(value, __u32);
#            __uint(max_entries, 4); } backends SEC(".maps");
#   ... return bpf_redirect_map(&backends, hash >> 30, XDP_PASS);

# slot (0..3) -> ifindex of the backend's interface.
.map backends, type=devmap, key=__u32, value=__u32, max_entries=4

.section xdp,"ax",@progbits
.globl xdp_lb
xdp_lb:
	r2 = *(u32 *)(r1 + 4)           # r2 = ctx->data_end
	r1 = *(u32 *)(r1 + 0)           # r1 = ctx->data

	# --- Ethernet (14) + IPv4 fixed header (20) ---
	r3 = r1
	r3 += 34
	if r3 > r2 goto pass
	r3 = *(u16 *)(r1 + 12)          # EtherType (big-endian in the packet)
	if r3 != 0x8 goto pass          # not IPv4: leave it to the stack

	# --- hash = saddr ^ daddr ^ protocol [^ ports] ---
	w6 = *(u32 *)(r1 + 26)          # iph->saddr
	w3 = *(u32 *)(r1 + 30)          # iph->daddr
	w6 ^= w3
	w4 = *(u8 *)(r1 + 23)           # iph->protocol
	w6 ^= w4
	r3 = *(u8 *)(r1 + 14)
	if r3 != 0x45 goto mix          # IP options: the ports are further away, hash without them
	if w4 == 6 goto ports           # IPPROTO_TCP
	if w4 == 17 goto ports          # IPPROTO_UDP
	goto mix
ports:
	r3 = r1
	r3 += 38                        # source and destination ports: 4 bytes at offset 34
	if r3 > r2 goto mix
	w3 = *(u32 *)(r1 + 34)          # both ports in one load
	w6 ^= w3

mix:
	# XOR alone keeps patterns (10.0.0.1 and 10.0.0.2 differ in one bit). Multiplying by
	# 2^32 / golden ratio (Knuth's multiplicative hashing) spreads every input bit over the
	# high bits; the top 2 bits then pick one of the 4 backends.
	w6 *= 0x9e3779b1
	w6 >>= 30                       # slot = hash >> 30, in 0..3

	# --- bpf_redirect_map(&backends, slot, XDP_PASS) ---
	# The helper returns XDP_REDIRECT when the slot holds an interface, and otherwise the
	# action in the low bits of flags: here XDP_PASS.
	r1 = backends ll
	r2 = r6
	r3 = 2                          # flags: fallback action XDP_PASS
	call bpf_redirect_map
	exit                            # r0 = XDP_REDIRECT or XDP_PASS

pass:
	r0 = 2                          # XDP_PASS
	exit

.license "GPL"
