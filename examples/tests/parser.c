// A small packet parser: Ethernet (with one optional 802.1Q tag), IPv4 or IPv6, then TCP, UDP or
// ICMP. Sources in the LPM blocklist are dropped (and logged); packets are counted per protocol;
// DNS queries over IPv4 get their TTL decremented with an incremental checksum update (RFC 1624);
// runts and bad headers are aborted.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum proto_slot { SLOT_OTHER, SLOT_TCP, SLOT_UDP, SLOT_ICMP, SLOT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, SLOT_MAX);
} proto_count SEC(".maps");

struct lpm_v4 {
	__u32 prefixlen;
	__be32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4);
	__type(value, __u32);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} blocklist SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&proto_count, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int l4(__u8 proto)
{
	if (proto == IPPROTO_TCP)
		count(SLOT_TCP);
	else if (proto == IPPROTO_UDP)
		count(SLOT_UDP);
	else if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		count(SLOT_ICMP);
	else
		count(SLOT_OTHER);
	return XDP_PASS;
}

SEC("xdp")
int xdp_parser(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u16 proto;
	void *l3;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	proto = eth->h_proto;
	l3 = eth + 1;
	if (proto == bpf_htons(ETH_P_8021Q)) {
		struct vlan_hdr *v = l3;
		if ((void *)(v + 1) > data_end)
			return XDP_ABORTED;
		proto = v->proto;
		l3 = v + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return XDP_ABORTED;
		struct lpm_v4 key = { .prefixlen = 32, .addr = ip->saddr };
		if (bpf_map_lookup_elem(&blocklist, &key)) {
			bpf_printk("blocked %x", bpf_ntohl(ip->saddr));
			return XDP_DROP;
		}
		if (ip->protocol == IPPROTO_UDP) {
			struct udphdr *udp = (void *)ip + ip->ihl * 4;
			if ((void *)(udp + 1) > data_end)
				return XDP_ABORTED;
			if (udp->dest == bpf_htons(53) && ip->ttl > 1) {
				// RFC 1624: HC' = ~(~HC + ~m + m'), m the 16-bit word holding the TTL.
				__u32 sum = (~bpf_ntohs(ip->check) & 0xffff) + (~(ip->ttl << 8) & 0xffff);
				ip->ttl--;
				sum += ip->ttl << 8;
				sum = (sum & 0xffff) + (sum >> 16);
				sum = (sum & 0xffff) + (sum >> 16);
				ip->check = bpf_htons(~sum & 0xffff);
			}
		}
		return l4(ip->protocol);
	}
	if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > data_end)
			return XDP_ABORTED;
		return l4(ip6->nexthdr);
	}
	count(SLOT_OTHER);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
