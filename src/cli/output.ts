/**
 * How every command talks to the user: text (chalk, honouring NO_COLOR) or `--json`, and
 * the exit codes: 0 success, 1 the operation was refused or failed, 2 bad usage or bad input.
 *
 * The split for the commands that mirror a real tool (reference §8.2):
 * - `load`, `unload`, `status`, `features` (xdp-loader) and `prog`, `map` (bpftool) print the
 *   tool's messages verbatim but exit with these codes, not the tools' 256 - errno / 255
 *   (src/kernel/loader `xdptsExit`): 2 for missing files, unknown sections, programs, maps or
 *   interfaces, bad option values and missing parameters; 1 for refusals (verifier, EBUSY,
 *   EEXIST, EOPNOTSUPP, E2BIG, EINVAL, nothing to unload, key not found).
 * - `ip` and `ping` keep their real statuses (iproute2 1/2/255, iputils ping 0/1/2), because the
 *   issue asks for "errors as iproute2 words them" and ping "with iputils' output and exit codes";
 *   so does `ip link set DEV xdp...` and `ip netns exec NS CMD`, whose status is CMD's.
 */
import { Chalk } from 'chalk';
import { AsmError, BtfError, ElfError, ObjectError, UsageError, XdptsError } from '../util/errors';

export const EXIT_OK = 0;
export const EXIT_FAIL = 1;
export const EXIT_USAGE = 2;

/** Colours for text output; off when NO_COLOR is set or stdout is not a terminal. */
export const color = new Chalk({ level: process.env['NO_COLOR'] !== undefined || !process.stdout.isTTY ? 0 : 1 });

/** Options every command accepts. */
export interface CommonOptions {
  json?: boolean;
}

/** Writes a line (or lines) to stdout. */
export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n');
}

/** Writes a line to stderr. */
export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

/** Prints a value as JSON on stdout (one document, pretty when a terminal reads it). */
export function outJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, jsonReplacer, process.stdout.isTTY ? 2 : undefined) + '\n');
}

function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Map) return Object.fromEntries(v);
  return v;
}

/** An error that already carries its exit code and message (e.g. a refused operation). */
export class CliFailure extends XdptsError {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAIL,
    readonly details?: Record<string, unknown>,
  ) {
    super(message, 'cli');
    this.name = 'CliFailure';
  }
}

/** The exit code an error maps to: bad input is 2, everything else that failed is 1. */
export function exitCodeOf(e: unknown): number {
  if (e instanceof CliFailure) return e.exitCode;
  if (e instanceof UsageError || e instanceof AsmError || e instanceof ElfError || e instanceof BtfError) return EXIT_USAGE;
  if (e instanceof ObjectError) return EXIT_USAGE;
  if (e instanceof XdptsError) return EXIT_FAIL;
  return EXIT_FAIL;
}

/**
 * The one JSON shape of a failure under `--json`: `{"error": {"message", "code", "errno"?}}`,
 * `code` the error's stable kind (`usage`, `asm`, `ENOENT`, ...) and `errno` where that kind is
 * an errno name; `extra` fields (a command's partial results) stand beside `error`.
 */
export function errorJson(message: string, code: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { error: { message, code, ...(/^E[A-Z0-9]+$/.test(code) ? { errno: code } : {}) }, ...extra };
}

/** Reports an error in the form asked for and returns the exit code. Never prints a stack for XdptsErrors. */
export function reportError(e: unknown, json: boolean): number {
  const code = exitCodeOf(e);
  if (json) {
    const message = e instanceof Error ? e.message : String(e);
    const kind = e instanceof XdptsError ? e.code : 'internal';
    outJson(errorJson(message, kind, e instanceof CliFailure ? e.details : {}));
  } else if (e instanceof XdptsError) {
    err(e instanceof AsmError ? e.message : `xdpts: ${e.message}`);
  } else {
    // A bug in xdpts, not a user error: say so, with the stack for the report.
    err(`xdpts: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  return code;
}

/**
 * Runs a command body: its return value (or 0) becomes the exit code; a thrown error is reported
 * in text or JSON and mapped to its exit code. Every command action goes through this.
 */
export async function runCommand(
  json: boolean | undefined,
  setExit: (code: number) => void,
  body: () => number | void | Promise<number | void>,
): Promise<void> {
  try {
    const code = await body();
    setExit(code ?? EXIT_OK);
  } catch (e) {
    setExit(reportError(e, json === true));
  }
}
