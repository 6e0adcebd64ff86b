/**
 * The kfuncs the emulated kernel runs (src/isa/kfuncs.ts lists them with their vmlinux BTF
 * ids). They sit in the helper table at their BTF id, far above every helper id, so the VM
 * calls them as it calls helpers.
 *
 * XDP RX metadata (net/core/xdp.c): a program that is not bound to a device (no
 * BPF_F_XDP_DEV_BOUND_ONLY, as every BPF_PROG_TEST_RUN and generic-mode program) gets the
 * default implementations, which return -EOPNOTSUPP and leave the outputs untouched.
 */
import { KFUNCS } from '../../isa';
import type { HelperCall, HelperFn } from '../../vm';
import { EOPNOTSUPP } from '../errno';

const notSupported: HelperFn = (c: HelperCall) => c.ret(-EOPNOTSUPP);

const IMPLEMENTATIONS: Record<string, HelperFn> = {
  bpf_xdp_metadata_rx_timestamp: notSupported,
  bpf_xdp_metadata_rx_hash: notSupported,
  bpf_xdp_metadata_rx_vlan_tag: notSupported,
};

/** Puts every emulated kfunc into a helper table (indexed by id). */
export function installKfuncs(table: (HelperFn | undefined)[]): void {
  for (const k of KFUNCS) {
    const fn = IMPLEMENTATIONS[k.name];
    if (fn && k.args) table[k.btfId] = fn;
  }
}
