// An IPv4 blocklist: drops packets whose source address falls in a prefix of the `blocklist`
// LPM trie, counts drops per prefix value, passes everything else.
// Build: clang-19 -O2 -g -target bpf -I/usr/include/x86_64-linux-gnu -c blocklist.c -o blocklist.o
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct ipv4_lpm_key {
	__u32 prefixlen;
	__u32 addr; /* network byte order */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipv4_lpm_key);
	__type(value, __u32); /* a rule id */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1024);
} blocklist SEC(".maps");

struct stats {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32); /* rule id */
	__type(value, struct stats);
	__uint(max_entries, 1024);
} drops SEC(".maps");

SEC("xdp")
int xdp_blocklist(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_ABORTED;
	struct ipv4_lpm_key key = { .prefixlen = 32, .addr = ip->saddr };
	__u32 *rule = bpf_map_lookup_elem(&blocklist, &key);
	if (!rule)
		return XDP_PASS;
	__u32 id = *rule;
	struct stats *s = bpf_map_lookup_elem(&drops, &id);
	if (s) {
		__sync_fetch_and_add(&s->packets, 1);
		__sync_fetch_and_add(&s->bytes, (__u64)(data_end - data));
	} else {
		struct stats init = { .packets = 1, .bytes = (__u64)(data_end - data) };
		bpf_map_update_elem(&drops, &id, &init, BPF_NOEXIST);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
