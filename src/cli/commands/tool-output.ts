/**
 * Printing of emulated-tool outcomes (xdp-loader, bpftool): their stdout and stderr lines
 * verbatim, xdpts's exit code for them (0 / 1 refused / 2 bad usage or input, reference §8.2 —
 * not the tools' 256 - errno); with `--json` a JSON document on stdout instead (the outcome's
 * JSON view on success, `{"error": ..., "exit": N}` on failure).
 */
import { readFileSync } from 'node:fs';
import { xdptsExit, type ToolOutcome } from '../../kernel/index';
import { NetError } from '../../net/index';
import { err, errorJson, out, outJson } from '../output';
import { reportNetError } from './net-session';

/** Prints an outcome and returns its exit status. */
export function emit(o: ToolOutcome, json: boolean): number {
  const code = xdptsExit(o);
  if (json && o.json !== undefined && o.exit === 0) {
    outJson(o.json);
    return code;
  }
  if (json && o.exit !== 0 && o.stderr.length > 0) {
    outJson(errorJson(o.stderr.filter((l) => l !== '').map((l) => l.trim()).join('\n'), code === 2 ? 'usage' : 'failed', { exit: code }));
    return code;
  }
  for (const l of o.stdout) out(`${l}\n`);
  for (const l of o.stderr) err(`${l}\n`);
  return code;
}

/** Reads a file for the loader; undefined when it cannot be read. */
export function readFileOrUndefined(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Runs a body that may fail with a NetError (a corrupt state...) and reports it like the tools do. */
export async function guarded(body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof NetError) return reportNetError(e);
    throw e;
  }
}
