/**
 * The differential verifier corpus (fixtures/verifier-corpus: our own C programs with inline-asm
 * bodies, compiled by clang-19): its programs, the real kernel's verdicts on them (through
 * test/oracle/bpf-verify-obj.c, libbpf loading each program of an object alone) and xdpts'.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadObject } from '../../src/object';
import type { MapSpec, ProgramSpec } from '../../src/object';
import { verifyProgram } from '../../src/verifier';
import { errorLines, normalizeLog } from './verifier-oracle';

export const CORPUS_DIR = join(__dirname, '../../fixtures/verifier-corpus');
export const TRUTH_FILE = join(CORPUS_DIR, 'kernel.json');

/** One program of the corpus, keyed `file/program` (file without `.o`). */
export interface CorpusProgram {
  key: string;
  object: string;
  prog: ProgramSpec;
  maps: readonly MapSpec[];
}

/** What a verifier said about one program. */
export interface Verdict {
  accepted: boolean;
  /** errno name of the failed load ('' when accepted). */
  errno: string;
  /** The last error line ('' when accepted). */
  error: string;
  /** `processed N insns` and `total_states N` of the level-1 log. */
  processed: number;
  states: number;
  /** The level-1 log of a rejection (its tail when longer than LOG_KEEP). */
  log?: string;
}

/** Characters of a rejection's level-1 log kept in the fixture. */
const LOG_KEEP = 6000;

function keepLog(log: string): string {
  return log.length <= LOG_KEEP ? log : log.slice(log.indexOf('\n', log.length - LOG_KEEP) + 1);
}

/**
 * The corpus's programs, in file then program order: `fast` ones (npm test), the `slow_*.c` files
 * whose programs run into the 1M-instruction budget (test/heavy), or all.
 */
export function corpusPrograms(which: 'fast' | 'slow' | 'all' = 'all'): CorpusProgram[] {
  const out: CorpusProgram[] = [];
  const files = readdirSync(CORPUS_DIR).filter((x) => x.endsWith('.o') && (which === 'all' || x.startsWith('slow_') === (which === 'slow')));
  for (const f of files.sort()) {
    const object = join(CORPUS_DIR, f);
    const spec = loadObject(new Uint8Array(readFileSync(object)), f);
    for (const prog of spec.programs) out.push({ key: `${f.slice(0, -2)}/${prog.name}`, object, prog, maps: spec.maps });
  }
  return out;
}

/**
 * The kernel's last error line: of the lines after the last instruction line and before
 * `processed N insns`, the final one (`R2 offset is outside of the packet` after `invalid access
 * to packet, off=14 size=1, ...`): the one users search for.
 */
export function lastErrorLine(log: string): string {
  // `infinite loop detected at insn N` is followed by dumps of the two equal states.
  return errorLines(log).filter((l) => !/^(cur|old) state: /.test(l)).at(-1) ?? '';
}

/** Parses the loader's `=== OBJECT PROGRAM` blocks. */
export function parseLoaderOutput(out: string): Map<string, Verdict> {
  const res = new Map<string, Verdict>();
  for (const b of out.split(/^=== end$/m)) {
    const m = /^=== (\S+) (\S+)\nverdict (\S+)\n([\s\S]*)$/m.exec(b.trimStart());
    if (!m) continue;
    const log = m[4]!.trim() + '\n';
    const accepted = m[3] === 'OK';
    const p = /processed (\d+) insns \(limit \d+\) max_states_per_insn \d+ total_states (\d+)/.exec(log);
    const file = m[1]!.split('/').pop()!.replace(/\.o$/, '');
    const v: Verdict = {
      accepted,
      errno: accepted ? '' : m[3]!,
      error: accepted ? '' : lastErrorLine(log),
      processed: p ? Number(p[1]) : 0,
      states: p ? Number(p[2]) : 0,
    };
    if (!accepted) v.log = keepLog(log);
    res.set(`${file}/${m[2]}`, v);
  }
  return res;
}

/** Loads every program of OBJECTS in the real kernel (one loader process per object). */
export function kernelCorpusVerdicts(loader: string, objects: readonly string[]): Map<string, Verdict> {
  const res = new Map<string, Verdict>();
  for (const o of objects) {
    const r = spawnSync(loader, [], { input: `${o} *\n`, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 900_000 });
    for (const [k, v] of parseLoaderOutput(r.stdout ?? '')) res.set(k, v);
  }
  return res;
}

/** xdpts' verdict on one corpus program, at log level 1. */
export function xdptsVerdict(p: CorpusProgram): Verdict {
  const r = verifyProgram(p.prog, p.maps, { logLevel: 1 });
  const v: Verdict = {
    accepted: r.accepted,
    errno: r.accepted ? '' : r.errno ?? '',
    error: r.error ?? '',
    processed: r.stats.processed,
    states: r.stats.states,
  };
  if (!r.accepted) v.log = keepLog(r.log);
  return v;
}

/** How xdpts' verdicts compare with the kernel's, by class (lists of program keys). */
export interface Comparison {
  total: number;
  wrongAccepts: string[];
  wrongRejects: string[];
  /** Both reject, different last error line. */
  messages: string[];
  /** Both reject, different errno. */
  errnos: string[];
  /** Both accept, different processed count or states. */
  counts: string[];
  rejected: number;
  accepted: number;
  /** Both reject and the whole level-1 log is equal. */
  logsEqual: number;
}

/** The keys of GAPS that belong to the compared programs KEYS, sorted. */
export function gapsAmong(gaps: Record<string, string>, keys: readonly string[]): string[] {
  const set = new Set(keys);
  return Object.keys(gaps).filter((k) => set.has(k)).sort();
}

export function compareVerdicts(keys: readonly string[], kernel: (k: string) => Verdict | undefined, ours: (k: string) => Verdict): Comparison {
  const c: Comparison = { total: 0, wrongAccepts: [], wrongRejects: [], messages: [], errnos: [], counts: [], rejected: 0, accepted: 0, logsEqual: 0 };
  for (const key of keys) {
    const k = kernel(key);
    if (!k) continue;
    const o = ours(key);
    c.total++;
    if (o.accepted && !k.accepted) c.wrongAccepts.push(key);
    else if (!o.accepted && k.accepted) c.wrongRejects.push(key);
    else if (!k.accepted) {
      c.rejected++;
      if (o.error !== k.error) c.messages.push(key);
      if (o.errno !== k.errno) c.errnos.push(key);
      if (o.log !== undefined && k.log !== undefined && normalizeLog(o.log) === normalizeLog(k.log)) c.logsEqual++;
    } else {
      c.accepted++;
      if (o.processed !== k.processed || o.states !== k.states) c.counts.push(key);
    }
  }
  return c;
}

const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);

/** The figures, one line each. */
export function figures(what: string, c: Comparison): string {
  const agree = c.total - c.wrongAccepts.length - c.wrongRejects.length;
  return [
    `verifier corpus vs ${what}: ${c.total} programs, verdicts agree ${agree}/${c.total} (${pct(agree, c.total)})`,
    `  wrong accepts ${c.wrongAccepts.length}, wrong rejects ${c.wrongRejects.length} (${pct(c.wrongRejects.length, c.total)})`,
    `  last error line on agreed rejections ${c.rejected - c.messages.length}/${c.rejected} (${pct(c.rejected - c.messages.length, c.rejected)}), errno ${c.rejected - c.errnos.length}/${c.rejected}, whole level-1 log ${c.logsEqual}/${c.rejected}`,
    `  processed+states on agreed accepts ${c.accepted - c.counts.length}/${c.accepted} (${pct(c.accepted - c.counts.length, c.accepted)})`,
  ].join('\n');
}
