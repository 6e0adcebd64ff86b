/**
 * Discovery of the real tools the differential tests compare against. Tests that need one use
 * `describe.skipIf(!tools.X)` and say why in the suite name, so a machine without them skips
 * with a clear message; `.ci/run` installs them so CI really runs those tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

function which(candidates: string[]): string | undefined {
  for (const c of candidates) {
    if (c.startsWith('/')) {
      if (existsSync(c)) return c;
      continue;
    }
    const r = spawnSync('sh', ['-c', `command -v ${c}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

/** True when we run as root on a kernel that lets us load BPF programs (bpffs mounted). */
function kernelBpf(bpftool: string | undefined): boolean {
  if (!bpftool || process.getuid?.() !== 0) return false;
  try {
    if (!existsSync('/sys/fs/bpf')) return false;
    execFileSync('sh', ['-c', 'mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf'], { stdio: 'ignore' });
    execFileSync(bpftool, ['prog', 'show'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const bpftool = which(['bpftool', '/usr/sbin/bpftool']);

/** Paths of the oracle tools, undefined where absent. */
export const tools = {
  clang19: which(['clang-19', '/usr/lib/llvm-19/bin/clang']),
  clang14: which(['clang-14', '/usr/lib/llvm-14/bin/clang']),
  llvmMc: which(['/usr/lib/llvm-19/bin/llvm-mc', 'llvm-mc-19']),
  llvmObjdump: which(['/usr/lib/llvm-19/bin/llvm-objdump', 'llvm-objdump-19']),
  llvmReadelf: which(['/usr/lib/llvm-19/bin/llvm-readelf', 'llvm-readelf-19']),
  bpftool,
  xdpLoader: which(['xdp-loader', '/usr/sbin/xdp-loader']),
  /** Root + bpffs + bpftool: the real kernel verifier and BPF_PROG_TEST_RUN are usable. */
  kernel: kernelBpf(bpftool),
};

/** A suite-name suffix that explains a skip. */
export function needs(what: keyof typeof tools): string {
  return tools[what] ? '' : ` (skipped: ${what} is not installed or not usable here)`;
}
