/**
 * `--set NAME=VALUE` (run, verify; load parses it with xdp-loader's options): a global variable
 * set before load, as bpf2go users do with RewriteConstants and skeleton users with
 * `skel->rodata->NAME = VALUE`.
 */
import { parseAssignments, rewriteConstants, type ObjectSpec } from '../../object';
import { UsageError, XdptsError } from '../../util/errors';

export const SET_FLAGS = '--set <NAME=VALUE>';
export const SET_HELP = 'set a global variable (a const volatile in .rodata, or .data/.bss) before load; VALUE is an integer or true/false (repeatable)';

/** commander's collector for a repeatable option. */
export const collectSet = (v: string, prev: string[] = []): string[] => [...prev, v];

/** `spec` with the `--set` values written in; bad syntax or an unknown variable is a usage error. */
export function applySets(spec: ObjectSpec, sets: readonly string[] | undefined): ObjectSpec {
  if (!sets?.length) return spec;
  try {
    return rewriteConstants(spec, parseAssignments(sets));
  } catch (e) {
    if (e instanceof XdptsError) throw new UsageError(`--set ${e.message}`);
    throw e;
  }
}
