/**
 * Programs of an object, found, relocated and linked the way libbpf does it:
 *   - bpf_object__add_programs: each STT_FUNC symbol of an executable section is a function;
 *     functions in `.text` are subprograms, the others are entry programs (a static function
 *     outside `.text` is an error, as in libbpf).
 *   - bpf_program__record_reloc: a relocation at a `call` (src_reg BPF_PSEUDO_CALL) is a
 *     subprogram call (it must point into `.text`); any other relocation must be at an `lddw`:
 *     to a `.text` function → BPF_PSEUDO_FUNC, to an undefined symbol → extern, to `.maps` or
 *     `maps` → BPF_PSEUDO_MAP_FD, to a global data section → BPF_PSEUDO_MAP_VALUE with the
 *     offset (imm + st_value) in the second slot's imm.
 *   - bpf_object__reloc_code: every subprogram reached is appended once after the entry
 *     function, and call/`lddw` immediates are rewritten relative to the linked layout.
 *     Subprogram index: relo ? sym_off/8 + imm + 1 (call) or (sym_off + imm)/8 (lddw of a
 *     function) : caller's slot + imm + 1 (a call inside one section needs no relocation).
 *
 * Objects produced without FUNC symbols (hand-written assembly) are accepted too: a non-.text
 * executable section with no FUNC symbol is one program named after its first global symbol,
 * or after the section; a call that lands inside the calling function stays internal.
 */
import { ObjectError, type Endian } from '../util/index';
import {
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  kfuncByName,
  OP_LDDW,
  decode,
  insn as makeInsn,
  insnWidth,
  type Instruction,
} from '../isa/index';
import { findType, type Btf, type BtfExt, type BtfLineInfo } from '../btf/index';
import {
  SHF_EXECINSTR,
  SHT_PROGBITS,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_NOTYPE,
  STT_OBJECT,
  STT_SECTION,
  R_BPF_NONE,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
} from '../elf/index';
import { isUndefinedSection, type MapLocation } from './maps';
import type { KconfigMap } from './externs';
import { sectionDef } from './sections';
import { applyCoreRelos } from './core-relo';
import { KERNEL_BTF_VMLINUX_IDS, kernelBtf } from './kernel-btf';
import type { InsnReference, ProgramSpec } from './types';

const OP_CALL = 0x85;

/** One function of one executable section, in slots (8-byte units). */
interface Func {
  readonly name: string;
  readonly section: ElfSection;
  /** First slot within the section. */
  readonly start: number;
  /** One past the last slot. */
  readonly end: number;
  readonly global: boolean;
  /** Instruction slots of the function; a lddw occupies its slot and leaves the next undefined. */
  readonly slots: (Instruction | undefined)[];
  /** Per slot: the reference a relocation made (before linking). */
  readonly relocs: Map<number, SlotReloc>;
}

type SlotReloc =
  | { kind: 'map'; map: string; value: boolean; offset: number }
  | { kind: 'call'; section: number; slot: number }
  | { kind: 'funcaddr'; section: number; slot: number }
  | { kind: 'extern'; name: string };

const isExec = (s: ElfSection): boolean => s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0;

/** Decodes a section into per-slot instructions (undefined in the second slot of a lddw). */
function decodeSlots(s: ElfSection, endian: Endian): (Instruction | undefined)[] {
  if (s.data.length % 8 !== 0) throw new ObjectError(`section '${s.name}': size ${s.data.length} is not a multiple of 8`);
  const { insns, problem } = decode(s.data, endian);
  if (problem) throw new ObjectError(`section '${s.name}': ${problem.message} at offset ${problem.offset}`);
  const slots: (Instruction | undefined)[] = [];
  for (const i of insns) {
    slots.push(i);
    if (insnWidth(i.opcode) === 2) slots.push(undefined);
  }
  return slots;
}

/** Finds the functions of every executable section (libbpf bpf_object__add_programs). */
function collectFuncs(elf: ElfFile, btf: Btf | undefined, btfExt: BtfExt | undefined): Func[] {
  const funcs: Func[] = [];
  for (const s of elf.sections) {
    if (!isExec(s) || s.data.length === 0) continue;
    const slots = decodeSlots(s, elf.endian);
    // CO-RE relocations against the kernel's BTF (libbpf bpf_object__relocate_core), on the
    // section's instructions before functions are cut out and linked.
    const coreRelos = btfExt?.coreRelos.get(s.name);
    if (btf && coreRelos?.length) {
      applyCoreRelos(s.name, slots, coreRelos, btf, { btf: kernelBtf(), typeIds: KERNEL_BTF_VMLINUX_IDS }, elf.endian === 'be');
    }
    let syms = elf.symbols.filter((y) => y.section === s.index && y.type === STT_FUNC);
    let sized = true;
    if (syms.length === 0 && s.name !== '.text') {
      // No FUNC symbol (hand-written assembly): global labels, else the whole section.
      syms = elf.symbols.filter(
        (y) => y.section === s.index && (y.bind === STB_GLOBAL || y.bind === STB_WEAK) && (y.type === STT_NOTYPE || y.type === STT_OBJECT),
      );
      sized = false;
      if (syms.length === 0) {
        syms = [{ name: s.name, value: 0, size: s.data.length, bind: STB_GLOBAL, type: STT_FUNC, other: 0, section: s.index }];
        sized = true;
      }
    }
    const sorted = [...syms].sort((a, b) => a.value - b.value);
    sorted.forEach((y, k) => {
      if (y.value % 8 !== 0) throw new ObjectError(`sec '${s.name}': program '${y.name}' at offset ${y.value} is not 8-byte aligned`);
      const size = sized ? y.size : (sorted[k + 1]?.value ?? s.data.length) - y.value;
      if (size % 8 !== 0 || y.value + size > s.data.length || size === 0) {
        throw new ObjectError(`sec '${s.name}': corrupted program '${y.name}', offset ${y.value}, size ${size}`);
      }
      if (s.name !== '.text' && y.bind === STB_LOCAL) {
        throw new ObjectError(`sec '${s.name}': program '${y.name}' is static and not supported`);
      }
      const start = y.value / 8;
      const end = start + size / 8;
      if (slots[start] === undefined || slots[end - 1]?.opcode === OP_LDDW) {
        throw new ObjectError(`sec '${s.name}': program '${y.name}' starts or ends inside an lddw`);
      }
      funcs.push({ name: y.name, section: s, start, end, global: y.bind !== STB_LOCAL, slots: slots.slice(start, end), relocs: new Map() });
    });
  }
  return funcs;
}

/** Records each relocation of an executable section on its function (bpf_program__record_reloc). */
function recordRelocs(elf: ElfFile, funcs: Func[], maps: readonly MapLocation[], textIdx: number): void {
  for (const rs of elf.relocSections) {
    const target = elf.sections[rs.target];
    if (!target || !isExec(target)) continue;
    for (const r of rs.relocations) {
      if (r.type === R_BPF_NONE) continue;
      const where = `${target.name}+0x${r.offset.toString(16)}`;
      if (r.offset % 8 !== 0) throw new ObjectError(`relocation at ${where} is not at an instruction boundary`);
      const slot = r.offset / 8;
      const f = funcs.find((x) => x.section.index === target.index && slot >= x.start && slot < x.end);
      if (!f) throw new ObjectError(`relocation at ${where} is outside every function`);
      const local = slot - f.start;
      const ins = f.slots[local];
      if (!ins) throw new ObjectError(`relocation at ${where} points into the middle of an lddw`);
      const sym: ElfSymbol | undefined = elf.symbols[r.symbol];
      if (!sym) throw new ObjectError(`relocation at ${where} references unknown symbol #${r.symbol}`);
      const symName = sym.name || elf.sections[sym.section]?.name || `#${r.symbol}`;
      // A call against an undefined symbol is a `__ksym` kfunc: clang writes it as a pseudo call
      // (src 1) and libbpf turns it into BPF_PSEUDO_KFUNC_CALL (RELO_EXTERN_CALL), so it is
      // tested before the bpf-to-bpf case.
      if (ins.opcode === OP_CALL && (ins.src === BPF_PSEUDO_KFUNC_CALL || isUndefinedSection(sym.section))) {
        if (!isUndefinedSection(sym.section)) throw new ObjectError(`kfunc call at ${where} against defined symbol '${symName}'`);
        f.relocs.set(local, { kind: 'extern', name: symName });
        continue;
      }
      if (ins.opcode === OP_CALL && ins.src === BPF_PSEUDO_CALL) {
        if (sym.section !== textIdx) throw new ObjectError(`bad call relo against '${symName}' at ${where}: target is not in .text`);
        if (sym.value % 8 !== 0) throw new ObjectError(`bad call relo against '${symName}' at ${where}: offset ${sym.value} not 8-aligned`);
        f.relocs.set(local, { kind: 'call', section: textIdx, slot: sym.value / 8 + ins.imm + 1 });
        continue;
      }
      if (ins.opcode !== OP_LDDW) {
        throw new ObjectError(`invalid relocation against '${symName}' at ${where}: instruction 0x${ins.opcode.toString(16).padStart(2, '0')} is neither lddw nor call`);
      }
      if (isUndefinedSection(sym.section)) {
        if (sym.section === 0 && sym.name === '') throw new ObjectError(`relocation at ${where} references the null symbol`);
        f.relocs.set(local, { kind: 'extern', name: symName });
        continue;
      }
      if (sym.section === textIdx && (sym.type === STT_FUNC || sym.type === STT_SECTION)) {
        if (sym.value % 8 !== 0 || ins.imm % 8 !== 0) throw new ObjectError(`bad subprog addr relo against '${symName}' at ${where}`);
        f.relocs.set(local, { kind: 'funcaddr', section: textIdx, slot: (sym.value + ins.imm) / 8 });
        continue;
      }
      const holders = maps.filter((m) => m.section === sym.section);
      if (holders.length === 0) {
        throw new ObjectError(`bad map relo against '${symName}' in section '${elf.sections[sym.section]?.name ?? sym.section}' at ${where}`);
      }
      if (holders[0]!.data) {
        f.relocs.set(local, { kind: 'map', map: holders[0]!.map.name, value: true, offset: ins.imm + sym.value });
        continue;
      }
      const m = holders.find((x) => x.offset === sym.value);
      if (!m) throw new ObjectError(`map relo at ${where} failed to find a map at offset ${sym.value} of '${elf.sections[sym.section]!.name}'`);
      f.relocs.set(local, { kind: 'map', map: m.map.name, value: false, offset: 0 });
    }
  }
}

/** Per-program pieces the linker produces. */
interface Linked {
  insns: Instruction[];
  references: Map<number, InsnReference>;
  lineInfo: Map<number, BtfLineInfo>;
  subprograms: { name: string; start: number; btfFuncId: number }[];
}

/** Links an entry function with every subprogram it reaches (bpf_object__reloc_code). */
function link(entry: Func, funcs: readonly Func[], btf: Btf | undefined, btfExt: BtfExt | undefined, kconfig: KconfigMap | undefined): Linked {
  const placed = new Map<Func, number>(); // function → first slot in the linked program
  const order: Func[] = [];
  let total = 0;
  const place = (f: Func): number => {
    const have = placed.get(f);
    if (have !== undefined) return have;
    placed.set(f, total);
    order.push(f);
    total += f.slots.length;
    return total - f.slots.length;
  };
  place(entry);
  // Slot-level result; references keyed by linked slot.
  const slotInsns: (Instruction | undefined)[] = [];
  const slotRefs = new Map<number, { kind: 'map'; map: string; value: boolean; offset: number } | { kind: 'func'; slot: number } | { kind: 'extern'; name: string }>();
  const findFunc = (section: number, slot: number, from: string): Func => {
    const g = funcs.find((x) => x.section.index === section && slot >= x.start && slot < x.end);
    if (!g) throw new ObjectError(`prog '${entry.name}': ${from} targets slot ${slot} of section ${section}, where there is no function`);
    if (g.start !== slot) throw new ObjectError(`prog '${entry.name}': ${from} targets the middle of function '${g.name}'`);
    return g;
  };
  for (let k = 0; k < order.length; k++) {
    const f = order[k]!;
    const base = placed.get(f)!;
    for (let i = 0; i < f.slots.length; i++) {
      let ins = f.slots[i];
      if (!ins) continue;
      const at = base + i;
      const rel = f.relocs.get(i);
      const isCall = ins.opcode === OP_CALL && ins.src === BPF_PSEUDO_CALL;
      const isFuncAddr = ins.opcode === OP_LDDW && ins.src === BPF_PSEUDO_FUNC;
      if (rel?.kind === 'map') {
        ins = rel.value
          ? makeInsn(OP_LDDW, ins.dst, BPF_PSEUDO_MAP_VALUE, ins.off, 0, rel.offset)
          : makeInsn(OP_LDDW, ins.dst, BPF_PSEUDO_MAP_FD, ins.off, 0, 0);
        slotRefs.set(at, { kind: 'map', map: rel.map, value: rel.value, offset: rel.offset });
      } else if (rel?.kind === 'extern') {
        const kc = kconfig?.offsets.get(rel.name);
        if (ins.opcode === OP_LDDW && kc !== undefined) {
          // bpf_object__relocate_data, RELO_EXTERN_LD64 of a kcfg extern.
          ins = makeInsn(OP_LDDW, ins.dst, BPF_PSEUDO_MAP_VALUE, ins.off, 0, kc);
          slotRefs.set(at, { kind: 'map', map: kconfig!.location.map.name, value: true, offset: kc });
        } else {
          // RELO_EXTERN_CALL: a kfunc call by vmlinux BTF id (0 when xdpts has no such kfunc:
          // the verifier then names it as not emulated).
          if (ins.opcode === OP_CALL) ins = makeInsn(OP_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, kfuncByName(rel.name)?.btfId ?? 0);
          slotRefs.set(at, { kind: 'extern', name: rel.name });
        }
      } else if (rel?.kind === 'call' || rel?.kind === 'funcaddr' || isCall || isFuncAddr) {
        let targetSlot: number; // linked slot of the target
        if (rel?.kind === 'call' || rel?.kind === 'funcaddr') {
          const g = findFunc(rel.section, rel.slot, `${rel.kind === 'call' ? 'call' : 'function address'} at ${f.name}+${i}`);
          targetSlot = place(g);
        } else if (isFuncAddr) {
          throw new ObjectError(`prog '${entry.name}': missing subprog addr relo for insn #${i} of '${f.name}'`);
        } else {
          // No relocation: the target is in the same section, relative to this instruction.
          const secSlot = f.start + i + ins.imm + 1;
          if (secSlot >= f.start && secSlot < f.end) targetSlot = base + (secSlot - f.start);
          else targetSlot = place(findFunc(f.section.index, secSlot, `call at ${f.name}+${i}`));
        }
        ins =
          ins.opcode === OP_CALL
            ? makeInsn(OP_CALL, ins.dst, BPF_PSEUDO_CALL, ins.off, targetSlot - at - 1)
            : makeInsn(OP_LDDW, ins.dst, BPF_PSEUDO_FUNC, ins.off, targetSlot - at - 1, 0);
        slotRefs.set(at, { kind: 'func', slot: targetSlot });
      }
      slotInsns[at] = ins;
    }
  }
  // Slots → instruction indices.
  const insns: Instruction[] = [];
  const indexOfSlot = new Map<number, number>();
  for (let s = 0; s < total; s++) {
    const ins = slotInsns[s];
    if (!ins) continue;
    indexOfSlot.set(s, insns.length);
    insns.push(ins);
  }
  const references = new Map<number, InsnReference>();
  for (const [slot, r] of slotRefs) {
    const idx = indexOfSlot.get(slot)!;
    if (r.kind === 'func') {
      const t = indexOfSlot.get(r.slot);
      if (t === undefined) throw new ObjectError(`prog '${entry.name}': call target is inside an lddw`);
      references.set(idx, { kind: 'func', target: t });
    } else references.set(idx, r);
  }
  // Line info of each placed function, rebased to the linked program (insnOff in linked bytes).
  const lineInfo = new Map<number, BtfLineInfo>();
  for (const f of order) {
    const base = placed.get(f)!;
    for (const l of btfExt?.lineInfo.get(f.section.name) ?? []) {
      const secSlot = l.insnOff / 8;
      if (secSlot < f.start || secSlot >= f.end) continue;
      const idx = indexOfSlot.get(base + secSlot - f.start);
      if (idx !== undefined) lineInfo.set(idx, { ...l, insnOff: (base + secSlot - f.start) * 8 });
    }
  }
  const subprograms = order.slice(1).map((f) => ({ name: f.name, start: indexOfSlot.get(placed.get(f)!)!, btfFuncId: funcInfoId(f, btf, btfExt) }));
  return { insns, references, lineInfo, subprograms };
}

/** The BTF FUNC id of a function: its .BTF.ext func_info record, else the FUNC of its name. */
function funcInfoId(f: Func, btf: Btf | undefined, btfExt: BtfExt | undefined): number {
  const fi = btfExt?.funcInfo.get(f.section.name)?.find((x) => x.insnOff === f.start * 8);
  return fi?.typeId ?? (btf ? findType(btf, f.name, 'func') : 0);
}

/** Every entry program of the object, linked, in section then offset order. */
export function collectPrograms(
  elf: ElfFile,
  maps: readonly MapLocation[],
  btf: Btf | undefined,
  btfExt: BtfExt | undefined,
  license: string,
  kconfig?: KconfigMap,
): ProgramSpec[] {
  const textIdx = elf.sections.find((s) => s.name === '.text' && isExec(s))?.index ?? -1;
  const funcs = collectFuncs(elf, btf, btfExt);
  recordRelocs(elf, funcs, maps, textIdx);
  const out: ProgramSpec[] = [];
  for (const f of funcs) {
    if (f.section.index === textIdx) continue; // .text functions are subprograms (prog_is_subprog)
    const l = link(f, funcs, btf, btfExt, kconfig);
    const def = sectionDef(f.section.name);
    const btfFuncId = funcInfoId(f, btf, btfExt);
    out.push({
      name: f.name,
      section: f.section.name,
      type: def?.progType ?? 0,
      attachType: def?.attachType ?? 0,
      insns: l.insns,
      references: l.references,
      lineInfo: l.lineInfo,
      subprograms: l.subprograms,
      license,
      btfFuncId,
      ...(btf ? { btf } : {}),
    });
  }
  return out;
}
