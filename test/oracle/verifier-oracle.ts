/**
 * Runs verifier corpus cases through the real kernel (test/oracle/bpf-verify.c, compiled
 * here with libbpf) and extracts the verdict and the error line from its log.
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
}

/** The error line of a kernel log (`R0 !read_ok`), or '' when accepted. */
export function kernelErrorLine(log: string): string {
  const lines = log.split('\n').filter((l) => l.length > 0);
  let end = lines.findIndex((l) => l.startsWith('processed '));
  if (end < 0) end = lines.length;
  let last = -1;
  for (let k = 0; k < end; k++) if (/^\d+: \([0-9a-f]{2}\)/.test(lines[k]!)) last = k;
  // A few kernel messages lack their newline and run into the `processed` line.
  return (lines[last + 1] ?? '').replace(/processed \d+ insns \(limit.*$/, '');
}

/** Compiles the loader into a fresh temp dir; undefined when no C compiler or libbpf. */
export function buildLoader(): { path: string; dispose: () => void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'xdptsF_'));
  const dispose = (): void => rmSync(dir, { recursive: true, force: true });
  const out = join(dir, 'bpf-verify');
  const r = spawnSync('cc', ['-O2', '-o', out, join(__dirname, 'bpf-verify.c'), '-lbpf'], { encoding: 'utf8' });
  if (r.status !== 0) {
    dispose();
    return undefined;
  }
  return { path: out, dispose };
}

/** Loads every case into the kernel (one process) and returns the verdicts by name. */
export function kernelVerdicts(loader: string, cases: readonly Case[]): Map<string, KernelVerdict> {
  const input = cases.map(toLoaderInput).join('');
  const out = execFileSync(loader, ['1'], { input, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
  const res = new Map<string, KernelVerdict>();
  const blocks = out.split(/^=== end$/m);
  for (const b of blocks) {
    const m = /^=== (\S+)\nverdict (\S+)\n([\s\S]*)$/m.exec(b.trimStart());
    if (!m) continue;
    const accepted = m[2] === 'OK';
    res.set(m[1]!, { accepted, errno: accepted ? '' : m[2]!, error: accepted ? '' : kernelErrorLine(m[3]!) });
  }
  return res;
}
