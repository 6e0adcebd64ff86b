/**
 * The kfuncs the emulated kernel runs (src/isa/kfuncs.ts lists them with their vmlinux BTF
 * ids), handed to the VM by BTF id in HelperTable.kfuncs.
 *
 * XDP RX metadata (net/core/xdp.c): a program that is not bound to a device (no
 * BPF_F_XDP_DEV_BOUND_ONLY, as every BPF_PROG_TEST_RUN and generic-mode program) gets the
 * default implementations, which return -EOPNOTSUPP and leave the outputs untouched.
 * Conntrack (net/netfilter/nf_conntrack_bpf.c): see conntrack.ts.
 */
import { KFUNCS } from '../../isa';
import type { HelperCall, HelperFn } from '../../vm';
import { EOPNOTSUPP } from '../errno';
import { type ConntrackTable, conntrackKfuncs } from './conntrack';

const notSupported: HelperFn = (c: HelperCall) => c.ret(-EOPNOTSUPP);

const METADATA: Record<string, HelperFn> = {
  bpf_xdp_metadata_rx_timestamp: notSupported,
  bpf_xdp_metadata_rx_hash: notSupported,
  bpf_xdp_metadata_rx_vlan_tag: notSupported,
};

/** Every emulated kfunc by its vmlinux BTF id (HelperTable.kfuncs); conntrack ones work on `conntrack`. */
export function kfuncTable(conntrack: ConntrackTable): Map<number, HelperFn> {
  const impl: Record<string, HelperFn> = { ...METADATA, ...conntrackKfuncs(conntrack) };
  const out = new Map<number, HelperFn>();
  for (const k of KFUNCS) {
    const fn = impl[k.name];
    if (fn && k.args) out.set(k.btfId, fn);
  }
  return out;
}
