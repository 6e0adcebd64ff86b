/**
 * Where xdpts' verifier still disagrees with Linux 6.18 on the differential corpus
 * (verifier-corpus.test.ts), each with the reason (the class, then the kernel's and xdpts' words).
 * The test fails when a listed program stops disagreeing: take it off its list in the commit
 * that fixes it. The classes are described in /work/findings/verifier-disagreements.md.
 */

/** Programs the kernel refuses and xdpts accepts (target: none). */
export const KNOWN_WRONG_ACCEPTS: Record<string, string> = {
};

/** Programs the kernel accepts and xdpts refuses (target: at most 0.5%). */
export const KNOWN_WRONG_REJECTS: Record<string, string> = {
  'loops/bl_iter_limit_two':
    'R18 bpf_loop callbacks: xdpts widens what a callback changed between iterations (its stand-in for convergence) where the kernel explores up to R1 iterations while the changed scalar is precise - kernel: OK ; xdpts: EACCES math between map_value pointer and register with unbounded min value is not allowed',
};

/** Both refuse, with a different last error line (target: at least 95% equal). */
export const KNOWN_MESSAGE_GAPS: Record<string, string> = {
  'loops/bl_iter_limit_three_oob':
    'R18 bpf_loop callbacks: xdpts widens what a callback changed between iterations - kernel: EACCES R0 min value is outside of the allowed memory range; xdpts: EACCES math between map_value pointer and register with unbounded min value is not allowed',
  'map_value/mv_lookup_ringbuf':
    'kernel: EACCES invalid zero-sized read; xdpts: EACCES cannot pass map_type 27 into func bpf_map_lookup_elem#1',
  'raw/raw_call_kfunc_bad_id':
    'kernel: EINVAL kernel btf_id 1 is not a function; xdpts: EINVAL xdpts: kfunc #1 is not emulated',
  'raw/raw_atomic_u16':
    'kernel: EINVAL invalid atomic operand size; xdpts: EINVAL unknown opcode cb',
};

/** Both accept, with a different processed-instruction or state count (target: at least 90% equal). */
export const KNOWN_COUNT_GAPS: Record<string, string> = {
  'globals/gl_tail_call_in_subprog':
    'C2 global subprograms and tail calls in subprograms: the kernel counts differ by one or two - kernel 8 insns/1 states, xdpts 7/0',
  'map_value/mv_null_spill_check_fill':
    'kernel 13 insns/1 states, xdpts 14/1',
};
