/**
 * Property mode (`--fuzz N`): N mutated copies of each case's packet — truncated, a byte
 * changed, a length or protocol field set to an edge value, bytes appended — run on a kernel of
 * their own (after the file's setup), seeded and reproducible (xorshift32 from `--seed`).
 * A mutant that makes the program fault, or return XDP_ABORTED where its case expects another
 * action, is a failure; one that takes a branch direction no case took is a finding. Findings are
 * grouped per case and kind, each with the first mutant's hex (to paste into a case) and a count.
 */
import { decodePacket, hexOf } from '../packet/index';
import type { VmCoverage } from '../vm/index';
import type { CaseResult, CompiledFile } from './model';
import { openTarget } from './target';

/** xorshift32: small, seeded, the same on every machine. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

const EDGE = [0, 1, 0x7f, 0x80, 0xff];
const EDGE16 = [0, 1, 8, 20, 0x7fff, 0xffff];

/** One mutant of a frame. */
export function mutate(frame: Uint8Array, next: () => number): Uint8Array {
  const kind = next() % 5;
  const f = frame.slice();
  if (kind === 0 && f.length > 14) return f.slice(0, 14 + (next() % (f.length - 14)));
  if (kind === 1 && f.length) {
    f[next() % f.length] = EDGE[next() % EDGE.length]!;
    return f;
  }
  if (kind === 2) {
    // A length or protocol field of a decoded header: the places parsers trust.
    const spots: number[] = [];
    for (const l of decodePacket(frame)) {
      if (l.name === 'ipv4') spots.push(l.offset + 2, l.offset + 9, l.offset);
      else if (l.name === 'ipv6') spots.push(l.offset + 4, l.offset + 6);
      else if (l.name === 'udp') spots.push(l.offset + 4);
      else if (l.name === 'tcp') spots.push(l.offset + 12);
      else if (l.name === 'eth' || l.name === 'vlan') spots.push(l.offset + (l.name === 'eth' ? 12 : 2));
    }
    if (spots.length) {
      const at = spots[next() % spots.length]!;
      const v = EDGE16[next() % EDGE16.length]!;
      if (at + 1 < f.length) {
        f[at] = v >> 8;
        f[at + 1] = v & 255;
      }
      return f;
    }
  }
  if (kind === 3) {
    const extra = new Uint8Array(1 + (next() % 64));
    for (let i = 0; i < extra.length; i++) extra[i] = next() & 255;
    const out = new Uint8Array(f.length + extra.length);
    out.set(f);
    out.set(extra, f.length);
    return out;
  }
  for (let i = 0; i < 1 + (next() % 4) && f.length; i++) f[next() % f.length] = next() & 255;
  return f;
}

/** Runs `count` mutants of each case's packet; `baseline` is the coverage the cases reached. */
export function fuzzRunner(cf: CompiledFile, count: number, seed: number, baseline?: VmCoverage): CaseResult[] {
  const target = openTarget(cf, { coverage: true });
  if ('rejected' in target) return [];
  const cov = target.coverage!;
  const seenTaken = new Uint8Array(cov.exec.length);
  const seenFall = new Uint8Array(cov.exec.length);
  if (baseline) {
    for (let i = 0; i < cov.exec.length; i++) {
      if (baseline.taken[i]! > 0) seenTaken[i] = 1;
      if (baseline.exec[i]! - baseline.taken[i]! > 0) seenFall[i] = 1;
    }
  }
  const next = rng(seed);
  const out: CaseResult[] = [];
  const before = new Uint32Array(cov.exec.length);
  const beforeT = new Uint32Array(cov.exec.length);
  for (const c of cf.cases) {
    if (!c.packet || c.skip !== undefined || c.expect.rejected !== undefined) continue;
    // One result per kind of finding and case: the first mutant that shows it, and how many did.
    const findings = new Map<string, { first: Uint8Array; n: number; fail: boolean; ms: number }>();
    const note = (key: string, m: Uint8Array, fail: boolean, ms: number): void => {
      const f = findings.get(key);
      if (f) f.n++;
      else findings.set(key, { first: m, n: 1, fail, ms });
    };
    for (let k = 0; k < count; k++) {
      const m = mutate(c.packet, next);
      before.set(cov.exec);
      beforeT.set(cov.taken);
      const t0 = performance.now();
      const r = target.run(m, c.ctx, undefined, c.cpu).result;
      if ('errno' in r) continue;
      const fresh: number[] = [];
      for (let i = 0; i < cov.exec.length; i++) {
        const dt = cov.taken[i]! - beforeT[i]!;
        const df = cov.exec[i]! - before[i]! - dt;
        if (dt > 0 && !seenTaken[i]) (seenTaken[i] = 1), fresh.push(i);
        if (df > 0 && !seenFall[i] && isBranch(cf, i)) (seenFall[i] = 1), fresh.push(i);
      }
      const ms = performance.now() - t0;
      if (r.fault) note(`fault: ${r.fault.message}`, m, true, ms);
      else if (r.retval === 0 && c.expect.action !== 0) note('XDP_ABORTED', m, true, ms);
      if (fresh.length) note(`a branch direction no case took (${[...new Set(fresh.map((i) => where(cf, i)))].join(', ')})`, m, false, ms);
    }
    for (const [what, f] of findings) {
      const name = `fuzz: ${c.name}: ${what}`;
      const detail = [`packet: ${hexOf(f.first)}`, `${f.n} of ${count} mutants (seed ${seed})`];
      if (f.fail) out.push({ name, line: c.line, status: 'fail', durationMs: f.ms, failures: [{ what: 'fuzz', expected: 'no abort or fault', actual: what, detail }] });
      else out.push({ name, line: c.line, status: 'pass', durationMs: f.ms, failures: [], note: `${detail.join('; ')}` });
    }
  }
  return out;
}

/** Where slot `slot` is in the source (`parser.c:45`, by `.BTF.ext` line info), else `insn N`. */
function where(cf: CompiledFile, slot: number): string {
  let s = 0;
  let line: string | undefined;
  for (const [idx, ins] of cf.program.insns.entries()) {
    const li = cf.program.lineInfo.get(idx);
    if (li) line = `${li.fileName.slice(li.fileName.lastIndexOf('/') + 1)}:${li.lineNum}`;
    if (s === slot) return line ?? `insn ${idx}`;
    s += ins.opcode === 0x18 ? 2 : 1;
  }
  return `slot ${slot}`;
}

/** Whether slot `i` holds a conditional jump (its fall-through is a branch direction). */
function isBranch(cf: CompiledFile, slot: number): boolean {
  let s = 0;
  for (const ins of cf.program.insns) {
    if (s === slot) {
      const cls = ins.opcode & 7;
      const op = ins.opcode & 0xf0;
      return (cls === 5 || cls === 6) && op !== 0x00 && op !== 0x80 && op !== 0x90;
    }
    s += ins.opcode === 0x18 ? 2 : 1;
    if (s > slot) return false;
  }
  return false;
}
