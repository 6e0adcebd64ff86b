/**
 * Where xdpts' verifier still disagrees with Linux 6.18 on the differential corpus
 * (verifier-corpus.test.ts), each with the reason (the class, then the kernel's and xdpts' words).
 * The test fails when a listed program stops disagreeing: take it off its list in the commit
 * that fixes it. The classes are described in /work/findings/verifier-disagreements.md.
 */

/** Programs the kernel refuses and xdpts accepts (target: none). */
export const KNOWN_WRONG_ACCEPTS: Record<string, string> = {
  'atomics/at_var_off_stack':
    'A13 atomic op on a variable-offset stack pointer - kernel: EACCES variable offset stack pointer cannot be passed into helper function; var_off=(0x0; 0x8) off=-16 size=8; xdpts: OK',
  'calls/call_global_ptr_arg':
    'A10 global subprogram args come from its BTF prototype: int f(void) has no readable R1 - kernel: EACCES R1 !read_ok; xdpts: OK',
  'globals/gp_call_scalar_with_ptr':
    'A16 global subprogram arguments are checked against its BTF prototype (scalar, sized mem that may be NULL, ctx) - kernel: EINVAL Caller passes invalid args into func#1 (\'gp_scalar\'); xdpts: OK',
};

/** Programs the kernel accepts and xdpts refuses (target: at most 0.5%). */
export const KNOWN_WRONG_REJECTS: Record<string, string> = {
};

/** Both refuse, with a different last error line (target: at least 95% equal). */
export const KNOWN_MESSAGE_GAPS: Record<string, string> = {
  'globals/gp_call_mem_stack_short':
    'A16 global subprogram arguments are checked against its BTF prototype (scalar, sized mem that may be NULL, ctx) - kernel: EINVAL Caller passes invalid args into func#1 (\'gp_mem\'); xdpts: EACCES invalid read from stack R1 off=28 size=4',
  'globals/gp_call_mem_no_check_null':
    'A16 global subprogram arguments are checked against its BTF prototype (scalar, sized mem that may be NULL, ctx) - kernel: EACCES R1 invalid mem access \'mem_or_null\'; xdpts: EACCES R1 invalid mem access \'scalar\'',
  'globals/gp_call_ctx_wrong':
    'A16 global subprogram arguments are checked against its BTF prototype (scalar, sized mem that may be NULL, ctx) - kernel: EINVAL Caller passes invalid args into func#1 (\'gp_ctx\'); xdpts: EACCES invalid read from stack R1 off=12 size=4',
  'map_value/mv_lookup_ringbuf':
    'kernel: EACCES invalid zero-sized read; xdpts: EACCES cannot pass map_type 27 into func bpf_map_lookup_elem#1',
  'raw/raw_opcode_00':
    'kernel: EINVAL Invalid insn code at line_info[0].insn_off; xdpts: EINVAL unknown opcode 00',
  'raw/raw_mov_imm_off_set':
    'kernel: EINVAL BPF_MOV uses reserved fields; xdpts: EINVAL unknown opcode b7',
  'raw/raw_mov_reg_off_bad':
    'kernel: EINVAL BPF_MOV uses reserved fields; xdpts: EINVAL unknown opcode bf',
  'raw/raw_movsx_off_bad':
    'kernel: EINVAL BPF_MOV uses reserved fields; xdpts: EINVAL unknown opcode bf',
  'raw/raw_sdiv_off_bad':
    'kernel: EINVAL BPF_ALU uses reserved fields; xdpts: EINVAL unknown opcode 37',
  'raw/raw_end_imm_8':
    'kernel: EINVAL BPF_END uses reserved fields; xdpts: EINVAL unknown opcode d4',
  'raw/raw_end_imm_24':
    'kernel: EINVAL BPF_END uses reserved fields; xdpts: EINVAL unknown opcode dc',
  'raw/raw_jeq_imm_src_set':
    'kernel: EINVAL BPF_JMP/JMP32 uses reserved fields; xdpts: EINVAL BPF_JMP uses reserved fields',
  'raw/raw_call_helper_0':
    'R1 base helpers (bpf_base_func_proto: probe_read_kernel, strtol, ktime_get_coarse_ns, check_mtu, perf_event_output ...) missing for XDP - kernel: EINVAL program of this type cannot use helper bpf_unspec#0; xdpts: EINVAL invalid func unknown#0',
  'raw/raw_call_kfunc_bad_id':
    'kernel: EINVAL kernel btf_id 1 is not a function; xdpts: EINVAL xdpts: kfunc #1 is not emulated',
  'raw/raw_xadd_bad_imm':
    'kernel: EINVAL BPF_ATOMIC uses invalid atomic opcode 42; xdpts: EINVAL unknown opcode db',
  'raw/raw_atomic_u16':
    'kernel: EINVAL invalid atomic operand size; xdpts: EINVAL unknown opcode cb',
  'raw/raw_ldx_mem_r10_write':
    'kernel: EACCES frame pointer is read only; xdpts: EACCES invalid bpf_context access off=0 size=8',
};

/** Both accept, with a different processed-instruction or state count (target: at least 90% equal). */
export const KNOWN_COUNT_GAPS: Record<string, string> = {
  'calls/call_global_r0_is_unknown':
    'kernel 8 insns/0 states, xdpts 6/0',
  'globals/gl_tail_call_in_subprog':
    'C2 global subprograms and tail calls in subprograms: the kernel counts differ by one or two - kernel 8 insns/1 states, xdpts 7/0',
  'globals/gp_call_mem_stack_uninit':
    'C2 global subprograms and tail calls in subprograms: the kernel counts differ by one or two - kernel 9 insns/1 states, xdpts 8/1',
  'globals/gp_call_mem_null':
    'C2 global subprograms and tail calls in subprograms: the kernel counts differ by one or two - kernel 8 insns/1 states, xdpts 6/0',
  'globals/gp_call_mem_value':
    'C2 global subprograms and tail calls in subprograms: the kernel counts differ by one or two - kernel 17 insns/1 states, xdpts 16/1',
  'globals/gp_call_mem_value_or_null':
    'C2 global subprograms and tail calls in subprograms: the kernel counts differ by one or two - kernel 14 insns/1 states, xdpts 15/1',
  'globals/gp_call_mem_pkt':
    'C2 global subprograms and tail calls in subprograms: the kernel counts differ by one or two - kernel 15 insns/1 states, xdpts 14/1',
  'map_value/mv_null_spill_check_fill':
    'kernel 13 insns/1 states, xdpts 14/1',
};
