import { describe, expect, it } from 'vitest';
import { helperId } from '../../src/isa';
import { HELPER_PROTOS, helperProto, xdpHelperProto } from '../../src/isa/helper-protos';

/** The helpers the runtime implements (the brief's list). */
const RUNTIME = [
  'map_lookup_elem', 'map_update_elem', 'map_delete_elem', 'map_push_elem', 'map_pop_elem', 'map_peek_elem',
  'ktime_get_ns', 'ktime_get_boot_ns', 'get_prandom_u32', 'get_smp_processor_id', 'trace_printk', 'tail_call',
  'redirect', 'redirect_map', 'xdp_adjust_head', 'xdp_adjust_tail', 'xdp_adjust_meta', 'csum_diff', 'fib_lookup',
  'ringbuf_output', 'ringbuf_reserve', 'ringbuf_submit', 'ringbuf_discard', 'ringbuf_query', 'xdp_get_buff_len',
  'xdp_load_bytes', 'xdp_store_bytes', 'loop', 'jiffies64', 'for_each_map_elem',
];

describe('helper prototypes (kernel bpf_func_proto)', () => {
  it('cover every helper the runtime implements, callable from XDP as root', () => {
    for (const n of RUNTIME) {
      const id = helperId(n)!;
      expect(helperProto(id), n).toBeDefined();
      expect(xdpHelperProto(id, true), n).toBeDefined();
    }
  });

  it('transcribe the kernel types of the map helpers', () => {
    const p = helperProto(helperId('map_lookup_elem')!)!;
    expect(p.ret).toBe('RET_PTR_TO_MAP_VALUE_OR_NULL');
    expect(p.args.map((a) => a.type)).toEqual(['ARG_CONST_MAP_PTR', 'ARG_PTR_TO_MAP_KEY']);
    expect(helperProto(helperId('ringbuf_reserve')!)!.args[1]!.type).toBe('ARG_CONST_ALLOC_SIZE_OR_ZERO');
    expect(helperProto(helperId('ringbuf_submit')!)!.args[0]).toEqual({ type: 'ARG_PTR_TO_RINGBUF_MEM', release: true });
  });

  it('gate CAP_BPF / CAP_PERFMON helpers and refuse helpers XDP cannot call', () => {
    expect(xdpHelperProto(helperId('trace_printk')!, false)).toBeUndefined();
    expect(xdpHelperProto(helperId('jiffies64')!, false)).toBeUndefined();
    expect(xdpHelperProto(helperId('skb_store_bytes')!, true)).toBeUndefined();
    expect(xdpHelperProto(99999)).toBeUndefined();
  });

  it('has unique ids and names matching the kernel log (bpf_ prefix)', () => {
    expect(new Set(HELPER_PROTOS.map((p) => p.id)).size).toBe(HELPER_PROTOS.length);
    for (const p of HELPER_PROTOS) expect(p.name).toMatch(/^bpf_[a-z0-9_]+$/);
  });
});
