/**
 * The uBPF-syntax printer: one `Instruction` to the mnemonic text `parseUbpfInstruction` reads
 * back to the same encoding (`add32 %r1, -3`, `ldxh %r0, [%r1+2]`, `jeq %r1, 0x5, +3`,
 * `lock fetch xor32 [%r1], %r2`). Used for round-trip tests and uBPF-style listings.
 */
import { ALU_OPS, ATOMIC_OPS, JMP_COND_OPS, classify, lddwValue, memSizeOf, type Instruction } from '../isa';

function mem(reg: number, off: number): string {
  return off === 0 ? `[%r${reg}]` : off < 0 ? `[%r${reg}-${-off}]` : `[%r${reg}+${off}]`;
}

function jump(off: number): string {
  return off < 0 ? `${off}` : `+${off}`;
}

/**
 * The uBPF text of an instruction, or undefined when uBPF syntax cannot express it (invalid
 * encodings, pseudo lddw, kfunc calls, may_goto, addr_space_cast).
 */
export function formatUbpf(i: Instruction): string | undefined {
  const k = classify(i);
  if (!k) return undefined;
  const w = (is64: boolean): string => (is64 ? '' : '32');
  switch (k.kind) {
    case 'alu': {
      const op = ALU_OPS.find((o) => o.name === k.op)!;
      return `${op.name}${w(k.is64)} %r${i.dst}, ${k.useReg ? `%r${i.src}` : i.imm}`;
    }
    case 'neg':
      return `neg${w(k.is64)} %r${i.dst}`;
    case 'mov':
      return `mov${w(k.is64)} %r${i.dst}, ${k.useReg ? `%r${i.src}` : i.imm}`;
    case 'movsx':
      return `movsx${k.bits}${k.is64 ? '64' : '32'} %r${i.dst}, %r${i.src}`;
    case 'end':
      return `${k.to}${k.bits} %r${i.dst}`; // swap16/32/64, the conformance suite's mnemonic
    case 'lddw':
      return k.pseudo === 0 ? `lddw %r${i.dst}, 0x${lddwValue(i).toString(16)}` : undefined;
    case 'ldabs':
      return k.indirect ? `ldind${memSizeOf(i.opcode).suffix} %r${i.src}, ${i.imm}` : `ldabs${memSizeOf(i.opcode).suffix} ${i.imm}`;
    case 'ldx':
      return `ldx${k.signed ? 's' : ''}${memSizeOf(i.opcode).suffix} %r${i.dst}, ${mem(i.src, i.off)}`;
    case 'st':
      return `st${memSizeOf(i.opcode).suffix} ${mem(i.dst, i.off)}, ${i.imm}`;
    case 'stx':
      return `stx${memSizeOf(i.opcode).suffix} ${mem(i.dst, i.off)}, %r${i.src}`;
    case 'atomic': {
      const op = ATOMIC_OPS.find((o) => o.name === k.op)!;
      const name = op.alu && op.fetch ? `fetch ${op.alu}` : op.name;
      return `lock ${name}${k.size === 4 ? '32' : ''} ${mem(i.dst, i.off)}, %r${i.src}`;
    }
    case 'ja':
      return k.long ? `ja32 ${jump(i.imm)}` : `ja ${jump(i.off)}`;
    case 'jcond': {
      const op = JMP_COND_OPS.find((o) => o.name === k.op)!;
      return `${op.name}${w(k.is64)} %r${i.dst}, ${k.useReg ? `%r${i.src}` : i.imm}, ${jump(i.off)}`;
    }
    case 'call':
      return k.pseudo === 0 ? `call ${i.imm}` : undefined;
    case 'callx':
      return `call %r${i.dst}`;
    case 'exit':
      return 'exit';
    default:
      return undefined;
  }
}
