/**
 * Test helper: splits llvm-objdump's instruction lines into (slot index, bytes, text) and
 * computes objdump's `<sym+0x..>` jump decoration for an object with one symbol at 0.
 */
import { formatOrUndefined, branchDisplacement, formatInstruction } from '../../src/asm/printer';
import type { Instruction } from '../../src/isa';

/** One instruction line of `llvm-objdump -d`. */
export interface DumpLine {
  readonly slot: number;
  readonly bytes: string;
  readonly text: string;
}

/** Parses the `%8d:\tbytes\ttext` lines of a dump; other lines are skipped. */
export function dumpLines(out: string): DumpLine[] {
  const res: DumpLine[] = [];
  for (const l of out.split('\n')) {
    const m = /^ {0,7}(\d+):\t([0-9a-f ]+)\t(.*)$/.exec(l);
    if (m) res.push({ slot: Number(m[1]), bytes: m[2]!, text: m[3]! });
  }
  return res;
}

/** objdump's decoration of a branch at `slot` for a section whose only symbol `sym` is at 0. */
export function decoration(i: Instruction, slot: number, sym = 'f'): string | undefined {
  const d = branchDisplacement(i);
  if (d === undefined || formatOrUndefined(i) === undefined) return undefined;
  const target = BigInt.asUintN(64, BigInt(slot + 1 + d) * 8n);
  return target === 0n ? sym : `${sym}+0x${target.toString(16)}`;
}

/** What objdump prints for instruction `i` at `slot` in that single-symbol section. */
export function expectedText(i: Instruction, slot: number): string {
  const target = decoration(i, slot);
  return formatInstruction(i, target === undefined ? {} : { target });
}
