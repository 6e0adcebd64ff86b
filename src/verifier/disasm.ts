/**
 * The kernel's instruction printer (kernel/bpf/disasm.c `print_bpf_insn`), which the verifier
 * log uses and which differs from llvm-objdump: `(b7) r0 = 1`, `(85) call bpf_map_lookup_elem#1`,
 * `(2d) if r2 > r3 goto pc+3`, `(61) r2 = *(u32 *)(r1 +0)`.
 */
import { type Instruction, classify, helperName, jumpOffset, kfuncById, lddwValue } from '../isa';

const ALU_STR: Record<string, string> = {
  add: '+=', sub: '-=', mul: '*=', div: '/=', sdiv: 's/=', or: '|=', and: '&=', lsh: '<<=', rsh: '>>=',
  mod: '%=', smod: 's%=', xor: '^=', arsh: 's>>=',
};
const JMP_STR: Record<string, string> = {
  jeq: '==', jgt: '>', jge: '>=', jset: '&', jne: '!=', jsgt: 's>', jsge: 's>=', jlt: '<', jle: '<=',
  jslt: 's<', jsle: 's<=',
};
const SZ: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
const SSZ: Record<number, string> = { 1: 's8', 2: 's16', 4: 's32', 8: 's64' };
const off = (o: number): string => (o >= 0 ? `+${o}` : `${o}`);
const hex = (v: bigint): string => (v === 0n ? '0x0' : `0x${v.toString(16)}`);

/**
 * Prints one instruction the way the kernel log does, without the `N: ` prefix.
 * `mapName` renders an lddw map reference (the kernel prints the map's kernel address).
 */
export function kernelInsnString(i: Instruction, mapLabel?: string): string {
  const code = `(${i.opcode.toString(16).padStart(2, '0')})`;
  const k = classify(i);
  if (!k) return `${code} unknown opcode`;
  switch (k.kind) {
    case 'alu': {
      const p = k.is64 ? 'r' : 'w';
      const src = k.useReg ? `${p}${i.src}` : `${i.imm}`;
      return `${code} ${p}${i.dst} ${ALU_STR[k.op]} ${src}`;
    }
    case 'mov': {
      const p = k.is64 ? 'r' : 'w';
      return `${code} ${p}${i.dst} = ${k.useReg ? `${p}${i.src}` : i.imm}`;
    }
    case 'movsx': {
      const p = k.is64 ? 'r' : 'w';
      return `${code} ${p}${i.dst} = (s${k.bits})${p}${i.src}`;
    }
    case 'neg': {
      const p = k.is64 ? 'r' : 'w';
      return `${code} ${p}${i.dst} = -${p}${i.dst}`;
    }
    case 'end':
      return `${code} r${i.dst} = ${k.to === 'swap' ? 'bswap' : k.to}${k.bits} r${i.dst}`;
    case 'lddw':
      if (mapLabel !== undefined) return `${code} r${i.dst} = ${mapLabel}`;
      return `${code} r${i.dst} = ${hex(lddwValue(i))}`;
    case 'ldabs':
      return k.indirect
        ? `${code} r0 = *(${SZ[k.size]} *)skb[r${i.src} + ${i.imm}]`
        : `${code} r0 = *(${SZ[k.size]} *)skb[${i.imm}]`;
    case 'ldx':
      return `${code} r${i.dst} = *(${(k.signed ? SSZ : SZ)[k.size]} *)(r${i.src} ${off(i.off)})`;
    case 'st':
      return `${code} *(${SZ[k.size]} *)(r${i.dst} ${off(i.off)}) = ${i.imm}`;
    case 'stx':
      return `${code} *(${SZ[k.size]} *)(r${i.dst} ${off(i.off)}) = r${i.src}`;
    case 'atomic': {
      // kernel/bpf/disasm.c names registers `r` whatever the width: `atomic_fetch_add`, `atomic64_xchg`.
      const fn = k.size === 8 ? 'atomic64' : 'atomic';
      const mem = `(${SZ[k.size]} *)(r${i.dst} ${off(i.off)})`;
      if (!k.fetch) return `${code} lock *${mem} ${ALU_STR[k.op]} r${i.src}`;
      if (k.op === 'cmpxchg') return `${code} r0 = ${fn}_cmpxchg(${mem}, r0, r${i.src})`;
      return `${code} r${i.src} = ${fn}_${k.op}(${mem}, r${i.src})`;
    }
    case 'ja':
      return k.long ? `${code} gotol pc${off(jumpOffset(i))}` : `${code} goto pc${off(i.off)}`;
    case 'jcond': {
      const p = k.is64 ? 'r' : 'w';
      const src = k.useReg ? `${p}${i.src}` : `0x${(i.imm >>> 0).toString(16)}`;
      return `${code} if ${p}${i.dst} ${JMP_STR[k.op]} ${src} goto pc${off(i.off)}`;
    }
    case 'call':
      if (k.pseudo === 1) return `${code} call pc${off(i.imm)}`;
      if (k.pseudo === 2) {
        // The verifier log names a kfunc by its BTF name (print_bpf_insn's call callback).
        const kf = kfuncById(i.imm);
        return kf ? `${code} call ${kf.name}#${i.imm}` : `${code} call kernel-function`;
      }
      return `${code} call ${helperName(i.imm) ? `bpf_${helperName(i.imm)}` : 'unknown'}#${i.imm}`;
    case 'callx':
      return `${code} callx r${i.imm}`;
    case 'exit':
      return `${code} exit`;
    case 'may_goto':
      return `${code} may_goto pc${off(i.off)}`;
    case 'addr_space_cast':
      return `${code} r${i.dst} = addr_space_cast(r${i.src}, 0, 1)`;
  }
}
