/**
 * bpf_redirect and bpf_redirect_map for XDP (net/core/filter.c `bpf_xdp_redirect`,
 * `__bpf_xdp_redirect_map`; devmap.c, cpumap.c, xskmap.c `map_redirect`). They record the
 * target in the run's redirect state and return XDP_REDIRECT; the XDP hook performs the
 * redirect after the program returns that verdict.
 */
import type { HelperCall } from '../../vm';
import { XDP_ABORTED, XDP_REDIRECT } from '../../vm';
import { CpuMap } from '../maps/cpumap';
import { DevMap, DevMapHash } from '../maps/devmap';
import { XskMap } from '../maps/xskmap';
import { flagsArg, mapArg, REDIRECT_NO_MAP, type HelperContext } from './context';

/** The low bits of bpf_redirect_map's flags: the verdict when the key has no entry. */
export const BPF_F_ACTION_MASK = 3;
/** Devmap flags: redirect to every device of the map, optionally not the ingress one. */
export const BPF_F_BROADCAST = 1 << 3;
/** `BPF_F_EXCLUDE_INGRESS` (include/uapi/linux/bpf.h). */
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;

/** bpf_redirect(ifindex, flags): XDP_REDIRECT, or XDP_ABORTED when flags are not 0. */
export function redirectHelper(k: HelperContext) {
  return (c: HelperCall): void => {
    if (c.args[2] !== 0 || c.args[3] !== 0) return c.ret(XDP_ABORTED);
    k.redirect = { index: c.u32(1), flags: 0, mapId: undefined, mapType: REDIRECT_NO_MAP };
    c.ret(XDP_REDIRECT);
  };
}

/**
 * bpf_redirect_map(map, key, flags): XDP_REDIRECT when the key has an entry (or with
 * BPF_F_BROADCAST on a devmap), else the action in `flags & BPF_F_ACTION_MASK`; XDP_ABORTED for
 * flags the map type does not know.
 */
export function redirectMapHelper(k: HelperContext) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    const key = c.u32(2);
    const flags = flagsArg(c, 3);
    const isDev = map instanceof DevMap || map instanceof DevMapHash;
    const allowed = BPF_F_ACTION_MASK | (isDev ? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : 0);
    if (flags & ~allowed || flags === 0xffffffff) return c.ret(XDP_ABORTED);
    let found: boolean;
    if (isDev) found = map.target(key) !== undefined;
    else if (map instanceof CpuMap) found = map.target(key) !== undefined;
    else if (map instanceof XskMap) found = map.socketAt(key) !== undefined;
    else return c.ret(XDP_ABORTED);
    if (!found && !(flags & BPF_F_BROADCAST)) {
      k.redirect = null;
      return c.ret(flags & BPF_F_ACTION_MASK);
    }
    k.redirect = { index: key, flags: flags & BPF_F_BROADCAST ? flags : 0, mapId: map.id, mapType: map.type };
    c.ret(XDP_REDIRECT);
  };
}
