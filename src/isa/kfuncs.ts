/**
 * The kernel functions (kfuncs) an XDP program may call with BPF_PSEUDO_KFUNC_CALL, as data:
 * the name, the id of its FUNC in the emulated kernel's vmlinux BTF (the ids of Linux
 * 6.18.44's /sys/kernel/btf/vmlinux, so `imm` matches what libbpf writes), and whether xdpts
 * emulates it. The object reader resolves `__ksym` externs by name here, the verifier checks
 * calls against the argument kinds, the kernel runs the implementations by id.
 */

/** How the verifier checks one kfunc argument (kernel/bpf/verifier.c check_kfunc_args). */
export type KfuncArg =
  /** `struct xdp_md *ctx`: PTR_TO_CTX. */
  | { readonly kind: 'ctx' }
  /** A pointer to `size` writable bytes (stack, map value, packet) the kfunc fills. */
  | { readonly kind: 'mem'; readonly size: number }
  /** A scalar. */
  | { readonly kind: 'scalar' }
  /**
   * A pointer to memory whose size is the next argument (a `name__sz` parameter): stack, packet
   * or map value, read and written by the kfunc. `struct` is the pointee's type, for messages.
   */
  | { readonly kind: 'mem_size'; readonly struct: string }
  /** The `__sz` scalar after a `mem_size` argument. */
  | { readonly kind: 'size' }
  /** A pointer to a BTF-typed kernel object of this struct (strictly typed, trusted). */
  | { readonly kind: 'btf'; readonly struct: string };

/** What a kfunc returns: an integer, nothing, or a pointer to a kernel struct. */
export type KfuncRet = 'int' | 'void' | { readonly struct: string };

export interface KfuncDef {
  readonly name: string;
  /** Id of the FUNC in vmlinux BTF. */
  readonly btfId: number;
  /** Argument kinds when emulated; absent for a kfunc the kernel has that xdpts does not run. */
  readonly args?: readonly KfuncArg[];
  /**
   * XDP RX metadata kfuncs: the kernel refuses them in a program that is not device-bound
   * (loaded with BPF_F_XDP_DEV_BOUND_ONLY and an ifindex), before walking it.
   */
  readonly devBound?: boolean;
  /** Absent means `int`. */
  readonly ret?: KfuncRet;
  /** KF_ACQUIRE: the result holds a reference the program must release. */
  readonly acquire?: boolean;
  /** KF_RET_NULL: the result may be NULL. */
  readonly retNull?: boolean;
  /** KF_RELEASE: the call ends the reference its BTF-object argument holds. */
  readonly release?: boolean;
}

const ctx: KfuncArg = { kind: 'ctx' };
const mem = (size: number): KfuncArg => ({ kind: 'mem', size });
const memSize = (struct: string): KfuncArg[] => [{ kind: 'mem_size', struct }, { kind: 'size' }];
const btf = (struct: string): KfuncArg => ({ kind: 'btf', struct });
const scalar: KfuncArg = { kind: 'scalar' };
/** `(ctx, struct bpf_sock_tuple *, u32 tuple__sz, struct bpf_ct_opts *, u32 opts__sz)`. */
const CT_ARGS: readonly KfuncArg[] = [ctx, ...memSize('bpf_sock_tuple'), ...memSize('bpf_ct_opts')];
const NF_CONN = { struct: 'nf_conn' };
const NF_CONN_INIT = { struct: 'nf_conn___init' };

/** kfuncs of Linux 6.18 that XDP programs call (net/core/xdp.c, net/netfilter/nf_conntrack_bpf.c, kernel/bpf/helpers.c). */
export const KFUNCS: readonly KfuncDef[] = [
  // XDP RX metadata (xdp_metadata_kfunc_ids): u64 *timestamp; u32 *hash, enum xdp_rss_hash_type *; __be16 *proto, u16 *tci.
  { name: 'bpf_xdp_metadata_rx_timestamp', btfId: 65598, args: [ctx, mem(8)], devBound: true },
  { name: 'bpf_xdp_metadata_rx_hash', btfId: 65595, args: [ctx, mem(4), mem(4)], devBound: true },
  { name: 'bpf_xdp_metadata_rx_vlan_tag', btfId: 65601, args: [ctx, mem(2), mem(2)], devBound: true },
  // Conntrack (net/netfilter/nf_conntrack_bpf.c nf_ct_kfunc_set, with its KF_* flags).
  { name: 'bpf_xdp_ct_lookup', btfId: 65571, args: CT_ARGS, ret: NF_CONN, acquire: true, retNull: true },
  { name: 'bpf_xdp_ct_alloc', btfId: 65568, args: CT_ARGS, ret: NF_CONN_INIT, acquire: true, retNull: true },
  { name: 'bpf_ct_insert_entry', btfId: 63220, args: [btf('nf_conn___init')], ret: NF_CONN, acquire: true, retNull: true, release: true },
  { name: 'bpf_ct_release', btfId: 63223, args: [btf('nf_conn')], ret: 'void', release: true },
  { name: 'bpf_ct_set_timeout', btfId: 63232, args: [btf('nf_conn___init'), scalar], ret: 'void' },
  { name: 'bpf_ct_change_timeout', btfId: 63217, args: [btf('nf_conn'), scalar] },
  { name: 'bpf_ct_set_status', btfId: 63229, args: [btf('nf_conn___init'), scalar] },
  { name: 'bpf_ct_change_status', btfId: 63214, args: [btf('nf_conn'), scalar] },
  // Dynptrs, iterators, casts, NAT setup and xfrm states: known, not emulated yet.
  { name: 'bpf_ct_set_nat_info', btfId: 63226 },
  { name: 'bpf_dynptr_from_xdp', btfId: 63308 },
  { name: 'bpf_dynptr_slice', btfId: 63329 },
  { name: 'bpf_dynptr_slice_rdwr', btfId: 63331 },
  { name: 'bpf_dynptr_adjust', btfId: 63285 },
  { name: 'bpf_dynptr_is_null', btfId: 63313 },
  { name: 'bpf_dynptr_is_rdonly', btfId: 63315 },
  { name: 'bpf_dynptr_size', btfId: 63326 },
  { name: 'bpf_dynptr_clone', btfId: 63290 },
  { name: 'bpf_iter_num_new', btfId: 63675 },
  { name: 'bpf_iter_num_next', btfId: 63678 },
  { name: 'bpf_iter_num_destroy', btfId: 63672 },
  { name: 'bpf_cast_to_kern_ctx', btfId: 62980 },
  { name: 'bpf_rdonly_cast', btfId: 64919 },
  { name: 'bpf_xdp_get_xfrm_state', btfId: 65581 },
  { name: 'bpf_xdp_xfrm_state_release', btfId: 65617 },
];

const byName = new Map(KFUNCS.map((k) => [k.name, k]));
const byId = new Map(KFUNCS.map((k) => [k.btfId, k]));

/** The kfunc of that name, if the emulated kernel has it. */
export function kfuncByName(name: string): KfuncDef | undefined {
  return byName.get(name);
}

/** The kfunc whose vmlinux BTF id is `id`. */
export function kfuncById(id: number): KfuncDef | undefined {
  return byId.get(id);
}

/** The message for a kfunc xdpts does not run (exit 1, distinct from the kernel's refusals). */
export function kfuncNotEmulated(name: string): string {
  return `xdpts: kfunc ${name} is not emulated`;
}
