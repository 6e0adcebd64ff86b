/**
 * The types of a helper prototype (`struct bpf_func_proto`, include/linux/bpf.h) and the
 * builder the prototype table uses.
 */
import { helperId } from './helpers';

/** Argument types (`enum bpf_arg_type`, include/linux/bpf.h), with flags folded in as fields. */
export type HelperArgType =
  | 'ARG_DONTCARE'
  | 'ARG_CONST_MAP_PTR'
  | 'ARG_PTR_TO_MAP_KEY'
  | 'ARG_PTR_TO_MAP_VALUE'
  /** ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE (the older ARG_PTR_TO_UNINIT_MAP_VALUE). */
  | 'ARG_PTR_TO_UNINIT_MAP_VALUE'
  | 'ARG_PTR_TO_MEM'
  /** ARG_PTR_TO_FIXED_SIZE_MEM: memory of `size` bytes without a size argument. */
  | 'ARG_PTR_TO_FIXED_SIZE_MEM'
  | 'ARG_CONST_SIZE'
  | 'ARG_CONST_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_CTX'
  | 'ARG_ANYTHING'
  | 'ARG_PTR_TO_FUNC'
  | 'ARG_PTR_TO_STACK_OR_NULL'
  | 'ARG_PTR_TO_RINGBUF_MEM'
  | 'ARG_CONST_ALLOC_SIZE_OR_ZERO'
  | 'ARG_PTR_TO_SPIN_LOCK'
  | 'ARG_PTR_TO_TIMER'
  | 'ARG_PTR_TO_CONST_STR'
  | 'ARG_PTR_TO_BTF_ID_SOCK_COMMON'
  | 'ARG_PTR_TO_SOCK_COMMON'
  | 'ARG_PTR_TO_BTF_ID'
  | 'ARG_PTR_TO_PERCPU_BTF_ID'
  | 'ARG_KPTR_XCHG_DEST'
  | 'ARG_PTR_TO_DYNPTR';

/** One argument: its base type and the type flags the kernel ORs into it. */
export interface HelperArg {
  readonly type: HelperArgType;
  /** MEM_RDONLY: the helper only reads the memory, so read-only memory is accepted. */
  readonly rdonly?: boolean;
  /** MEM_UNINIT: the helper writes the memory, which need not be initialised. */
  readonly uninit?: boolean;
  /** PTR_MAYBE_NULL: NULL (a known zero scalar) is accepted. */
  readonly maybeNull?: boolean;
  /** OBJ_RELEASE: the call releases the reference the argument holds. */
  readonly release?: boolean;
  /** ARG_PTR_TO_FIXED_SIZE_MEM: `argN_size`. */
  readonly size?: number;
  /** MEM_ALIGNED: the pointer must be aligned to `size` (check_ptr_alignment, strict). */
  readonly aligned?: boolean;
}

/** Return types (`enum bpf_return_type`). */
export type HelperRetType =
  | 'RET_INTEGER'
  | 'RET_VOID'
  | 'RET_PTR_TO_MAP_VALUE_OR_NULL'
  | 'RET_PTR_TO_RINGBUF_MEM_OR_NULL'
  | 'RET_PTR_TO_SOCKET_OR_NULL'
  | 'RET_PTR_TO_SOCK_COMMON_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_OR_NULL'
  | 'RET_PTR_TO_BTF_ID_TRUSTED'
  | 'RET_PTR_TO_MEM_OR_BTF_ID'
  | 'RET_PTR_TO_DYNPTR_MEM_OR_NULL';

/** A helper's prototype (`struct bpf_func_proto`). */
export interface HelperProto {
  readonly id: number;
  /** Kernel function name (`bpf_map_lookup_elem`), as the verifier log prints it. */
  readonly name: string;
  readonly gplOnly: boolean;
  readonly ret: HelperRetType;
  /** Arguments r1..r5; missing entries are ARG_DONTCARE. */
  readonly args: readonly HelperArg[];
  /** Capability `bpf_base_func_proto` requires beyond CAP_SYS_ADMIN-less loading, if any. */
  readonly cap?: 'CAP_BPF' | 'CAP_PERFMON';
  /** True when the helper may change packet data (`bpf_helper_changes_pkt_data`). */
  readonly changesPktData?: boolean;
  /** `.pkt_access`: memory arguments may point into the packet. */
  readonly pktAccess?: boolean;
  /** `.might_sleep`: refused in a non-sleepable program such as XDP. */
  readonly mightSleep?: boolean;
}

/** Optional fields of a prototype in the table. */
export type HelperProtoExtra = Partial<Pick<HelperProto, 'gplOnly' | 'cap' | 'changesPktData' | 'pktAccess' | 'mightSleep'>>;

/** Builds one prototype from its kernel name (without `bpf_`), checking the id exists. */
export function defineProto(name: string, ret: HelperRetType, args: HelperArg[], extra: HelperProtoExtra = {}): HelperProto {
  const id = helperId(name);
  if (id === undefined) throw new Error(`helper-protos: unknown helper ${name}`);
  return { id, name: `bpf_${name}`, ...extra, gplOnly: extra.gplOnly ?? false, ret, args };
}

