/**
 * Static program checks done before the path walk, in the kernel's order
 * (kernel/bpf/verifier.c): `add_subprog_and_kfunc` (call targets), `check_subprogs` (jumps stay
 * inside their subprogram, each subprogram ends in exit or jmp), `resolve_pseudo_ldimm64`
 * (lddw forms, opcodes) and `check_cfg` (depth-first search: jump range, back-edges for
 * unprivileged loaders, unreachable instructions, jumps into the middle of an lddw).
 */
import { type Instruction, BPF_JMP, BPF_JMP32, OP_LDDW, classify, jumpOffset } from '../isa';
import type { MapSpec } from '../object/types';
import { type LdMapRef, reject } from './env';

/** Subprogram starts in slot order (0 first), from pseudo calls and `lddw rX, func`. */
export function findSubprogs(slots: readonly (Instruction | undefined)[]): number[] {
  const starts = new Set<number>([0]);
  for (let i = 0; i < slots.length; i++) {
    const ins = slots[i];
    if (!ins) continue;
    const isCall = ins.opcode === (BPF_JMP | 0x80) && ins.src === 1;
    const isFunc = ins.opcode === OP_LDDW && ins.src === 4;
    if (!isCall && !isFunc) continue;
    const t = i + ins.imm + 1;
    if (t < 0 || t >= slots.length) reject(isCall ? 'call to invalid destination' : 'invalid bpf_ld_imm64 insn', i, 'EINVAL');
    starts.add(t);
  }
  return [...starts].sort((a, b) => a - b);
}

function isCondOrJa(ins: Instruction): boolean {
  const cls = ins.opcode & 7;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return false;
  const op = ins.opcode & 0xf0;
  return op !== 0x80 && op !== 0x90;
}

/** `check_subprogs`. */
export function checkSubprogs(raw: readonly Instruction[], subprogs: readonly number[]): void {
  let sp = 0;
  let start = 0;
  let end = subprogs[1] ?? raw.length;
  for (let i = 0; i < raw.length; i++) {
    const ins = raw[i]!;
    if (isCondOrJa(ins)) {
      const t = i + jumpOffset(ins) + 1;
      if (t < start || t >= end) reject(`jump out of range from insn ${i} to ${t}`, i, 'EINVAL');
    }
    if (i === end - 1) {
      const ok = ins.opcode === (BPF_JMP | 0x90) || ins.opcode === (BPF_JMP | 0x00) || ins.opcode === (BPF_JMP32 | 0x00);
      if (!ok) reject('last insn is not an exit or jmp', i, 'EINVAL');
      sp++;
      start = end;
      end = subprogs[sp + 1] ?? raw.length;
    }
  }
}

/** `resolve_pseudo_ldimm64`'s checks: lddw forms, map references, unknown opcodes. */
export function checkLdImm(raw: readonly Instruction[], mapRefs: ReadonlyMap<number, LdMapRef>, maps: readonly MapSpec[]): void {
  for (let i = 0; i < raw.length; i++) {
    const ins = raw[i]!;
    if ((ins.opcode & 7) === 0x01 && (ins.imm !== 0 || ((ins.opcode & 0xe0) !== 0x60 && (ins.opcode & 0xe0) !== 0x80))) {
      reject('BPF_LDX uses reserved fields', i, 'EINVAL');
    }
    if (ins.opcode === OP_LDDW) {
      const next = raw[i + 1];
      if (!next || next.opcode !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        reject('invalid bpf_ld_imm64 insn', i, 'EINVAL');
      }
      if (ins.src === 1 || ins.src === 2 || ins.src === 5 || ins.src === 6) {
        if ((ins.src === 1 || ins.src === 5) && next.imm !== 0) reject('unrecognized bpf_ld_imm64 insn', i, 'EINVAL');
        const ref = mapRefs.get(i);
        if (!ref) reject(`fd ${ins.imm} is not pointing to valid bpf_map`, i, 'EBADF');
        const m = maps[ref.map]!;
        // map_direct_value_addr: only single-entry arrays (global data) give a value pointer.
        if (ref.value && (m.type !== 2 || m.maxEntries !== 1 || ref.offset >= m.valueSize)) {
          reject(`invalid access to map value pointer, value_size=${m.valueSize} off=${ref.offset}`, i, 'EINVAL');
        }
      } else if (ins.src !== 0 && ins.src !== 4) reject('unrecognized bpf_ld_imm64 insn', i, 'EINVAL');
      i++;
      continue;
    }
    if (!classify(ins)) {
      if (!validOpcodeByte(ins.opcode)) reject(`unknown opcode ${ins.opcode.toString(16).padStart(2, '0')}`, i, 'EINVAL');
    }
  }
}

/** `bpf_opcode_in_insntable`: is the opcode byte one of the defined instructions? */
function validOpcodeByte(op: number): boolean {
  const cls = op & 7;
  if (cls === 0x04 || cls === 0x07) {
    const code = op & 0xf0;
    if (code === 0xe0 || code === 0xf0) return false;
    if ((code === 0x80 || code === 0xd0) && cls === 0x07 && (op & 8) && code !== 0xd0) return false;
    return !(code === 0xd0 && cls === 0x07 && (op & 8));
  }
  if (cls === 0x05 || cls === 0x06) {
    const code = op & 0xf0;
    if (code === 0xf0) return false;
    if (code === 0x80 || code === 0x90 || code === 0xe0) return cls === 0x05 && !(op & 8) || (code === 0x80 && cls === 0x05);
    return true;
  }
  if (cls === 0x00) return op === OP_LDDW || [0x20, 0x28, 0x30, 0x40, 0x48, 0x50].includes(op);
  if (cls === 0x01) return [0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91].includes(op);
  if (cls === 0x02) return [0x62, 0x6a, 0x72, 0x7a].includes(op);
  if (cls === 0x03) return [0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb].includes(op);
  return false;
}

/** `check_cfg`: DFS over the control-flow graph. */
export function checkCfg(raw: readonly Instruction[], privileged: boolean): void {
  const n = raw.length;
  const state = new Uint8Array(n); // 0 unseen, 1 discovered, 2 explored
  const succ = (t: number): number[] => {
    const ins = raw[t]!;
    const cls = ins.opcode & 7;
    if (ins.opcode === OP_LDDW) return ins.src === 4 ? [t + 2, t + ins.imm + 1] : [t + 2];
    if (cls !== BPF_JMP && cls !== BPF_JMP32) return [t + 1];
    const op = ins.opcode & 0xf0;
    if (op === 0x90) return [];
    if (op === 0x80) return ins.src === 1 && cls === BPF_JMP ? [t + 1, t + ins.imm + 1] : [t + 1];
    const tgt = t + jumpOffset(ins) + 1;
    if (op === 0x00) return [tgt];
    return [t + 1, tgt];
  };
  const stack: { t: number; k: number; s: number[] }[] = [];
  const push = (from: number, w: number): boolean => {
    if (w < 0 || w >= n) reject(`jump out of range from insn ${from} to ${w}`, from, 'EINVAL');
    if (state[w] === 1) {
      if (privileged) return false;
      reject(`back-edge from insn ${from} to ${w}`, from, 'EINVAL');
    }
    if (state[w] === 2) return false;
    state[w] = 1;
    stack.push({ t: w, k: 0, s: succ(w) });
    return true;
  };
  state[0] = 1;
  stack.push({ t: 0, k: 0, s: succ(0) });
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.k < top.s.length) {
      const w = top.s[top.k++]!;
      push(top.t, w);
      continue;
    }
    state[top.t] = 2;
    stack.pop();
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== 2) reject(`unreachable insn ${i}`, i, 'EINVAL');
    if (raw[i]!.opcode === OP_LDDW) {
      if (i + 1 < n && state[i + 1] !== 0) reject(`jump into the middle of ldimm64 insn ${i}`, i, 'EINVAL');
      i++;
    }
  }
}
