import { describe, expect, it } from 'vitest';
import { insn, lddw } from '../../src/isa';
import { programTag } from '../../src/kernel/tag';

// The tags below were read from `bpftool prog show` on Linux 6.18 (shared/reference,
// loader-and-network.md §3.3) and from the tutorial transcripts (SHA-1 era kernels).
describe('program tag', () => {
  const drop = [insn(0xb7, 0, 0, 0, 1), insn(0x95)];
  it('is the first 8 bytes of SHA-256 over the instructions, as Linux 6.18', () => {
    expect(programTag(drop)).toBe('b11459a0e11ca14c');
  });
  it('was SHA-1 on older kernels (the tutorial transcript)', () => {
    expect(programTag(drop, 'sha1')).toBe('57cd311f2e27366b');
  });
  it('zeroes map references so the tag does not depend on fds', () => {
    // The tutorial counter as clang-19 compiles it (lddw of pkt_count with src=BPF_PSEUDO_MAP_FD).
    const counter = (fd: number) => [
      insn(0xb7, 1, 0, 0, 0),
      insn(0x63, 10, 1, -4, 0),
      insn(0xbf, 2, 10, 0, 0),
      insn(0x07, 2, 0, 0, -4),
      { ...lddw(1, BigInt(fd), 1) },
      insn(0x85, 0, 0, 0, 1),
      insn(0x15, 0, 0, 2, 0),
      insn(0xb7, 1, 0, 0, 1),
      insn(0xdb, 0, 1, 0, 0),
      insn(0xb7, 0, 0, 0, 2),
      insn(0x95),
    ];
    expect(programTag(counter(5))).toBe(programTag(counter(77)));
    expect(programTag(counter(5))).toBe('0afa56fcd9325709');
  });
});
