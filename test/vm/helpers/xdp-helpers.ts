/**
 * Test-side implementations of bpf_xdp_adjust_head / _meta / _tail over the VM's XdpBuff,
 * with the checks of net/core/filter.c (xdp_frame_end, ETH_HLEN, metalen rules, data_hard_end),
 * so VM tests can run kernel-compiled programs that call them. The emulated kernel has its own.
 */
import type { HelperCall, HelperFn, HelperTable } from '../../../src/vm';

const ETH_HLEN = 14;
const EINVAL = -22;
const EACCES = -13;

/** bpf_xdp_adjust_head(ctx, delta). */
export function adjustHead(c: HelperCall): void {
  const x = c.mem.xdp!;
  const delta = c.args[2]!; // int offset (low 32 bits, signed)
  const data = x.data + delta;
  const metalen = x.data - x.dataMeta;
  if (data < x.frameEnd + metalen || data > x.dataEnd - ETH_HLEN) return c.ret(EINVAL);
  if (metalen) x.frame.copyWithin(x.dataMeta + delta, x.dataMeta, x.data);
  x.dataMeta += delta;
  x.data = data;
  c.ret(0);
}

/** bpf_xdp_adjust_tail(ctx, delta) on a linear frame: growth is zeroed, limited by data_hard_end. */
export function adjustTail(c: HelperCall): void {
  const x = c.mem.xdp!;
  const delta = c.args[2]!;
  const end = x.dataEnd + delta;
  if (end > x.hardEnd || end <= x.data + ETH_HLEN) return c.ret(EINVAL);
  if (delta > 0) x.frame.fill(0, x.dataEnd, end);
  x.dataEnd = end;
  c.ret(0);
}

/** bpf_xdp_adjust_meta(ctx, delta). */
export function adjustMeta(c: HelperCall): void {
  const x = c.mem.xdp!;
  const meta = x.dataMeta + c.args[2]!;
  const metalen = x.data - meta;
  if (meta < x.frameEnd || meta > x.data) return c.ret(EINVAL);
  if (metalen & 3 || metalen > 32) return c.ret(EACCES);
  x.dataMeta = meta;
  c.ret(0);
}

/** A helper table with the three adjust helpers at their kernel ids (44, 54, 65). */
export const xdpHelpers: HelperTable = {
  helpers: Object.assign([] as HelperFn[], { 44: adjustHead, 54: adjustMeta, 65: adjustTail }),
};
