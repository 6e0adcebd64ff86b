/** What one emulated tool invocation produced: its exit status, its output lines and a JSON view. */
export interface ToolOutcome {
  /** The real tool's exit status (xdp-loader: 256 - errno; bpftool: 255 or 256 - errno). */
  exit: number;
  stdout: string[];
  stderr: string[];
  /** The `--json` form of the result (xdpts's addition to xdp-loader). */
  json?: unknown;
  /**
   * xdpts's own exit status when it is not the default of {@link xdptsExit} (reference §8.2):
   * 2 for bad usage or bad input, 0 for help shown.
   */
  code?: number;
}

/** xdpts's exit status for bad usage or bad input (missing file, unknown name, bad option). */
export const CODE_USAGE = 2;

/** A successful outcome. */
export function success(stdout: string[] = [], json?: unknown, stderr: string[] = []): ToolOutcome {
  return { exit: 0, stdout, stderr, ...(json !== undefined ? { json } : {}) };
}

/** A failed outcome; xdp-loader returns -errno from `load`, so the status is 256 - errno. */
export function failure(exit: number, stderr: string[], stdout: string[] = []): ToolOutcome {
  return { exit, stdout, stderr };
}

/** A failure caused by bad usage or bad input: the tool's status, and xdpts exits 2. */
export function usageFailure(exit: number, stderr: string[], stdout: string[] = []): ToolOutcome {
  return { exit, stdout, stderr, code: CODE_USAGE };
}

/**
 * The exit status xdpts gives an outcome (reference §8.2: the tool's messages verbatim, xdpts's
 * codes): 0 success, 2 bad usage or bad input (marked by `code`), 1 every other refusal or
 * failure (verifier rejection, EBUSY/EEXIST/EOPNOTSUPP/E2BIG/EINVAL, nothing to unload...).
 */
export function xdptsExit(o: { exit: number; code?: number }): number {
  if (o.code !== undefined) return o.code;
  return o.exit === 0 ? 0 : 1;
}

/** xdp-loader's exit status for a negative errno return (`return err;` from main → 256 - errno). */
export function errnoExit(errno: number): number {
  return (256 - errno) & 0xff;
}
