/*
 * bpf-verify-obj: the real kernel verifier's verdict on every program of compiled ELF objects,
 * for xdpts' differential corpus (test/oracle/verifier-corpus.test.ts) and its generator.
 *
 * Reads lines from stdin, `OBJECT.o PROGRAM` (one program of one object each; `*` for each
 * program of the object in turn), and loads that program alone (every other program of the object has autoload off) as BPF_PROG_TYPE_XDP:
 * once with log_level 0 for the verdict and errno, then with log_level 1 into a 1 MiB log for
 * the message and the `processed N insns ... total_states N` line. libbpf creates the object's
 * maps and resolves its relocations, subprograms and BTF as it does for any user.
 * Output per program:
 *   === OBJECT PROGRAM
 *   verdict OK | verdict ERRNO
 *   <log lines>
 *   === end
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_SIZE (1 << 20)
static char logbuf[LOG_SIZE];

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap) {
  (void)level, (void)fmt, (void)ap;
  return 0;
}

/* Opens OBJ with only PROG loadable, at LOG_LEVEL; returns 0 or the load's errno. */
static int load_one(const char *obj, const char *prog, int log_level, int *found) {
  struct bpf_object *o = bpf_object__open_file(obj, NULL);
  if (!o) return errno ? errno : EINVAL;
  struct bpf_program *p;
  *found = 0;
  bpf_object__for_each_program(p, o) {
    int me = strcmp(bpf_program__name(p), prog) == 0;
    bpf_program__set_autoload(p, me);
    if (!me) continue;
    *found = 1;
    bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
    bpf_program__set_expected_attach_type(p, 0);
    if (log_level) {
      logbuf[0] = 0;
      bpf_program__set_log_buf(p, logbuf, LOG_SIZE);
      bpf_program__set_log_level(p, log_level);
    }
  }
  int err = *found ? bpf_object__load(o) : -ENOENT;
  bpf_object__close(o);
  return err < 0 ? -err : 0;
}

/* Loads PROG of OBJ at both log levels and prints its block. */
static void run(const char *obj, const char *prog) {
  int found;
  int verdict = load_one(obj, prog, 0, &found);
  load_one(obj, prog, 1, &found);
  printf("=== %s %s\n", obj, prog);
  if (!found) printf("verdict ENOENT\n");
  else if (verdict == 0) printf("verdict OK\n");
  else printf("verdict %s\n", strerrorname_np(verdict) ? strerrorname_np(verdict) : "E?");
  if (found) fputs(logbuf, stdout);
  printf("\n=== end\n");
  fflush(stdout);
}

int main(void) {
  libbpf_set_print(quiet);
  char line[4096], obj[2048], prog[512];
  while (fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%2047s %511s", obj, prog) != 2) continue;
    if (strcmp(prog, "*") != 0) {
      run(obj, prog);
      continue;
    }
    struct bpf_object *o = bpf_object__open_file(obj, NULL);
    if (!o) {
      printf("=== %s *\nverdict %s\n\n=== end\n", obj, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
      continue;
    }
    struct bpf_program *p;
    bpf_object__for_each_program(p, o) run(obj, bpf_program__name(p));
    bpf_object__close(o);
  }
  return 0;
}
