/*
 * The real kernel's cost of one BPF_PROG_TEST_RUN call per packet (repeat 1), the anchor for the
 * library's per-call `program.run` cost in `npm run bench`: loads the first program of an object
 * with libbpf as XDP, runs it N times on the packet read from a file, prints
 * "<retval> <ns per call> <ns per run as the kernel reports it>".
 *   cc -O2 bench/testrun-percall.c -lbpf -o percall && ./percall prog.o pkt.bin 100000
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s OBJ PACKET_FILE N\n", argv[0]);
		return 2;
	}
	libbpf_set_print(NULL);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return 1;
	struct bpf_program *prog = bpf_object__next_program(obj, NULL);
	if (!prog)
		return 1;
	bpf_program__set_type(prog, BPF_PROG_TYPE_XDP);
	if (bpf_object__load(obj))
		return 1;
	int fd = bpf_program__fd(prog);
	unsigned char pkt[4096], out[4096];
	FILE *f = fopen(argv[2], "rb");
	if (!f)
		return 1;
	size_t len = fread(pkt, 1, sizeof(pkt), f);
	fclose(f);
	long n = atol(argv[3]);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = len, .data_out = out, .data_size_out = sizeof(out), .repeat = 1);
	unsigned long long dur = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		opts.data_size_out = sizeof(out);
		if (bpf_prog_test_run_opts(fd, &opts))
			return 1;
		dur += opts.duration;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	printf("%u %.0f %.0f\n", opts.retval, ns / n, (double)dur / n);
	bpf_object__close(obj);
	return 0;
}
