/**
 * Runs verifier corpus cases through the real kernel (test/oracle/bpf-verify.c, compiled
 * here with libbpf) and extracts the verdict, the error line, the processed count and the
 * level-1 log.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Case, toLoaderInput } from '../verifier/builder';

/** The kernel's answer for one case. */
export interface KernelVerdict {
  accepted: boolean;
  errno: string;
  /** The first line after the last instruction line of the log: the kernel's message. */
  error: string;
  /** `processed N insns` of the level-1 log. */
  processed?: number;
  /** The whole statistics line (`processed N insns (limit ...) ... mark_read N`). */
  stats?: string;
  /**
   * The complete level-1 log of a rejected program; when the kernel's 1 MiB log buffer
   * rotated (`logTruncated`), only its tail from a line start.
   */
  log?: string;
  logTruncated?: boolean;
}

/** Size of the loader's log buffer (test/oracle/bpf-verify.c LOG_SIZE). */
const LOG_SIZE = 1 << 20;
/** Characters of a rotated log kept in the fixtures. */
const TAIL = 4000;

/**
 * Normalises what legitimately differs between two runs of the same program: the kernel
 * prints a map's address in `r1 = 0xffff...` (xdpts: `map[id:N]`), which also shifts the
 * column of the `;` state part on that line.
 */
export function normalizeLog(log: string): string {
  return log
    .replace(/^(\d+: \(18\) r\d+ = )(?:0xffff[0-9a-f]{12}|map\[id:\d+\](?:\+\d+)?)(?: +;|$)/gm, (_m, p: string) => `${p}<map> ;`)
    .replace(/map\[id:\d+\]/g, 'map[id:N]');
}

/** Whether xdpts' level-1 log equals the kernel's (the tail of it when the kernel's rotated). */
export function sameLog(kernel: KernelVerdict, ours: string): boolean {
  if (kernel.log === undefined) return false;
  const k = normalizeLog(kernel.log);
  const o = normalizeLog(ours);
  return kernel.logTruncated ? o.endsWith(k) : o === k;
}

/**
 * The lines of a kernel log between its last instruction line and `processed N insns`: the
 * error message (often two lines), with source-line (`; ...`) comments left out. A few kernel
 * messages lack their newline and run into the `processed` line; that tail is cut.
 */
export function errorLines(log: string): string[] {
  const lines = log.split('\n').filter((l) => l.length > 0);
  let end = lines.findIndex((l) => l.startsWith('processed '));
  if (end < 0) end = lines.length;
  let last = -1;
  for (let k = 0; k < end; k++) if (/^\d+: \([0-9a-f]{2}\)/.test(lines[k]!)) last = k;
  const cut = (l: string): string => l.replace(/processed \d+ insns \(limit.*$/, '');
  // Source lines (`; ...`) and the state dumps after `infinite loop detected` are not messages.
  const block = lines.slice(last + 1, end).filter((l) => !l.startsWith('; ') && !/^(cur|old) state:/.test(l)).map(cut);
  return block.length > 0 || end === lines.length ? block : [cut(lines[end]!)].filter((l) => l.length > 0);
}

/** The error line of a kernel log (`R0 !read_ok`): the last line the kernel printed for the error, or '' when accepted. */
export function kernelErrorLine(log: string): string {
  return errorLines(log).at(-1) ?? '';
}

/** The `processed N insns ...` statistics line of a log (without what runs into it). */
export function statsLine(log: string): string | undefined {
  return /processed \d+ insns \(limit.*$/m.exec(log)?.[0];
}

/**
 * Compiles a loader (test/oracle/bpf-verify.c for raw programs, bpf-verify-obj.c for ELF
 * objects) into a fresh temp dir; undefined when no C compiler or libbpf.
 */
export function buildLoader(source = 'bpf-verify.c'): { path: string; dispose: () => void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'xdptsF_'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  const out = join(dir, 'bpf-verify');
  const r = spawnSync('cc', ['-O2', '-o', out, join(__dirname, source), '-lbpf'], { encoding: 'utf8' });
  if (r.status !== 0) {
    dispose();
    return undefined;
  }
  return { path: out, dispose };
}

/** Loads every case into the kernel (one process) and returns the verdicts by name. */
export function kernelVerdicts(loader: string, cases: readonly Case[]): Map<string, KernelVerdict> {
  const input = cases.map(toLoaderInput).join('');
  const out = execFileSync(loader, ['1'], { input, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 600_000 });
  const res = new Map<string, KernelVerdict>();
  const blocks = out.split(/^=== end$/m);
  for (const b of blocks) {
    const m = /^=== (\S+)\nverdict (\S+)\n([\s\S]*)$/m.exec(b.trimStart());
    if (!m) continue;
    const accepted = m[2] === 'OK';
    const log = m[3]!;
    const p = /processed (\d+) insns/.exec(log);
    const v: KernelVerdict = { accepted, errno: accepted ? '' : m[2]!, error: accepted ? '' : kernelErrorLine(log) };
    if (p) v.processed = Number(p[1]);
    const st = statsLine(log);
    if (st) v.stats = st;
    if (!accepted) {
      const truncated = log.length >= LOG_SIZE - 1;
      v.log = truncated ? log.slice(log.indexOf('\n', log.length - TAIL) + 1) : log;
      if (truncated) v.logTruncated = true;
    }
    res.set(m[1]!, v);
  }
  return res;
}
