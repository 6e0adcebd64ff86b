/*
 * A small eBPF interpreter in C, the yardstick for xdpts' interpreter (`npm run bench`). It
 * runs the same as-loaded bytecode as xdpts (map loads carry a map index) over one XDP packet,
 * with the helpers the benchmark programs call: map_lookup_elem and map_update_elem on ARRAY and
 * HASH maps. It is a plain switch loop like the kernel's ___bpf_prog_run, without bounds checks
 * (the kernel's interpreter has none either: the verifier proved the accesses safe).
 *
 * The packet lives below 4 GiB (mmap MAP_32BIT) so `struct xdp_md`'s u32 data/data_end are real
 * pointers, which stands in for the kernel's ctx-access rewrite.
 *
 * Input file: u32 ninsns, u32 nmaps, then per map u32 type,key_size,value_size,max_entries,
 * then ninsns*8 bytes of instructions, then u32 packet length and the packet.
 * Usage: cinterp FILE REPEAT  → prints "retval ns_per_run".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct insn { uint8_t op; uint8_t regs; int16_t off; int32_t imm; };
struct map { uint32_t type, ks, vs, max, used; uint8_t *keys, *vals; };
struct xdp_md { uint32_t data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };

static struct map maps[64];

static uint32_t hash_bytes(const uint8_t *k, uint32_t n) {
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++) h = (h ^ k[i]) * 16777619u;
	return h;
}

/* Open addressing over 2*max slots; a slot is used when its first flag byte is set. */
static uint8_t *hash_slot(struct map *m, const uint8_t *key, int create) {
	uint32_t cap = m->max * 2, i = hash_bytes(key, m->ks) % cap;
	for (;; i = (i + 1) % cap) {
		uint8_t *k = m->keys + (size_t)i * (m->ks + 1);
		if (!k[0]) {
			if (!create || m->used >= m->max) return NULL;
			k[0] = 1; memcpy(k + 1, key, m->ks); m->used++;
			return m->vals + (size_t)i * m->vs;
		}
		if (!memcmp(k + 1, key, m->ks)) return m->vals + (size_t)i * m->vs;
	}
}

static uint64_t map_lookup(struct map *m, const uint8_t *key) {
	if (m->type == 2) { uint32_t i; memcpy(&i, key, 4); return i < m->max ? (uint64_t)(uintptr_t)(m->vals + (size_t)i * m->vs) : 0; }
	return (uint64_t)(uintptr_t)hash_slot(m, key, 0);
}

static uint64_t map_update(struct map *m, const uint8_t *key, const uint8_t *val, uint64_t flags) {
	uint8_t *v;
	if (m->type == 2) { uint32_t i; memcpy(&i, key, 4); if (i >= m->max) return (uint64_t)-7; if (flags == 1) return (uint64_t)-17; v = m->vals + (size_t)i * m->vs; }
	else {
		v = hash_slot(m, key, 0);
		if (v && flags == 1) return (uint64_t)-17;
		if (!v && flags == 2) return (uint64_t)-2;
		if (!v) v = hash_slot(m, key, 1);
		if (!v) return (uint64_t)-7;
	}
	memcpy(v, val, m->vs);
	return 0;
}

static uint64_t run(const struct insn *prog, void *ctx) {
	uint64_t r[11] = {0};
	uint8_t stack[512] __attribute__((aligned(8)));
	const struct insn *pc = prog;
	r[1] = (uint64_t)(uintptr_t)ctx;
	r[10] = (uint64_t)(uintptr_t)(stack + sizeof stack);
	for (;;) {
		const struct insn i = *pc++;
		uint8_t d = i.regs & 15, s = i.regs >> 4;
		uint64_t imm = (uint64_t)(int64_t)i.imm;
#define SRC ((i.op & 8) ? r[s] : imm)
#define SRC32 ((uint32_t)((i.op & 8) ? r[s] : imm))
#define MEM(T) (*(T *)(uintptr_t)(r[s] + i.off))
#define DST(T) (*(T *)(uintptr_t)(r[d] + i.off))
		switch (i.op) {
		/* ALU64 */
		case 0x07: case 0x0f: r[d] += SRC; break;
		case 0x17: case 0x1f: r[d] -= SRC; break;
		case 0x27: case 0x2f: r[d] *= SRC; break;
		case 0x37: case 0x3f: { uint64_t v = SRC; r[d] = v ? r[d] / v : 0; } break;
		case 0x47: case 0x4f: r[d] |= SRC; break;
		case 0x57: case 0x5f: r[d] &= SRC; break;
		case 0x67: case 0x6f: r[d] <<= (SRC & 63); break;
		case 0x77: case 0x7f: r[d] >>= (SRC & 63); break;
		case 0x87: r[d] = -r[d]; break;
		case 0x97: case 0x9f: { uint64_t v = SRC; r[d] = v ? r[d] % v : r[d]; } break;
		case 0xa7: case 0xaf: r[d] ^= SRC; break;
		case 0xb7: case 0xbf: r[d] = SRC; break;
		case 0xc7: case 0xcf: r[d] = (uint64_t)((int64_t)r[d] >> (SRC & 63)); break;
		/* ALU32 */
		case 0x04: case 0x0c: r[d] = (uint32_t)((uint32_t)r[d] + SRC32); break;
		case 0x14: case 0x1c: r[d] = (uint32_t)((uint32_t)r[d] - SRC32); break;
		case 0x24: case 0x2c: r[d] = (uint32_t)((uint32_t)r[d] * SRC32); break;
		case 0x34: case 0x3c: { uint32_t v = SRC32; r[d] = v ? (uint32_t)r[d] / v : 0; } break;
		case 0x44: case 0x4c: r[d] = (uint32_t)r[d] | SRC32; break;
		case 0x54: case 0x5c: r[d] = (uint32_t)r[d] & SRC32; break;
		case 0x64: case 0x6c: r[d] = (uint32_t)((uint32_t)r[d] << (SRC32 & 31)); break;
		case 0x74: case 0x7c: r[d] = (uint32_t)r[d] >> (SRC32 & 31); break;
		case 0x84: r[d] = (uint32_t)-(uint32_t)r[d]; break;
		case 0x94: case 0x9c: { uint32_t v = SRC32; r[d] = v ? (uint32_t)r[d] % v : (uint32_t)r[d]; } break;
		case 0xa4: case 0xac: r[d] = (uint32_t)r[d] ^ SRC32; break;
		case 0xb4: case 0xbc: r[d] = SRC32; break;
		case 0xc4: case 0xcc: r[d] = (uint32_t)((int32_t)r[d] >> (SRC32 & 31)); break;
		case 0xd4: r[d] = i.imm == 16 ? (uint16_t)r[d] : i.imm == 32 ? (uint32_t)r[d] : r[d]; break;
		case 0xdc: r[d] = i.imm == 16 ? __builtin_bswap16((uint16_t)r[d]) : i.imm == 32 ? __builtin_bswap32((uint32_t)r[d]) : __builtin_bswap64(r[d]); break;
		/* loads and stores */
		case 0x18: r[d] = (uint32_t)i.imm | ((uint64_t)(uint32_t)pc->imm << 32);
			if (s == 1) r[d] = (uint64_t)(uintptr_t)&maps[i.imm];
			pc++; break;
		case 0x61: r[d] = MEM(uint32_t); break;
		case 0x69: r[d] = MEM(uint16_t); break;
		case 0x71: r[d] = MEM(uint8_t); break;
		case 0x79: r[d] = MEM(uint64_t); break;
		case 0x63: DST(uint32_t) = (uint32_t)r[s]; break;
		case 0x6b: DST(uint16_t) = (uint16_t)r[s]; break;
		case 0x73: DST(uint8_t) = (uint8_t)r[s]; break;
		case 0x7b: DST(uint64_t) = r[s]; break;
		case 0x62: DST(uint32_t) = (uint32_t)i.imm; break;
		case 0x6a: DST(uint16_t) = (uint16_t)i.imm; break;
		case 0x72: DST(uint8_t) = (uint8_t)i.imm; break;
		case 0x7a: DST(uint64_t) = imm; break;
		case 0xc3: if (i.imm != 0) goto bad; __atomic_fetch_add(&DST(uint32_t), (uint32_t)r[s], __ATOMIC_SEQ_CST); break;
		case 0xdb: if (i.imm != 0) goto bad; __atomic_fetch_add(&DST(uint64_t), r[s], __ATOMIC_SEQ_CST); break;
		/* jumps */
		case 0x05: pc += i.off; break;
#define J(o64, o32, cond64, cond32) \
		case o64: case o64 | 8: if (cond64) pc += i.off; break; \
		case o32: case o32 | 8: if (cond32) pc += i.off; break;
		J(0x15, 0x16, r[d] == SRC, (uint32_t)r[d] == SRC32)
		J(0x25, 0x26, r[d] > SRC, (uint32_t)r[d] > SRC32)
		J(0x35, 0x36, r[d] >= SRC, (uint32_t)r[d] >= SRC32)
		J(0x45, 0x46, r[d] & SRC, (uint32_t)r[d] & SRC32)
		J(0x55, 0x56, r[d] != SRC, (uint32_t)r[d] != SRC32)
		J(0x65, 0x66, (int64_t)r[d] > (int64_t)SRC, (int32_t)r[d] > (int32_t)SRC32)
		J(0x75, 0x76, (int64_t)r[d] >= (int64_t)SRC, (int32_t)r[d] >= (int32_t)SRC32)
		J(0xa5, 0xa6, r[d] < SRC, (uint32_t)r[d] < SRC32)
		J(0xb5, 0xb6, r[d] <= SRC, (uint32_t)r[d] <= SRC32)
		J(0xc5, 0xc6, (int64_t)r[d] < (int64_t)SRC, (int32_t)r[d] < (int32_t)SRC32)
		J(0xd5, 0xd6, (int64_t)r[d] <= (int64_t)SRC, (int32_t)r[d] <= (int32_t)SRC32)
		case 0x85:
			if (i.imm == 1) r[0] = map_lookup((struct map *)(uintptr_t)r[1], (uint8_t *)(uintptr_t)r[2]);
			else if (i.imm == 2) r[0] = map_update((struct map *)(uintptr_t)r[1], (uint8_t *)(uintptr_t)r[2], (uint8_t *)(uintptr_t)r[3], r[4]);
			else goto bad;
			break;
		case 0x95: return r[0];
		default: bad:
			fprintf(stderr, "cinterp: unsupported instruction 0x%02x imm %d at %ld\n", i.op, i.imm, (long)(pc - prog - 1));
			exit(2);
		}
	}
}

static uint32_t rd32(FILE *f) { uint32_t v; if (fread(&v, 4, 1, f) != 1) { fprintf(stderr, "cinterp: truncated input\n"); exit(2); } return v; }

int main(int argc, char **argv) {
	if (argc != 3) { fprintf(stderr, "usage: cinterp FILE REPEAT\n"); return 2; }
	FILE *f = fopen(argv[1], "rb");
	if (!f) { perror(argv[1]); return 2; }
	uint32_t n = rd32(f), nmaps = rd32(f);
	for (uint32_t k = 0; k < nmaps && k < 64; k++) {
		struct map *m = &maps[k + 1]; /* map ids start at 1 */
		m->type = rd32(f); m->ks = rd32(f); m->vs = rd32(f); m->max = rd32(f);
		m->keys = calloc((size_t)m->max * 2, m->ks + 1);
		m->vals = calloc((size_t)m->max * 2, m->vs);
	}
	struct insn *prog = malloc(n * 8);
	if (fread(prog, 8, n, f) != n) { fprintf(stderr, "cinterp: truncated program\n"); return 2; }
	uint32_t len = rd32(f);
	uint8_t *frame = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (frame == MAP_FAILED || len > 4096 - 256 - 320) { fprintf(stderr, "cinterp: bad frame\n"); return 2; }
	if (fread(frame + 256, 1, len, f) != len) { fprintf(stderr, "cinterp: truncated packet\n"); return 2; }
	struct xdp_md ctx = { (uint32_t)(uintptr_t)(frame + 256), (uint32_t)(uintptr_t)(frame + 256 + len), (uint32_t)(uintptr_t)(frame + 256), 1, 0, 0 };
	long repeat = atol(argv[2]);
	uint64_t ret = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long k = 0; k < repeat; k++) ret = run(prog, &ctx);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)repeat;
	printf("%u %.1f\n", (uint32_t)ret, ns);
	return 0;
}
