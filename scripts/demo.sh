#!/usr/bin/env bash
# The main job: the tutorial's flow, end to end, on the emulated network — no root, no kernel.
# Every step prints the command it runs, then what xdpts answers. A private state directory is
# used (and removed) so the demo never touches your own emulated network.
set -uo pipefail
cd "$(dirname "$0")/.."
X="node bin/xdpts"
export XDPTS_STATE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/xdpts-demo.XXXXXX")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/xdpts-demo-obj.XXXXXX")"
trap 'rm -rf "$XDPTS_STATE_DIR" "$WORK"' EXIT
[ -f dist/xdpts.mjs ] || npm run build --silent

step() {
  printf '\n\033[1m$ xdpts %s\033[0m\n' "$*"
  $X "$@"
  local rc=$?
  [ $rc -eq 0 ] || printf '(exit %d)\n' "$rc"
}

echo "== Build the tutorial's programs from assembly, and look at them"
step build programs/xdp_drop.asm -o "$WORK/xdp_drop.o"
step build programs/counter.asm -o "$WORK/counter.o"
step disasm -r "$WORK/counter.o"
step verify "$WORK/counter.o"

echo
echo "== Run them on a packet, as BPF_PROG_TEST_RUN does"
PKT=ffffffffffff0200000000010806000108000604000102000000000100000000000000000000000a000002
step run "$WORK/xdp_drop.o" --packet "$PKT"
step run "$WORK/counter.o" --packet "$PKT" --repeat 1000

echo
echo "== The network: a namespace and a veth pair"
step ip netns add net
step ip link add veth1 type veth peer name veth2 netns net
step ip addr add 192.168.1.1/24 dev veth1
step ip netns exec net ip addr add 192.168.1.2/24 dev veth2
step ip link set veth1 up
step ip netns exec net ip link set veth2 up
step ip route show
step ping -c 3 192.168.1.2

echo
echo "== Attach xdp_drop to veth1: pings die"
step load -m skb -s xdp_drop veth1 "$WORK/xdp_drop.o"
step status
step ip link show veth1
step ping -c 3 192.168.1.2
step ip neigh flush dev veth1
step ping -c 3 192.168.1.2
step unload veth1 --all
step ping -c 1 192.168.1.2

echo
echo "== The counter: attach it, send traffic, read the map"
step load -m skb veth1 "$WORK/counter.o"
step ping -c 5 192.168.1.2
step map dump name pkt_count
step unload veth1 --all
