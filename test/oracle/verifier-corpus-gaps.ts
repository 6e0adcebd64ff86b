/**
 * Where xdpts' verifier still disagrees with Linux 6.18 on the differential corpus
 * (verifier-corpus.test.ts), each with the reason (the class, then the kernel's and xdpts' words).
 * The test fails when a listed program stops disagreeing: take it off its list in the commit
 * that fixes it. The classes are described in /work/findings/verifier-disagreements.md.
 */

/** Programs the kernel refuses and xdpts accepts (target: none). */
export const KNOWN_WRONG_ACCEPTS: Record<string, string> = {
  'map_value/mv_rd_wo_refused':
    'BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG map flags ignored - kernel: EACCES read from map forbidden, value_size=48 off=0 size=8; xdpts: OK',
  'map_value/mv_wr_ro_refused':
    'BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG map flags ignored - kernel: EACCES write into map forbidden, value_size=48 off=0 size=8; xdpts: OK',
  'map_value/mv_st_imm_ro':
    'BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG map flags ignored - kernel: EACCES write into map forbidden, value_size=48 off=0 size=4; xdpts: OK',
  'map_value/mv_atomic_ro':
    'BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG map flags ignored - kernel: EACCES write into map forbidden, value_size=48 off=0 size=8; xdpts: OK',
};

/** Programs the kernel accepts and xdpts refuses (target: at most 0.5%). */
export const KNOWN_WRONG_REJECTS: Record<string, string> = {
  'map_value/mv_array_const_key_reg':
    'ARRAY lookup with an in-bounds constant key is non-NULL - kernel: OK ; xdpts: EACCES R0 invalid mem access \'map_value_or_null\'',
  'map_value/mv_array_const_key_imm':
    'ARRAY lookup with an in-bounds constant key is non-NULL - kernel: OK ; xdpts: EACCES R0 invalid mem access \'map_value_or_null\'',
  'packet/pkt_var_off_negative':
    'kernel: OK ; xdpts: EACCES math between pkt pointer and register with unbounded min value is not allowed',
  'stack/stk_probe_read_into_stack':
    'base helpers (bpf_base_func_proto: probe_read_kernel, strtol, ...) missing for XDP - kernel: OK ; xdpts: EINVAL program of this type cannot use helper bpf_probe_read_kernel#113',
  'stack/stk_probe_read_size_zero':
    'base helpers (bpf_base_func_proto: probe_read_kernel, strtol, ...) missing for XDP - kernel: OK ; xdpts: EINVAL program of this type cannot use helper bpf_probe_read_kernel#113',
  'stack/stk_strtol_ptr_res':
    'base helpers (bpf_base_func_proto: probe_read_kernel, strtol, ...) missing for XDP - kernel: OK ; xdpts: EINVAL program of this type cannot use helper bpf_strtol#105',
};

/** Both refuse, with a different last error line (target: at least 95% equal). */
export const KNOWN_MESSAGE_GAPS: Record<string, string> = {
  'map_value/mv_rd_u32_45':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=45 size=4',
  'map_value/mv_rd_u32_48':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=48 size=4',
  'map_value/mv_rd_u64_41':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=41 size=8',
  'map_value/mv_rd_u8_48':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=48 size=1',
  'map_value/mv_rd_small_u32_8':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=8 off=8 size=4',
  'map_value/mv_rd_byte_u16_0':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=1 off=0 size=2',
  'map_value/mv_rd_neg_off':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=-4 size=4',
  'map_value/mv_wr_u64_44':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=44 size=8',
  'map_value/mv_var_masked_over':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R7 max value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=63 size=8',
  'map_value/mv_var_umax_check_off1':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R7 max value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=45 size=4',
  'map_value/mv_var_rsh':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R7 max value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=63 size=1',
  'map_value/mv_var_neg':
    'kernel: EACCES R7 min value is negative, either use unsigned index or do a if (index >=0) check.; xdpts: EACCES math between map_value pointer and register with unbounded min value is not allowed',
  'map_value/mv_var_then_const_off':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R7 max value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=47 size=8',
  'map_value/mv_var_then_const_off_over':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R7 max value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=48 size=8',
  'map_value/mv_ptr_as_key_off_end':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 min value is outside of the allowed memory range; xdpts: EACCES invalid access to map value, value_size=48 off=46 size=4',
  'map_value/mv_lookup_ringbuf':
    'kernel: EACCES invalid zero-sized read; xdpts: EACCES cannot pass map_type 27 into func bpf_map_lookup_elem#1',
  'packet/pkt_rd_u8_past':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)',
  'packet/pkt_rd_u16_straddle':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=13 size=2, R2(id=0,off=13,r=14)',
  'packet/pkt_rd_u32_past':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=17 size=4, R2(id=0,off=17,r=20)',
  'packet/pkt_rd_u64_past':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=1 size=8, R2(id=0,off=1,r=8)',
  'packet/pkt_rd_neg_off':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=-1 size=1, R2(id=0,off=-1,r=8)',
  'packet/pkt_rd_zero_check':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'packet/pkt_rd_over_max_check':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'packet/pkt_wr_u8_past':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=14 size=1, R2(id=0,off=14,r=14)',
  'packet/pkt_wr_u32_past':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=5 size=4, R2(id=0,off=5,r=8)',
  'packet/pkt_cmp_gt_wrong_side':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=8, R2(id=0,off=0,r=0)',
  'packet/pkt_cmp_ge_taken_one_less':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=4 size=4, R2(id=0,off=4,r=0)',
  'packet/pkt_cmp_jmp32_no_range':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'packet/pkt_cmp_eq_no_range':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'packet/pkt_no_check':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'packet/pkt_ptr_sub_ptr_len':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'packet/pkt_data_sub_const':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=-8 size=1, R2(id=0,off=-8,r=8)',
  'packet/pkt_range_advanced_ptr_oob':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R4 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=14 size=1, R4(id=0,off=14,r=14)',
  'packet/pkt_var_off_no_recheck':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=4, R2(id=1,off=0,r=0)',
  'packet/pkt_var_off_ihl_short_check':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R4 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=16 size=2, R4(id=1,off=16,r=16)',
  'packet/pkt_var_off_large_mask':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=1,off=0,r=0)',
  'packet/meta_read_no_check':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'packet/meta_read_past_data':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=8 size=1, R2(id=0,off=8,r=8)',
  'packet/meta_checked_against_end':
    'last line: xdpts reports the first of the kernel\'s two lines - kernel: EACCES R2 offset is outside of the packet; xdpts: EACCES invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)',
  'stack/stk_u64_m4_misaligned':
    'misaligned stack access not detected - kernel: EACCES misaligned stack access off 0+0+-4 size 8; xdpts: EACCES invalid write to stack R10 off=-4 size=8',
  'stack/stk_var_read_past_init':
    'variable-offset stack message: kernel prints the fixed offset (and EINVAL) - kernel: EINVAL invalid variable-offset read from stack R2 var_off=(0x0; 0x1f) off=-24 size=1; xdpts: EACCES invalid variable-offset read from stack R2 var_off=(0x0; 0x1f) off=8 size=1',
  'stack/stk_var_read_crosses_top':
    'variable-offset stack message: kernel prints the fixed offset (and EINVAL) - kernel: EINVAL invalid variable-offset read from stack R2 var_off=(0x0; 0xf) off=-8 size=1; xdpts: EACCES invalid variable-offset read from stack R2 var_off=(0x0; 0xf) off=0 size=1',
  'stack/stk_var_write_crosses_top':
    'variable-offset stack message: kernel prints the fixed offset (and EINVAL) - kernel: EINVAL invalid variable-offset write to stack R2 var_off=(0x0; 0xf) off=-8 size=1; xdpts: EACCES invalid variable-offset write to stack R2 var_off=(0x0; 0xf) off=0 size=1',
  'stack/stk_var_write_big_range':
    'variable-offset stack message: kernel prints the fixed offset (and EINVAL) - kernel: EACCES invalid variable-offset write to stack R2 var_off=(0x0; 0xfff) off=-4096 size=1; xdpts: EACCES invalid variable-offset write to stack R2 var_off=(0x0; 0xfff) off=0 size=1',
  'stack/stk_probe_read_too_big':
    'base helpers (bpf_base_func_proto: probe_read_kernel, strtol, ...) missing for XDP - kernel: EINVAL invalid write to stack R1 off=-16 size=24; xdpts: EINVAL program of this type cannot use helper bpf_probe_read_kernel#113',
  'stack/stk_strtol_res_misaligned':
    'base helpers (bpf_base_func_proto: probe_read_kernel, strtol, ...) missing for XDP - kernel: EACCES misaligned stack access off 0+-20+0 size 8; xdpts: EINVAL program of this type cannot use helper bpf_strtol#105',
  'stack/stk_strtol_res_short':
    'base helpers (bpf_base_func_proto: probe_read_kernel, strtol, ...) missing for XDP - kernel: EINVAL invalid write to stack R4 off=-4 size=8; xdpts: EINVAL program of this type cannot use helper bpf_strtol#105',
};

/** Both accept, with a different processed-instruction or state count (target: at least 90% equal). */
export const KNOWN_COUNT_GAPS: Record<string, string> = {
  'alu/alu_bswap16_range':
    'movsx/bswap result range: the kernel knows the check is a dead branch - kernel 5 insns/0 states, xdpts 7/0',
  'alu/alu_le16_range':
    'movsx/bswap result range: the kernel knows the check is a dead branch - kernel 5 insns/0 states, xdpts 7/0',
  'alu/alu_movsx8_range':
    'movsx/bswap result range: the kernel knows the check is a dead branch - kernel 6 insns/0 states, xdpts 10/1',
  'alu/alu_movsx16_range':
    'movsx/bswap result range: the kernel knows the check is a dead branch - kernel 5 insns/0 states, xdpts 7/0',
  'alu/alu_movsx32_range':
    'movsx/bswap result range: the kernel knows the check is a dead branch - kernel 5 insns/0 states, xdpts 7/0',
  'alu/alu_movsx32_w_range':
    'movsx/bswap result range: the kernel knows the check is a dead branch - kernel 5 insns/0 states, xdpts 7/0',
  'map_value/mv_null_spill_check_fill':
    'kernel 13 insns/1 states, xdpts 14/1',
  'stack/stk_var_signed_range':
    'kernel 12 insns/1 states, xdpts 14/1',
};
