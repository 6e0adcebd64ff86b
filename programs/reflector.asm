# A reflector: answer ICMP echo requests (ping) and echo UDP datagrams straight from the driver,
# by turning the packet around and sending it back out of the interface it came in on
# (XDP_TX). Anything else goes to the stack unchanged (XDP_PASS).
#
#   xdpts build programs/reflector.asm -o reflector.o
#   xdpts load -m skb veth1 reflector.o
#
# Turning a packet around means swapping every source/destination pair on the way up:
#   Ethernet: h_source <-> h_dest
#   IPv4:     saddr <-> daddr      (the IPv4 and UDP checksums are sums of 16-bit words, and
#                                   swapping two words does not change a sum: no update needed)
#   UDP:      source <-> dest port
#   ICMP:     type 8 (echo request) -> 0 (echo reply), with the ICMP checksum updated.

.section xdp,"ax",@progbits
.globl xdp_reflector
xdp_reflector:
	r2 = *(u32 *)(r1 + 4)           # r2 = ctx->data_end
	r1 = *(u32 *)(r1 + 0)           # r1 = ctx->data

	# --- Ethernet (14) + IPv4 fixed header (20) must be in the packet ---
	r3 = r1
	r3 += 34
	if r3 > r2 goto pass
	r3 = *(u16 *)(r1 + 12)          # EtherType (big-endian in the packet)
	if r3 != 0x8 goto pass          # not IPv4 (ARP must reach the stack, for one)
	r3 = *(u8 *)(r1 + 14)           # version (high nibble) and IHL (low nibble, in 32-bit words)
	if r3 != 0x45 goto pass         # IPv4 without options only: L4 is then at 14 + 20 = 34
	r3 = *(u8 *)(r1 + 23)           # iph->protocol
	if r3 == 1 goto icmp            # IPPROTO_ICMP
	if r3 == 17 goto udp            # IPPROTO_UDP
	goto pass

icmp:
	# --- ICMP header: type, code, checksum (8 bytes with id and sequence) ---
	r3 = r1
	r3 += 42
	if r3 > r2 goto pass
	r3 = *(u8 *)(r1 + 34)           # icmph->type
	if r3 != 8 goto pass            # only echo requests get an answer
	r3 = 0
	*(u8 *)(r1 + 34) = r3           # type = ICMP_ECHOREPLY (the code stays 0)

	# Incremental checksum update (RFC 1624, eqn. 3): HC' = ~(~HC + ~m + m'), where m is the
	# old 16-bit word holding type and code (0x0800) and m' the new one (0x0000), in
	# one's-complement arithmetic: carries out of bit 15 are added back in ("folded").
	r3 = *(u16 *)(r1 + 36)          # icmph->checksum, as stored (network order)
	r3 = be16 r3                    # to a host-order number
	r3 ^= 0xffff                    # ~HC
	r3 += 0xf7ff                    # + ~m  (~0x0800); + m' adds 0
	r4 = r3
	r4 >>= 16
	r3 &= 0xffff
	r3 += r4                        # fold the carry back in
	r4 = r3
	r4 >>= 16
	r3 &= 0xffff
	r3 += r4                        # a second fold absorbs the carry the first one can make
	r3 ^= 0xffff                    # HC' = ~sum
	r3 = be16 r3                    # back to network order
	*(u16 *)(r1 + 36) = r3
	goto swap_ip

udp:
	# --- UDP header: source port, destination port, length, checksum (8 bytes) ---
	r3 = r1
	r3 += 42
	if r3 > r2 goto pass
	r3 = *(u16 *)(r1 + 34)          # udph->source
	r4 = *(u16 *)(r1 + 36)          # udph->dest
	*(u16 *)(r1 + 34) = r4
	*(u16 *)(r1 + 36) = r3

swap_ip:
	r3 = *(u32 *)(r1 + 26)          # iph->saddr
	r4 = *(u32 *)(r1 + 30)          # iph->daddr
	*(u32 *)(r1 + 26) = r4
	*(u32 *)(r1 + 30) = r3

	# --- swap the 6-byte MAC addresses, as a 4-byte and a 2-byte half each ---
	r3 = *(u32 *)(r1 + 0)           # h_dest[0..3]
	r4 = *(u16 *)(r1 + 4)           # h_dest[4..5]
	r5 = *(u32 *)(r1 + 6)           # h_source[0..3]
	r0 = *(u16 *)(r1 + 10)          # h_source[4..5]
	*(u32 *)(r1 + 0) = r5
	*(u16 *)(r1 + 4) = r0
	*(u32 *)(r1 + 6) = r3
	*(u16 *)(r1 + 10) = r4

	r0 = 3                          # XDP_TX: send it back out of the same interface
	exit

pass:
	r0 = 2                          # XDP_PASS
	exit

.license "GPL"
