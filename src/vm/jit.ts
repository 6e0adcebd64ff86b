/**
 * The JIT: compiles a pre-decoded program once into a JavaScript function (`new Function`).
 * Registers become int32 locals `lN`/`hN` (low/high halves), immediates become literals, shift
 * counts and sign extensions are folded at compile time, and control flow is a `switch (pc)`
 * whose cases are only the jump targets, call returns and function entries, so straight-line
 * code falls through case labels. Semantics are the interpreter's (the differential test
 * holds them equal); the rare 64-bit mul/div/mod go through the shared helpers of alu64.ts.
 */
import * as alu from './alu64';
import {
  OP_BE16, OP_BE32, OP_BE64, OP_BSWAP16, OP_BSWAP32, OP_BSWAP64, OP_CALLX, OP_CALL_HELPER, OP_CALL_KFUNC,
  OP_CALL_LOCAL, OP_CALL_TAIL, OP_EXIT, OP_JA, OP_LDDW, OP_LE16, OP_LE32, OP_LE64, OP_MAY_GOTO,
  OP_MOVSX32_16, OP_MOVSX32_8, OP_MOVSX64_16, OP_MOVSX64_32, OP_MOVSX64_8, OP_SDIV32K, OP_SDIV32X,
  OP_SDIV64K, OP_SDIV64X, OP_SMOD32K, OP_SMOD32X, OP_SMOD64K, OP_SMOD64X, exitTail as exitTailOf, specializedCalls, type Decoded,
} from './decode';
import type { Code, Run } from './runtime';
import type { Space } from './space';
import { BPF_MAX_LOOPS, MAX_BPF_STACK, TAG_CTX, TAG_PACKET, TAG_STACK, type HelperTable, type InlineLookup } from './types';

type ExecFn = (run: Run, entry: number, args: ArrayLike<number>) => void;
type Factory = (H: unknown, A: typeof alu, S: unknown) => ExecFn;

/** Programs above this many slots are compiled as chunk functions of CHUNK slots. */
const CHUNKED_ABOVE = 4096;
const CHUNK = 1024;
const CHUNK_MARK = '\u0000chunk';
/** Most jump targets a program may have to be emitted as nested labelled blocks. */
const MAX_BLOCKS = 1000;

/** Generated factories by source text: identical programs share one `new Function`. */
const FACTORIES = new Map<string, Factory>();

/** Compiles a decoded program to a JavaScript function. */
export function jitCode(dec: Decoded, space: Space, helpers: HelperTable, maxSteps: number): Code {
  // Call sites with a specialised helper call S[i] (the i-th of `special`) instead of H[id].
  const special = specializedCalls(dec, helpers);
  const inline = new Map<number, InlineLookup>();
  for (const [pc, fn] of special) if (fn.inline !== undefined) inline.set(pc, fn.inline);
  const source = generate(dec, maxSteps, new Map([...special.keys()].map((pc, i) => [pc, i])), inline);
  let factory = FACTORIES.get(source);
  if (factory === undefined) {
    factory = new Function('H', 'A', 'S', source) as Factory;
    if (FACTORIES.size > 256) FACTORIES.clear();
    FACTORIES.set(source, factory);
  }
  // A copy, like the interpreter's: the table a program was made with cannot change under it.
  const exec = factory(helpers.helpers.slice(), alu, [...special.values()]);
  return { dec, space, helpers, exec };
}

/** The JavaScript source of a program's factory (exported for debugging and tests). */
export function generate(
  dec: Decoded, maxSteps: number, special: ReadonlyMap<number, number> = new Map(),
  inline: ReadonlyMap<number, InlineLookup> = new Map(),
): string {
  const { op, dst, src, off, imm, imm2, tgt, n } = dec;
  // Effective offsets are computed as `lo + off` on the signed low half: an offset of 2^31 or
  // more (a negative int32) is out of every region, so the slow path, which recomputes the
  // unsigned offset, reports it; no wrap-around can alias a valid offset.
  const labels = new Set<number>(dec.entries);
  for (let pc = 0; pc < n; pc++) {
    if (tgt[pc]! >= 0 && op[pc] !== OP_CALL_LOCAL) labels.add(tgt[pc]!);
    if (op[pc] === OP_CALL_LOCAL || op[pc] === OP_CALLX) labels.add(pc + 1);
  }
  // Big programs are split into chunk functions that share the registers through the closure:
  // V8 compiles and optimises a few thousand instructions per function well, a 100k-case switch
  // badly. Small programs keep every register in a local of one function.
  const chunked = n > CHUNKED_ABOVE;
  const chunkOf = (slot: number): number => Math.floor(slot / CHUNK);
  let prev = -1;
  for (let pc = 0; pc < n; pc++) {
    if (op[pc] === -1) continue;
    if (chunked && prev >= 0 && chunkOf(pc) !== chunkOf(prev)) labels.add(pc);
    prev = pc;
  }
  // Programs whose jumps all go forward, with one entry and no calls, are emitted as straight
  // JavaScript: each jump target closes a labelled block opened at the top and a jump is a
  // `break` out to it. V8 then optimises one acyclic function instead of a switch in a loop
  // (the registers need no merge at a loop header). Others keep the dispatch loop.
  // A backward jump to a short straight run of instructions that ends in `exit` (compilers
  // share one `r0 = rX; exit` tail between branches) does not need a loop: the jump is emitted
  // as a copy of that tail (tail duplication), after the same step-budget check.
  const exitTail = (t: number): number => exitTailOf(dec, t);
  let forward = !chunked && dec.entries.size === 1 && dec.entries.has(0);
  const targets = new Set<number>();
  for (let pc = 0; pc < n && forward; pc++) {
    const o = op[pc]!;
    if (o === OP_CALL_LOCAL || o === OP_CALLX) forward = false;
    else if (tgt[pc]! >= 0) {
      if (tgt[pc]! <= pc) forward = exitTail(tgt[pc]!) >= 0;
      else targets.add(tgt[pc]!);
    }
  }
  if (targets.size > MAX_BLOCKS) forward = false;
  const RET = chunked ? 'return -1;' : 'return;';
  const dyn = chunked ? 'return pc;' : 'continue;';
  const stepMsg = JSON.stringify(`step limit of ${maxSteps} backward jumps and calls exceeded`);
  const out: string[] = [];
  let sink = out;
  const e = (s: string): void => {
    sink.push(s);
  };
  // Registers known to hold r10 + K (K in SK[r]) since the last jump target: loads, stores
  // and inline lookup keys through them address the frame directly, like r10's (exact 64-bit
  // arithmetic: r10 = (l10, TAG_STACK) with 512 <= l10 <= 4096, so r10 + K for -512 <= K <= 0
  // is (l10 + K, TAG_STACK)). Anything that may write a register forgets it.
  let SK: (number | undefined)[] = new Array<number | undefined>(11).fill(undefined);
  const stackOff = (r: number): number | undefined => (r === 10 ? 0 : SK[r]);
  const inFrame = (k: number | undefined, size: number): k is number => k !== undefined && k >= -MAX_BPF_STACK && k + size <= 0;
  const track = (pc: number): void => {
    const o = op[pc]!;
    const d = dst[pc]!;
    const cls = o & 7;
    if (o === 0xbf) { SK[d] = stackOff(src[pc]!); return; } // mov64 dst, src
    if (o === 0x07) { // add64 dst, imm
      const k = SK[d];
      SK[d] = k === undefined || Math.abs(k + imm[pc]!) > 1 << 20 ? undefined : k + imm[pc]!;
      return;
    }
    if (o < 0x100 && (cls === 2 || (cls === 3 && (o & 0xe0) !== 0xc0))) return; // stores write no register
    if (o < 0x100 && (cls === 5 || cls === 6) && o !== OP_CALLX && o !== OP_CALL_HELPER) return; // jumps, exit
    if (o >= 0x100 && (o === OP_CALL_LOCAL || o === OP_CALL_TAIL || o === OP_CALL_KFUNC)) { SK.fill(undefined); return; }
    // ALU, loads, lddw, ld_abs, helper calls, atomics: dst, r0 and an atomic's src may change.
    SK[d] = undefined;
    SK[0] = undefined;
    if (cls === 3) SK[src[pc]!] = undefined;
  };
  // The copy of the exit tail at `t` for a backward jump at `pc` (see exitTail).
  const dupTail = (pc: number, t: number): string => {
    const saved = sink;
    const copy: string[] = budgeted ? [`if (--budget < 0) run.badCall(${pc}, ${stepMsg});`] : [];
    sink = copy;
    const savedSK = SK;
    SK = new Array<number | undefined>(11).fill(undefined);
    const end = exitTail(t);
    for (let p = t; p <= end; p++) {
      if (op[p] === -1) continue;
      emitInsn(p);
      track(p);
    }
    SK = savedSK;
    sink = saved;
    return copy.join(' ');
  };
  const L = (r: number): string => `l${r}`;
  const Hh = (r: number): string => `h${r}`;
  // maxSteps = Infinity (verified programs) drops the step counting altogether.
  const budgeted = Number.isFinite(maxSteps);
  const goto = (pc: number, t: number): string => forward ? (t > pc ? `break L${t};` : dupTail(pc, t)) :
    `${t <= pc && budgeted ? `if (--budget < 0) run.badCall(${pc}, ${stepMsg}); ` : ''}` +
    (chunked && chunkOf(t) !== chunkOf(pc) ? `return ${t};` : `pc = ${t}; continue;`);
  // Programs without local calls never have a caller frame to return to.
  let hasCalls = false;
  for (let pc = 0; pc < n; pc++) if (op[pc] === OP_CALL_LOCAL || op[pc] === OP_CALLX) hasCalls = true;
  const exitSeq = hasCalls ? [
    `if (F.length === 0) { run.xlo = l0; run.xhi = h0; run.depth = base; ${RET} }`,
    'run.depth--; mg = F.pop(); l10 = F.pop(); h9 = F.pop(); l9 = F.pop(); h8 = F.pop(); l8 = F.pop();',
    `h7 = F.pop(); l7 = F.pop(); h6 = F.pop(); l6 = F.pop(); pc = F.pop(); ${dyn}`,
  ].join(' ') : `run.xlo = l0; run.xhi = h0; run.depth = base; ${RET}`;
  const callSeq = (pc: number, target: string): string =>
    (budgeted ? `if (--budget < 0) run.badCall(${pc}, ${stepMsg}); ` : '') +
    `F.push(${pc + 1}, l6, h6, l7, h7, l8, h8, l9, h9, l10, mg); l10 = run.enterFrame(${pc}); mg = ${BPF_MAX_LOOPS}; pc = ${target}; ${dyn}`;
  const inlined = new Map<number, string>();
  const argsToA = 'Ar[0] = l1; Ar[1] = h1; Ar[2] = l2; Ar[3] = h2; Ar[4] = l3; Ar[5] = h3; Ar[6] = l4; Ar[7] = h4; Ar[8] = l5; Ar[9] = h5;';

  /** Emits the code of the instruction at `pc`. */
  const emitInsn = (pc: number): void => {
    const o = op[pc]!;
    const d = dst[pc]!;
    const s = src[pc]!;
    const k = imm[pc]!;
    const kh = k >> 31;
    const ld = L(d);
    const hd = Hh(d);
    const x = (o & 8) !== 0;
    const bl = x ? L(s) : `${k}`;
    const bh = x ? Hh(s) : `${kh}`;
    const blu = x ? `(${L(s)} >>> 0)` : `${k >>> 0}`;
    const bhu = x ? `(${Hh(s)} >>> 0)` : `${kh >>> 0}`;
    const cls = o & 7;
    if (o < 0x100 && cls === 7) {
      switch (o & 0xf0) {
        // Carry without leaving int32: the unsigned sum wrapped iff it is below an operand.
        case 0x00: e(`q = (${ld} + ${bl}) | 0; ${hd} = (${hd} + ${bh} + ((q >>> 0) < ${blu} ? 1 : 0)) | 0; ${ld} = q;`); break;
        case 0x10: e(`q = (${ld} >>> 0) < ${blu} ? 1 : 0; ${ld} = (${ld} - ${bl}) | 0; ${hd} = (${hd} - ${bh} - q) | 0;`); break;
        case 0x20: e(`A.mul64(${ld}, ${hd}, ${bl}, ${bh}); ${ld} = T[0]; ${hd} = T[1];`); break;
        case 0x30: e(`A.udiv64(${ld}, ${hd}, ${bl}, ${bh}); ${ld} = T[0]; ${hd} = T[1];`); break;
        case 0x40: e(`${ld} |= ${bl}; ${hd} |= ${bh};`); break;
        case 0x50: e(`${ld} &= ${bl}; ${hd} &= ${bh};`); break;
        case 0x60: e(x ? `A.lsh64(${ld}, ${hd}, ${bl}); ${ld} = T[0]; ${hd} = T[1];` : shiftK('lsh', ld, hd, k & 63)); break;
        case 0x70: e(x ? `A.rsh64(${ld}, ${hd}, ${bl}); ${ld} = T[0]; ${hd} = T[1];` : shiftK('rsh', ld, hd, k & 63)); break;
        case 0x80: e(`${hd} = (~${hd} + (${ld} === 0 ? 1 : 0)) | 0; ${ld} = -${ld} | 0;`); break;
        case 0x90: e(`A.umod64(${ld}, ${hd}, ${bl}, ${bh}); ${ld} = T[0]; ${hd} = T[1];`); break;
        case 0xa0: e(`${ld} ^= ${bl}; ${hd} ^= ${bh};`); break;
        case 0xb0: e(`${ld} = ${bl}; ${hd} = ${bh};`); break;
        case 0xc0: e(x ? `A.arsh64(${ld}, ${hd}, ${bl}); ${ld} = T[0]; ${hd} = T[1];` : shiftK('arsh', ld, hd, k & 63)); break;
      }
      return;
    }
    if (o < 0x100 && cls === 4) {
      const sh = x ? `(${bl} & 31)` : `${k & 31}`;
      let r: string;
      switch (o & 0xf0) {
        case 0x00: r = `(${ld} + ${bl}) | 0`; break;
        case 0x10: r = `(${ld} - ${bl}) | 0`; break;
        case 0x20: r = `Math.imul(${ld}, ${bl})`; break;
        case 0x30: r = `A.udiv32(${ld}, ${bl})`; break;
        case 0x40: r = `${ld} | ${bl}`; break;
        case 0x50: r = `${ld} & ${bl}`; break;
        case 0x60: r = `${ld} << ${sh}`; break;
        case 0x70: r = `(${ld} >>> ${sh}) | 0`; break;
        case 0x80: r = `-${ld} | 0`; break;
        case 0x90: r = `A.umod32(${ld}, ${bl})`; break;
        case 0xa0: r = `${ld} ^ ${bl}`; break;
        case 0xb0: r = `${bl}`; break;
        default: r = `${ld} >> ${sh}`; break;
      }
      e(`${ld} = ${r}; ${hd} = 0;`);
      return;
    }
    if (o < 0x100 && (cls === 5 || cls === 6)) {
      if (o === OP_JA) { e(goto(pc, tgt[pc]!)); return; }
      if (o === OP_EXIT) { e(exitSeq); return; }
      if (o === OP_CALL_HELPER) {
        const fn = special.has(pc) ? `S[${special.get(pc)!}]` : `H[${k}]`;
        const call = `${argsToA} run.pc = ${pc}; run.rlo = 0; run.rhi = 0; ${fn}(run); l0 = run.rlo; h0 = run.rhi;`;
        const al = inline.get(pc);
        if (al !== undefined) {
          // bpf_map_lookup_elem inline (InlineLookup): the key read in place after the helper's
          // own bounds check; r0 as the helper sets it. Every other case (bad key pointer; for
          // arrays an index past the end or a value not yet allocated) is the helper call.
          const j = special.get(pc)!;
          inlined.set(j, al.kind === 'array' ? 'values' : 'entries');
          const ks = al.kind === 'array' ? 4 : al.keySize;
          // A key on the frame (r2 = r10 + K) needs no bounds check (see SK).
          const sk = stackOff(2);
          const onStack = inFrame(sk, ks);
          const keyOk = onStack ? `a = l10 + ${sk}; if (false` : `a = l2; t = RG[h2]; if (t === undefined || a < t.start || a + ${ks} > t.len`;
          const dv = onStack ? 'SD' : 't.dv';
          if (al.kind === 'array') {
            e(`${keyOk} || (ix = ${dv}.getUint32(a, true)) >= ${al.maxEntries} || (v = V${j}[ix]) === undefined) { ${call} } else { l0 = 0; h0 = run.expose(v, ${al.writable}); }`);
          } else {
            const key = al.keySize === 4 ? `${dv}.getUint32(a, true)` : `${dv}.getUint16(a, true)`;
            e(`${keyOk}) { ${call} } else { en = V${j}.get(${key}); v = en === undefined ? undefined : en.values[0]; l0 = 0; h0 = v === undefined ? 0 : run.expose(v, ${al.writable}); }`);
          }
          return;
        }
        e(call);
        return;
      }
      if (o === OP_CALLX) {
        e(`q = run.callxTarget(${pc}, ${ld}, ${hd}); if (q < 0) { ${argsToA} run.pc = ${pc}; run.rlo = 0; run.rhi = 0; H[-1 - q](run); l0 = run.rlo; h0 = run.rhi; } else { ${callSeq(pc, 'q')} }`);
        return;
      }
      if (o === OP_MAY_GOTO) { e(`if (mg === 0) { ${goto(pc, tgt[pc]!)} } mg--;`); return; }
      const code = o & 0xf0;
      let c: string;
      if (cls === 5) {
        switch (code) {
          case 0x10: c = `${ld} === ${bl} && ${hd} === ${bh}`; break;
          case 0x50: c = `${ld} !== ${bl} || ${hd} !== ${bh}`; break;
          case 0x40: c = `((${ld} & ${bl}) | (${hd} & ${bh})) !== 0`; break;
          default: {
            const signed = code === 0x60 || code === 0x70 || code === 0xc0 || code === 0xd0;
            const rel = code === 0x20 || code === 0x60 ? '>' : code === 0x30 || code === 0x70 ? '>=' : code === 0xa0 || code === 0xc0 ? '<' : '<=';
            const strict = rel[0]!;
            const hiA = signed ? hd : `(${hd} >>> 0)`;
            const hiB = signed ? bh : bhu;
            c = `${hiA} ${strict} ${hiB} || (${hd} === ${bh} && (${ld} >>> 0) ${rel} ${blu})`;
          }
        }
      } else {
        switch (code) {
          case 0x10: c = `${ld} === ${bl}`; break;
          case 0x50: c = `${ld} !== ${bl}`; break;
          case 0x40: c = `(${ld} & ${bl}) !== 0`; break;
          default: {
            const signed = code === 0x60 || code === 0x70 || code === 0xc0 || code === 0xd0;
            const rel = code === 0x20 || code === 0x60 ? '>' : code === 0x30 || code === 0x70 ? '>=' : code === 0xa0 || code === 0xc0 ? '<' : '<=';
            c = signed ? `${ld} ${rel} ${bl}` : `(${ld} >>> 0) ${rel} ${blu}`;
          }
        }
      }
      e(`if (${c}) { ${goto(pc, tgt[pc]!)} }`);
      return;
    }
    if (o < 0x100 && cls === 1) {
      const sz = o === 0x61 || o === 0x81 ? 4 : o === 0x69 || o === 0x89 ? 2 : o === 0x71 || o === 0x91 ? 1 : 8;
      const ofs = off[pc]!;
      const slow = o >= 0x80
        ? `run.slowLoad(${pc}, ${L(s)}, ${Hh(s)}, ${ofs}, ${sz}); run.badCall(${pc}, 'sign-extending load from the context');`
        : `run.slowLoad(${pc}, ${L(s)}, ${Hh(s)}, ${ofs}, ${sz}); ${ld} = T[0]; ${hd} = T[1];`;
      const sk = stackOff(s);
      if (sk !== undefined && inFrame(sk + ofs, sz)) {
        // r10 is read-only and always (TAG_STACK, frame top >= 512): its frame's 512 bytes
        // are in the stack region, so these loads need no region lookup or bounds check.
        const v = `l10 + ${sk + ofs}`;
        switch (o) {
          case 0x61: e(`${ld} = SD.getInt32(${v}, true); ${hd} = 0;`); break;
          case 0x69: e(`${ld} = SD.getUint16(${v}, true); ${hd} = 0;`); break;
          case 0x71: e(`${ld} = SU[${v}]; ${hd} = 0;`); break;
          case 0x79: e(`${ld} = SD.getInt32(${v}, true); ${hd} = SD.getInt32(${v} + 4, true);`); break;
          case 0x81: e(`${ld} = SD.getInt32(${v}, true); ${hd} = ${ld} >> 31;`); break;
          case 0x89: e(`${ld} = SD.getInt16(${v}, true); ${hd} = ${ld} >> 31;`); break;
          default: e(`${ld} = SD.getInt8(${v}); ${hd} = ${ld} >> 31;`); break;
        }
        return;
      }
      let fast: string;
      switch (o) {
        case 0x61: fast = `${ld} = t.dv.getInt32(a, true); ${hd} = 0;`; break;
        case 0x69: fast = `${ld} = t.dv.getUint16(a, true); ${hd} = 0;`; break;
        case 0x71: fast = `${ld} = t.u8[a]; ${hd} = 0;`; break;
        case 0x79: fast = `${ld} = t.dv.getInt32(a, true); ${hd} = t.dv.getInt32(a + 4, true);`; break;
        case 0x81: fast = `${ld} = t.dv.getInt32(a, true); ${hd} = ${ld} >> 31;`; break;
        case 0x89: fast = `${ld} = t.dv.getInt16(a, true); ${hd} = ${ld} >> 31;`; break;
        default: fast = `${ld} = t.dv.getInt8(a); ${hd} = ${ld} >> 31;`; break;
      }
      // The context's packet pointers (xdp_md data, data_end, data_meta) are read inline.
      const ctx = o === 0x61 ? `if (${Hh(s)} === ${TAG_CTX} && (q = run.ctxPointer(a)) >= 0) { ${ld} = q; ${hd} = ${TAG_PACKET}; } else ` : '';
      e(`a = ${L(s)} + ${ofs}; t = RG[${Hh(s)}]; if (t === undefined || a < t.start || a + ${sz} > t.len) { ${ctx}{ ${slow} } } else { ${fast} }`);
      return;
    }
    if (o < 0x100 && (cls === 2 || cls === 3)) {
      const atomic = (o & 0xe0) === 0xc0;
      const sz = atomic ? (o === 0xdb ? 8 : 4) : (o & 0x18) === 0 ? 4 : (o & 0x18) === 8 ? 2 : (o & 0x18) === 0x10 ? 1 : 8;
      const ofs = off[pc]!;
      const vl = cls === 2 ? `${k}` : L(s);
      const vh = cls === 2 ? `${kh}` : Hh(s);
      const sk = stackOff(d);
      if (!atomic && sk !== undefined && inFrame(sk + ofs, sz)) {
        // Stores into the frame through r10: always in bounds (see the loads above).
        const v = `l10 + ${sk + ofs}`;
        if (sz === 4) e(`SD.setInt32(${v}, ${vl}, true);`);
        else if (sz === 2) e(`SD.setInt16(${v}, ${vl}, true);`);
        else if (sz === 1) e(`SU[${v}] = ${vl};`);
        else e(`SD.setInt32(${v}, ${vl}, true); SD.setInt32(${v} + 4, ${vh}, true);`);
        return;
      }
      e(`a = ${ld} + ${ofs}; t = RG[${hd}]; if (t === undefined || a < t.start || a + ${sz} > t.wlen) run.badAccess(${pc}, ${ld}, ${hd}, ${ofs}, ${sz}, true);`);
      if (!atomic) {
        if (sz === 4) e(`t.dv.setInt32(a, ${vl}, true);`);
        else if (sz === 2) e(`t.dv.setInt16(a, ${vl}, true);`);
        else if (sz === 1) e(`t.u8[a] = ${vl};`);
        else e(`t.dv.setInt32(a, ${vl}, true); t.dv.setInt32(a + 4, ${vh}, true);`);
        return;
      }
      e(`ol = t.dv.getInt32(a, true); oh = ${sz === 8 ? 't.dv.getInt32(a + 4, true)' : '0'};`);
      const store = `t.dv.setInt32(a, nl, true);${sz === 8 ? ' t.dv.setInt32(a + 4, nh, true);' : ''}`;
      const fetch = (k & 1) !== 0 ? ` ${vl} = ol; ${vh} = oh;` : '';
      switch (k & ~1) {
        case 0x00: e(`nl = (ol + ${vl}) | 0; nh = (oh + ${vh} + ((ol >>> 0) + (${vl} >>> 0) > 4294967295 ? 1 : 0)) | 0; ${store}${fetch}`); break;
        case 0x40: e(`nl = ol | ${vl}; nh = oh | ${vh}; ${store}${fetch}`); break;
        case 0x50: e(`nl = ol & ${vl}; nh = oh & ${vh}; ${store}${fetch}`); break;
        case 0xa0: e(`nl = ol ^ ${vl}; nh = oh ^ ${vh}; ${store}${fetch}`); break;
        case 0xe0: e(`nl = ${vl}; nh = ${vh}; ${store}${fetch}`); break;
        default: {
          const eq = sz === 8 ? 'l0 === ol && h0 === oh' : 'l0 === ol';
          e(`if (${eq}) { nl = ${vl}; nh = ${vh}; ${store} } l0 = ol; h0 = oh;`);
        }
      }
      return;
    }
    if (o === OP_LDDW) {
      e(`${ld} = ${k}; ${hd} = ${imm2[pc]!};`);
      return;
    }
    if (o < 0x100) {
      // Legacy BPF_LD | BPF_ABS / BPF_IND.
      const sz = (o & 0x18) === 0 ? 4 : (o & 0x18) === 8 ? 2 : 1;
      const kk = (o & 0xe0) === 0x40 ? `(${k} + ${L(s)}) | 0` : `${k}`;
      e(`if (!run.ldAbs(${kk}, ${sz})) { run.xlo = 0; run.xhi = 0; run.depth = base; ${RET} } l0 = T[0]; h0 = 0;`);
      return;
    }
    const ls = L(s);
    const hs = Hh(s);
    switch (o) {
      case OP_SDIV64K: case OP_SDIV64X: case OP_SMOD64K: case OP_SMOD64X: {
        const xr = o === OP_SDIV64X || o === OP_SMOD64X;
        const fn = o <= OP_SDIV64X ? 'sdiv64' : 'smod64';
        e(`A.${fn}(${ld}, ${hd}, ${xr ? ls : k}, ${xr ? hs : kh}); ${ld} = T[0]; ${hd} = T[1];`);
        break;
      }
      case OP_SDIV32K: case OP_SDIV32X: case OP_SMOD32K: case OP_SMOD32X: {
        const xr = o === OP_SDIV32X || o === OP_SMOD32X;
        const fn = o <= OP_SDIV32X ? 'sdiv32' : 'smod32';
        e(`${ld} = A.${fn}(${ld}, ${xr ? ls : k}); ${hd} = 0;`);
        break;
      }
      case OP_MOVSX32_8: e(`${ld} = (${ls} << 24) >> 24; ${hd} = 0;`); break;
      case OP_MOVSX32_16: e(`${ld} = (${ls} << 16) >> 16; ${hd} = 0;`); break;
      case OP_MOVSX64_8: e(`${ld} = (${ls} << 24) >> 24; ${hd} = ${ld} >> 31;`); break;
      case OP_MOVSX64_16: e(`${ld} = (${ls} << 16) >> 16; ${hd} = ${ld} >> 31;`); break;
      case OP_MOVSX64_32: e(`${ld} = ${ls}; ${hd} = ${ld} >> 31;`); break;
      case OP_LE16: e(`${ld} &= 0xffff; ${hd} = 0;`); break;
      case OP_LE32: e(`${hd} = 0;`); break;
      case OP_LE64: break;
      case OP_BE16: case OP_BSWAP16: e(`${ld} = A.bswap16(${ld}); ${hd} = 0;`); break;
      case OP_BE32: case OP_BSWAP32: e(`${ld} = A.bswap32(${ld}); ${hd} = 0;`); break;
      case OP_BE64: case OP_BSWAP64: e(`q = ${ld}; ${ld} = A.bswap32(${hd}); ${hd} = A.bswap32(q);`); break;
      case OP_CALL_LOCAL: e(callSeq(pc, `${tgt[pc]!}`)); break;
      case OP_CALL_TAIL:
        e(`${argsToA} run.pc = ${pc}; if (run.tailCall()) { l0 = run.xlo; h0 = run.xhi; ${exitSeq} }`);
        break;
      case OP_CALL_KFUNC: e(`run.badCall(${pc}, ${JSON.stringify(`kfunc calls are not supported (btf id ${k})`)});`); break;
      default: e(`run.badCall(${pc}, 'invalid instruction slot');`);
    }
  };

  let last = -1;
  for (let pc = 0; pc < n; pc++) {
    const o = op[pc]!;
    if (o === -1) continue; // second slot of an lddw
    if (chunked && last >= 0 && chunkOf(pc) !== chunkOf(last)) {
      e(`return ${pc};`);
      e(CHUNK_MARK);
    }
    last = pc;
    if (forward ? targets.has(pc) : labels.has(pc)) {
      e(forward ? `} // L${pc}` : `case ${pc}:`);
      SK.fill(undefined);
    }
    emitInsn(pc);
    track(pc);
  }
  if (forward) for (const t of targets) if (t >= n) e(`} // L${t}`);
  e(`run.badCall(${n}, 'execution fell off the end of the program');`);

  // r1..r5 come from `args` when the program can read them: named by an instruction, or read
  // by a call (helpers, tail calls and callees see r1..r5). Others are never observed.
  let named = 0;
  for (let pc = 0; pc < n; pc++) {
    named |= (1 << dst[pc]!) | (1 << src[pc]!);
    const o = op[pc]!;
    if (o === OP_CALL_HELPER || o === OP_CALLX || o === OP_CALL_TAIL || o === OP_CALL_KFUNC || o === OP_CALL_LOCAL) named |= 0x3e;
  }
  const regs: string[] = [];
  for (let r = 0; r <= 10; r++) {
    const init = r >= 1 && r <= 5 && (named & (1 << r)) !== 0 ? [`args[${2 * r - 2}] | 0`, `args[${2 * r - 1}] | 0`] : ['0', '0'];
    if (r === 10) init[1] = `${TAG_STACK}`;
    regs.push(`l${r} = ${init[0]}`, `h${r} = ${init[1]}`);
  }
  // Scratch locals only when the code uses them: a small program's function stays small
  // enough for V8 to inline it into the run loop (runXdp), which halves a tiny program's time.
  const text = out.join('\n');
  const temps = [['t', 'undefined'], ['q', '0'], ['a', '0'], ['ol', '0'], ['oh', '0'], ['nl', '0'], ['nh', '0'], ['ix', '0'], ['v', 'undefined'], ['en', 'undefined']]
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(text)).map(([name, init]) => `, ${name} = ${init}`).join('') + ';';
  const consts = [['RG', 'run.regions'], ['Ar', 'run.args'], ['SD', 'run.stack.dv'], ['SU', 'run.stack.u8']]
    .filter(([name], i) => i === 0 || new RegExp(`\\b${name}\\b`).test(text)).map(([name, init]) => `${name} = ${init}`).join(', ');
  const head = [
    "'use strict';",
    'const T = A.T;',
    'return function exec(run, entry, args) {',
    `  let ${regs.join(', ')};`,
    '  const base = run.depth;',
    '  l10 = run.enterFrame(entry);',
    `  const ${consts}${hasCalls ? ', F = []' : ''};`,
    `  let pc = entry, budget = ${budgeted ? maxSteps : 0}, mg = ${BPF_MAX_LOOPS}${temps}`,
  ];
  // The value arrays / entry maps of inlined lookups, per specialised call site (S[j].inline).
  if (inlined.size > 0) head.splice(2, 0, `const ${[...inlined].map(([j, f]) => `V${j} = S[${j}].inline.${f}`).join(', ')};`);
  const body = (lines: string[], indent: string): string[] => [
    `${indent}for (;;) {`,
    `${indent}  switch (pc) {`,
    ...lines.map((l) => (l.startsWith('case ') ? `${indent}  ${l}` : `${indent}    ${l}`)),
    `${indent}  default: run.badCall(pc, "jump to a slot that is not an instruction");`,
    `${indent}  }`,
    `${indent}}`,
  ];
  if (forward) {
    const open = [...targets].sort((x, y) => y - x).map((t) => `L${t}: {`).join(' ');
    return [...head, `  ${open}`, ...out.map((l) => `    ${l}`), '};'].join('\n');
  }
  if (!chunked) return [...head, ...body(out, '  '), '};'].join('\n');
  const chunks: string[][] = [[]];
  for (const l of out) {
    if (l === CHUNK_MARK) chunks.push([]);
    else chunks[chunks.length - 1]!.push(l);
  }
  // Chunk k holds slots [k * CHUNK, (k + 1) * CHUNK); a chunk that holds no instruction start
  // (the tail of an lddw) never receives control.
  const fns: string[] = [];
  const table: string[] = [];
  let ci = 0;
  for (let k = 0; k <= chunkOf(n - 1); k++) {
    const has = chunks[ci] !== undefined && out.length > 0 && firstSlotOf(chunks[ci]!, k, chunkOf);
    if (has) {
      fns.push(`  function c${k}(pc) {`, ...body(chunks[ci]!, '    '), '  }');
      table.push(`c${k}`);
      ci++;
    } else {
      table.push('undefined');
    }
  }
  return [
    ...head,
    ...fns,
    `  const C = [${table.join(', ')}];`,
    `  for (;;) { pc = C[Math.floor(pc / ${CHUNK})](pc); if (pc < 0) return; }`,
    '};',
  ].join('\n');
}

/** True when a chunk's first `case` label belongs to chunk k. */
function firstSlotOf(lines: readonly string[], k: number, chunkOf: (s: number) => number): boolean {
  const first = lines.find((l) => l.startsWith('case '));
  return first !== undefined && chunkOf(Number(first.slice(5, -1))) === k;
}

/** Inline code of a 64-bit shift by a constant (0..63). */
function shiftK(kind: 'lsh' | 'rsh' | 'arsh', l: string, h: string, n: number): string {
  if (n === 0) return '';
  if (kind === 'lsh') {
    return n < 32 ? `${h} = (${h} << ${n}) | (${l} >>> ${32 - n}); ${l} = ${l} << ${n};` : `${h} = ${l} << ${n - 32}; ${l} = 0;`;
  }
  if (kind === 'rsh') {
    return n < 32 ? `${l} = (${l} >>> ${n}) | (${h} << ${32 - n}); ${h} = ${h} >>> ${n};` : `${l} = (${h} >>> ${n - 32}) | 0; ${h} = 0;`;
  }
  return n < 32 ? `${l} = (${l} >>> ${n}) | (${h} << ${32 - n}); ${h} = ${h} >> ${n};` : `${l} = ${h} >> ${n - 32}; ${h} = ${h} >> 31;`;
}
