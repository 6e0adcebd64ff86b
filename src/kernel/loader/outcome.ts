/** What one emulated tool invocation produced: its exit status, its output lines and a JSON view. */
export interface ToolOutcome {
  exit: number;
  stdout: string[];
  stderr: string[];
  /** The `--json` form of the result (xdpts's addition to xdp-loader). */
  json?: unknown;
}

/** A successful outcome. */
export function success(stdout: string[] = [], json?: unknown, stderr: string[] = []): ToolOutcome {
  return { exit: 0, stdout, stderr, ...(json !== undefined ? { json } : {}) };
}

/** A failed outcome; xdp-loader returns -errno from `load`, so the status is 256 - errno. */
export function failure(exit: number, stderr: string[], stdout: string[] = []): ToolOutcome {
  return { exit, stdout, stderr };
}

/** xdp-loader's exit status for a negative errno return (`return err;` from main → 256 - errno). */
export function errnoExit(errno: number): number {
  return (256 - errno) & 0xff;
}
