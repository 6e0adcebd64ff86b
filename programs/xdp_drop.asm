# The tutorial's simplest program, in LLVM assembly syntax: drop every packet.
# Same section (`xdp_drop`) and program name (`xdp_drop_prog`) as fixtures/c/xdp_drop.c.
#
#   xdpts build programs/xdp_drop.asm -o xdp_drop.o

.section xdp_drop,"ax",@progbits
.globl xdp_drop_prog
xdp_drop_prog:
	r0 = 1          # XDP_DROP
	exit

.license "GPL"
