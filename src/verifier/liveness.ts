/**
 * Static register liveness (kernel/bpf/verifier.c `compute_live_registers`, 6.15+): for every
 * instruction slot, the registers that some path from it reads before writing. State pruning
 * ignores the other registers: their values cannot influence anything the program still does.
 */
import { type Instruction, classify, jumpOffset } from '../isa';

const R0_R5 = 0x3f;
const R1_R5 = 0x3e;
const R10 = 1 << 10;

function bit(r: number): number {
  return 1 << r;
}

/** Registers an instruction reads (`use`) and writes (`def`), and its successors. */
function useDef(raw: readonly Instruction[], i: number, helperArgs: (id: number) => number | undefined): { use: number; def: number; succ: number[] } {
  const ins = raw[i]!;
  const k = classify(ins);
  const next = [i + 1];
  if (!k) return { use: 0x7ff, def: 0, succ: next };
  switch (k.kind) {
    case 'alu':
      return { use: bit(ins.dst) | (k.useReg ? bit(ins.src) : 0), def: bit(ins.dst), succ: next };
    case 'neg': case 'end': case 'addr_space_cast':
      return { use: bit(ins.dst), def: bit(ins.dst), succ: next };
    case 'mov':
      return { use: k.useReg ? bit(ins.src) : 0, def: bit(ins.dst), succ: next };
    case 'movsx':
      return { use: bit(ins.src), def: bit(ins.dst), succ: next };
    case 'lddw':
      return { use: 0, def: bit(ins.dst), succ: [i + 2] };
    case 'ldabs':
      return { use: bit(6) | (k.indirect ? bit(ins.src) : 0), def: R0_R5, succ: next };
    case 'ldx':
      return { use: bit(ins.src), def: ins.dst === ins.src ? 0 : bit(ins.dst), succ: next };
    case 'st':
      return { use: bit(ins.dst), def: 0, succ: next };
    case 'stx':
      return { use: bit(ins.dst) | bit(ins.src), def: 0, succ: next };
    case 'atomic':
      // Reads and (for fetch/cmpxchg) writes: keeping everything live is the safe side.
      return { use: bit(ins.dst) | bit(ins.src) | bit(0), def: 0, succ: next };
    case 'ja':
      return { use: 0, def: 0, succ: [i + jumpOffset(ins) + 1] };
    case 'may_goto':
      return { use: 0, def: 0, succ: [i + 1, i + ins.off + 1] };
    case 'jcond':
      return { use: bit(ins.dst) | (k.useReg ? bit(ins.src) : 0), def: 0, succ: [i + 1, i + ins.off + 1] };
    case 'call': case 'callx': {
      // Subprograms take r1-r5, a known helper its prototype's arguments (get_call_summary);
      // all clobber r0-r5. The callee is analysed on its own.
      const n = k.kind === 'call' && ins.src === 0 ? helperArgs(ins.imm) : undefined;
      const use = n === undefined ? R1_R5 : ((1 << (n + 1)) - 2);
      return { use: use | (k.kind === 'callx' ? bit(ins.dst) : 0), def: R0_R5, succ: next };
    }
    case 'exit':
      return { use: bit(0), def: 0, succ: [] };
  }
}

/**
 * `compute_scc`: the strongly connected components (loops) of one program's control flow
 * graph, within each subprogram (a call goes on to the next instruction, a callback-calling
 * helper also back to itself). Slot → SCC id,
 * numbered from 1 in the order Tarjan's algorithm completes them; 0 outside any loop.
 */
export function computeSccs(raw: readonly Instruction[], isSlot: (i: number) => boolean, callsCallback: (i: number) => boolean): Int32Array {
  const n = raw.length;
  // A helper that calls a callback returns to itself after each call (a loop of its own).
  const succ = raw.map((_, i) => (isSlot(i) ? useDef(raw, i, () => undefined).succ.filter((s) => s >= 0 && s < n).concat(callsCallback(i) ? [i] : []) : []));
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const scc = new Int32Array(n);
  const stack: number[] = [];
  let next = 0;
  let ids = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1 || !isSlot(root)) continue;
    const work: { v: number; k: number }[] = [{ v: root, k: 0 }];
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length) {
      const top = work[work.length - 1]!;
      const v = top.v;
      if (top.k < succ[v]!.length) {
        const w = succ[v]![top.k++]!;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          work.push({ v: w, k: 0 });
        } else if (onStack[w]) low[v] = Math.min(low[v]!, index[w]!);
        continue;
      }
      work.pop();
      if (work.length) {
        const u = work[work.length - 1]!.v;
        low[u] = Math.min(low[u]!, low[v]!);
      }
      if (low[v] !== index[v]) continue;
      const members: number[] = [];
      let w: number;
      do {
        w = stack.pop()!;
        onStack[w] = 0;
        members.push(w);
      } while (w !== v);
      // A single instruction is a loop only when it jumps to itself.
      if (members.length === 1 && !succ[v]!.includes(v)) continue;
      ids++;
      for (const m of members) scc[m] = ids;
    }
  }
  return scc;
}

/**
 * Live-in register masks (bit n = Rn) per instruction slot; the second slot of an lddw and
 * out-of-range slots get every register. R10 is always live.
 */
export function computeLiveRegs(
  raw: readonly Instruction[],
  isSlot: (i: number) => boolean,
  helperArgs: (id: number) => number | undefined = () => undefined,
): Uint16Array {
  const n = raw.length;
  const live = new Uint16Array(n).fill(0x7ff);
  const info = raw.map((_, i) => (isSlot(i) ? useDef(raw, i, helperArgs) : undefined));
  for (let i = 0; i < n; i++) if (info[i]) live[i] = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      const u = info[i];
      if (!u) continue;
      let out = 0;
      for (const s of u.succ) out |= s >= 0 && s < n ? live[s]! : 0x7ff;
      const v = u.use | (out & ~u.def) | R10;
      if (v !== live[i]) {
        live[i] = v;
        changed = true;
      }
    }
  }
  return live;
}

/**
 * The level-2 `Live regs before insn:` table line of one instruction (`      0: .1.345....`),
 * led by its SCC id when it is inside a loop (`  1   3: ...`).
 */
export function liveRegsLine(idx: number, mask: number, insn: string, scc = 0): string {
  let m = '';
  for (let r = 0; r < 10; r++) m += mask & (1 << r) ? String(r) : '.';
  return `${scc ? `${String(scc).padStart(3)} ` : '    '}${String(idx).padStart(3)}: ${m} ${insn}`;
}
