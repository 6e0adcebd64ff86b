/**
 * The program tag the kernel shows (`bpftool prog show`, `ip link`, xdp-loader status):
 * kernel/bpf/core.c `bpf_prog_calc_tag` — a hash over the instructions as loaded, in which every
 * map-referencing `ld_imm64` (src_reg BPF_PSEUDO_MAP_FD / BPF_PSEUDO_MAP_VALUE, and their IDX
 * forms) has the imm of both halves zeroed, so the tag does not depend on file descriptors.
 * Linux 6.18 uses SHA-256 (older kernels SHA-1); the tag is the first 8 bytes, in hex.
 */
import { createHash } from 'node:crypto';
import {
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  OP_LDDW,
  encodeInto,
  type Instruction,
} from '../isa';

const MAP_PSEUDOS = new Set([BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE]);

/** The kernel tag of a program (16 hex digits), `algorithm` sha256 as Linux 6.18, or sha1 as before. */
export function programTag(insns: readonly Instruction[], algorithm: 'sha256' | 'sha1' = 'sha256'): string {
  let slots = 0;
  for (const i of insns) slots += i.opcode === OP_LDDW ? 2 : 1;
  const buf = new Uint8Array(slots * 8);
  const view = new DataView(buf.buffer);
  let at = 0;
  for (const i of insns) {
    // The kernel hashes its in-memory (host, little-endian on x86_64) image of the insns.
    const zeroImm = i.opcode === OP_LDDW && MAP_PSEUDOS.has(i.src);
    at += encodeInto(zeroImm ? { ...i, imm: 0, imm2: 0 } : i, view, at, 'le');
  }
  return createHash(algorithm).update(buf).digest('hex').slice(0, 16);
}
