/*
 * bpf-verify: the real kernel verifier as an oracle for xdpts' differential tests.
 *
 * Reads programs from stdin, one block each:
 *   prog NAME
 *   map TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES FLAGS     (0 or more; indexed from 0)
 *   insn CODE DST SRC OFF IMM                          (raw 8-byte slots; lddw = 2 lines)
 *   end
 * An lddw with src_reg BPF_PSEUDO_MAP_FD (1) or BPF_PSEUDO_MAP_VALUE (2) holds a map index in
 * imm; it is patched with the created map's fd. Each program is loaded as BPF_PROG_TYPE_XDP with
 * license GPL: once with log_level 0 for the verdict (the log cannot turn it into ENOSPC), then
 * with log_level 1 into a 1 MiB rotating log, whose tail holds the error.
 * Output per program:
 *   === NAME
 *   verdict OK | verdict ERRNO
 *   <log lines>
 *   === end
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <linux/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_INSNS 1000000
#define MAX_MAPS 16
#define LOG_SIZE (1 << 20)

static struct bpf_insn insns[MAX_INSNS];

/*
 * Callbacks (bpf_loop, bpf_for_each_map_elem) need BTF func_info ("missing btf func_info"):
 * a minimal BTF with `int` and one static FUNC `int fN(void)` per subprogram is enough.
 */
static int subprog_starts(int n, int *starts) {
  int cnt = 1;
  starts[0] = 0;
  for (int k = 0; k < n; k++) {
    int t = -1;
    if (insns[k].code == (BPF_JMP | BPF_CALL) && insns[k].src_reg == BPF_PSEUDO_CALL) t = k + insns[k].imm + 1;
    if (insns[k].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[k].src_reg == BPF_PSEUDO_FUNC) t = k + insns[k].imm + 1;
    if (t <= 0 || t >= n) continue;
    int dup = 0;
    for (int j = 0; j < cnt; j++) dup |= starts[j] == t;
    if (!dup && cnt < 64) starts[cnt++] = t;
  }
  for (int a = 1; a < cnt; a++)
    for (int b = a; b > 0 && starts[b] < starts[b - 1]; b--) { int x = starts[b]; starts[b] = starts[b - 1]; starts[b - 1] = x; }
  return cnt;
}

static int load_func_btf(int cnt) {
  static unsigned char buf[8192];
  unsigned int types[4 + 3 + 64 * 3], nt = 0;
  char strs[1024];
  int sl = 0;
  strs[sl++] = 0;
  int int_name = sl; sl += sprintf(strs + sl, "int") + 1;
  types[nt++] = int_name; types[nt++] = 1u << 24; types[nt++] = 4; types[nt++] = (1u << 24) | 32;
  types[nt++] = 0; types[nt++] = 13u << 24; types[nt++] = 1;
  for (int k = 0; k < cnt; k++) {
    int nm = sl; sl += sprintf(strs + sl, "f%d", k) + 1;
    types[nt++] = nm; types[nt++] = 12u << 24; types[nt++] = 2;
  }
  struct btf_header h = { .magic = 0xeB9F, .version = 1, .flags = 0, .hdr_len = sizeof(h),
                          .type_off = 0, .type_len = nt * 4, .str_off = nt * 4, .str_len = sl };
  memcpy(buf, &h, sizeof(h));
  memcpy(buf + sizeof(h), types, nt * 4);
  memcpy(buf + sizeof(h) + nt * 4, strs, sl);
  return bpf_btf_load(buf, sizeof(h) + nt * 4 + sl, NULL);
}
static char logbuf[LOG_SIZE];

int main(int argc, char **argv) {
  int log_level = argc > 1 ? atoi(argv[1]) : 1;
  char line[512], name[256] = "";
  int n = 0, nmaps = 0, fds[MAX_MAPS];
  while (fgets(line, sizeof line, stdin)) {
    if (strncmp(line, "prog ", 5) == 0) {
      sscanf(line + 5, "%255s", name);
      n = 0;
      nmaps = 0;
    } else if (strncmp(line, "map ", 4) == 0) {
      unsigned type, ks, vs, max, flags;
      sscanf(line + 4, "%u %u %u %u %u", &type, &ks, &vs, &max, &flags);
      LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = flags);
      /* Named like test/verifier/builder.ts names them, so logs show the same `map=mN`. */
      char mname[16];
      snprintf(mname, sizeof mname, "m%d", nmaps);
      int fd = bpf_map_create(type, mname, ks, vs, max, &mo);
      if (fd < 0) fprintf(stderr, "%s: map %d create failed: %s\n", name, nmaps, strerror(errno));
      if (nmaps < MAX_MAPS) fds[nmaps++] = fd;
    } else if (strncmp(line, "insn ", 5) == 0) {
      int code, dst, src, off, imm;
      sscanf(line + 5, "%d %d %d %d %d", &code, &dst, &src, &off, &imm);
      if (n >= MAX_INSNS) continue;
      struct bpf_insn *i = &insns[n++];
      i->code = code;
      i->dst_reg = dst;
      i->src_reg = src;
      i->off = off;
      i->imm = imm;
    } else if (strncmp(line, "end", 3) == 0) {
      for (int k = 0; k + 1 < n; k++) {
        if (insns[k].code == (BPF_LD | BPF_IMM | BPF_DW)) {
          if ((insns[k].src_reg == BPF_PSEUDO_MAP_FD || insns[k].src_reg == BPF_PSEUDO_MAP_VALUE) &&
              insns[k].imm >= 0 && insns[k].imm < nmaps)
            insns[k].imm = fds[insns[k].imm];
          k++;
        }
      }
      int starts[64], has_func = 0;
      for (int k = 0; k < n; k++) has_func |= insns[k].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[k].src_reg == BPF_PSEUDO_FUNC;
      int nsub = subprog_starts(n, starts);
      struct bpf_func_info finfo[64];
      int btf_fd = -1;
      if (has_func) {
        btf_fd = load_func_btf(nsub);
        if (btf_fd < 0) fprintf(stderr, "%s: BTF load failed: %s\n", name, strerror(errno));
        for (int k = 0; k < nsub; k++) { finfo[k].insn_off = starts[k]; finfo[k].type_id = 3 + k; }
      }
      LIBBPF_OPTS(bpf_prog_load_opts, o0);
      if (btf_fd >= 0) { o0.prog_btf_fd = btf_fd; o0.func_info = finfo; o0.func_info_cnt = nsub; o0.func_info_rec_size = sizeof(finfo[0]); }
      int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, n, &o0);
      int verdict = fd >= 0 ? 0 : errno;
      if (fd >= 0) close(fd);
      logbuf[0] = 0;
      LIBBPF_OPTS(bpf_prog_load_opts, o1, .log_buf = logbuf, .log_size = LOG_SIZE, .log_level = log_level);
      if (btf_fd >= 0) { o1.prog_btf_fd = btf_fd; o1.func_info = finfo; o1.func_info_cnt = nsub; o1.func_info_rec_size = sizeof(finfo[0]); }
      fd = bpf_prog_load(BPF_PROG_TYPE_XDP, name, "GPL", insns, n, &o1);
      if (fd >= 0) close(fd);
      printf("=== %s\n", name);
      if (verdict == 0) printf("verdict OK\n");
      else printf("verdict %s\n", strerrorname_np(verdict) ? strerrorname_np(verdict) : "E?");
      fputs(logbuf, stdout);
      printf("=== end\n");
      fflush(stdout);
      for (int k = 0; k < nmaps; k++) if (fds[k] >= 0) close(fds[k]);
      if (btf_fd >= 0) close(btf_fd);
      nmaps = 0;
      n = 0;
    }
  }
  return 0;
}
