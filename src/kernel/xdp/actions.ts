/**
 * XDP verdicts by name and the chain-call action sets of libxdp (a bitmask with bit N set for
 * verdict N, xdp-tools lib/libxdp/libxdp.c `xdp_program__chain_call_enabled`).
 */
import { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX } from '../../vm/types';

/** Verdict names in number order (`enum xdp_action`, include/uapi/linux/bpf.h). */
export const XDP_ACTION_NAMES = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'] as const;

/** One verdict name. */
export type XdpActionName = (typeof XDP_ACTION_NAMES)[number];

/** libxdp's default chain-call set: only XDP_PASS runs the next program. */
export const DEFAULT_CHAIN_CALL_ACTIONS = 1 << XDP_PASS;

/** libxdp's default run priority (`XDP_DEFAULT_RUN_PRIO`). */
export const DEFAULT_RUN_PRIO = 50;

/** libxdp's `MAX_DISPATCHER_ACTIONS`: the dispatcher has ten slots. */
export const MAX_DISPATCHER_ACTIONS = 10;

/**
 * `XDP_DISPATCHER_RETVAL` (xdp-dispatcher.h): what an empty slot's stub returns; libxdp sets this
 * bit in every slot's chain-call mask so an empty slot always continues.
 */
export const XDP_DISPATCHER_RETVAL = 31;

/** The verdict number of a name, or undefined. */
export function actionNumber(name: string): number | undefined {
  const i = (XDP_ACTION_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : i;
}

/** The name of a verdict (`XDP_PASS`), or `0xN` for a value outside the enum as the tracepoint prints it. */
export function actionName(v: number): string {
  return XDP_ACTION_NAMES[v] ?? `0x${(v >>> 0).toString(16)}`;
}

/** The short name the xdp tracepoints print (`ABORTED`, `REDIRECT`, `0x7`). */
export function traceActionName(v: number): string {
  const n = XDP_ACTION_NAMES[v];
  return n ? n.slice(4) : `0x${(v >>> 0).toString(16)}`;
}

/**
 * Parses xdp-loader's `-A` list (comma-separated names): the bitmask, or undefined when a word
 * is not a verdict name (xdp-loader then says `Couldn't parse option actions`).
 */
export function parseActions(list: string): number | undefined {
  let mask = 0;
  for (const w of list.split(',')) {
    const n = actionNumber(w.trim());
    if (n === undefined) return undefined;
    mask |= 1 << n;
  }
  return mask;
}

/** The mask as xdp-loader prints it: names in verdict-number order, comma-separated, no spaces. */
export function formatActions(mask: number): string {
  const names: string[] = [];
  for (let i = 0; i < XDP_ACTION_NAMES.length; i++) if (mask & (1 << i)) names.push(XDP_ACTION_NAMES[i]!);
  return names.join(',');
}

/** The verdict constants, re-exported for the hook. */
export { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX };
