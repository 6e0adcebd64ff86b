/**
 * The XDP packet helpers (net/core/filter.c): bpf_xdp_adjust_head / adjust_tail / adjust_meta,
 * bpf_xdp_get_buff_len, bpf_xdp_load_bytes / store_bytes. They move `data`, `data_end` and
 * `data_meta` of the run's xdp_buff after the kernel's checks; the VM reads those live.
 *
 * Frame layout (offsets from data_hard_start):
 *
 *   0      40 (sizeof xdp_frame)   data_meta   data          data_end         hard_end  4096
 *   | xdp_frame |   headroom       | metadata  | packet ...  |   tailroom     | shinfo |
 */
import type { HelperCall, XdpBuff } from '../../vm';
import { EFAULT, EINVAL, ENODEV } from '../errno';
import { flagsArg, ptrArg } from './context';

/** ETH_HLEN: a packet may never shrink below an Ethernet header. */
export const ETH_HLEN = 14;
const EACCES = 13;
/** Largest metadata: the range of the u8 `skb_shared_info.meta_len`. */
export const XDP_META_MAX = 255;

function xdpOf(c: HelperCall): XdpBuff {
  const x = c.mem.xdp;
  if (!x) c.fault('XDP helper called outside an XDP run');
  return x;
}

/** bpf_xdp_adjust_head(ctx, delta): moves data; 0 or -EINVAL. */
export function xdpAdjustHead(c: HelperCall): void {
  const x = xdpOf(c);
  const offset = c.args[2]! | 0;
  const metalen = x.data - x.dataMeta;
  const data = x.data + offset;
  // The new data may not go into the xdp_frame or the metadata, nor leave < ETH_HLEN bytes.
  if (data < x.frameEnd + metalen || data > x.dataEnd - ETH_HLEN) return c.ret(-EINVAL);
  if (metalen) x.frame.copyWithin(x.dataMeta + offset, x.dataMeta, x.data);
  x.dataMeta += offset;
  x.data = data;
  c.ret(0);
}

/**
 * bpf_xdp_adjust_tail(ctx, delta): moves the end of the frame; grown bytes are zeroed; 0 or
 * -EINVAL. A multi-buffer frame changes its last frag instead (bpf_xdp_frags_increase_tail /
 * bpf_xdp_frags_shrink_tail): it grows into the last frag's page, and shrinks frag by frag from
 * the end, freeing emptied frags, then the linear part once no frag is left.
 */
export function xdpAdjustTail(c: HelperCall): void {
  const x = xdpOf(c);
  const offset = c.args[2]! | 0;
  if (x.frags.length) return c.ret(offset < 0 ? fragsShrink(x, -offset) : fragsGrow(x, offset));
  const end = x.dataEnd + offset;
  if (end > x.hardEnd || end < x.data + ETH_HLEN) return c.ret(-EINVAL);
  if (offset > 0) x.frame.fill(0, x.dataEnd, end);
  x.dataEnd = end;
  c.ret(0);
}

/** PAGE_SIZE: a test run's frags are pages (`rxq.frag_size`), each frag starting at offset 0. */
const FRAG_SIZE = 4096;

function fragsGrow(x: XdpBuff, offset: number): number {
  const last = x.frags[x.frags.length - 1]!;
  if (offset > FRAG_SIZE - last.length) return -EINVAL;
  const grown = new Uint8Array(last.length + offset);
  grown.set(last);
  x.frags = [...x.frags.slice(0, -1), grown];
  return 0;
}

function fragsShrink(x: XdpBuff, offset: number): number {
  if (offset > buffLen(x) - ETH_HLEN) return -EINVAL;
  const frags = [...x.frags];
  while (frags.length && offset > 0) {
    const last = frags.pop()!;
    const cut = Math.min(offset, last.length);
    offset -= cut;
    if (cut < last.length) frags.push(last.subarray(0, last.length - cut));
  }
  x.frags = frags;
  if (!frags.length) x.dataEnd -= offset;
  return 0;
}

/** xdp_get_buff_len: the linear part and every frag. */
function buffLen(x: XdpBuff): number {
  let n = x.dataEnd - x.data;
  for (const f of x.frags) n += f.length;
  return n;
}

/**
 * bpf_xdp_adjust_meta(ctx, delta): moves data_meta; -EINVAL outside [xdp_frame end, data],
 * -EACCES when the metadata would not be a multiple of 4 bytes or exceed 255
 * (`xdp_metalen_invalid`: the u8 `skb_shared_info.meta_len`; older kernels capped it at 32).
 * Checked against Linux 6.18 by test/kernel/helpers-oracle.test.ts.
 */
export function xdpAdjustMeta(c: HelperCall): void {
  const x = xdpOf(c);
  const meta = x.dataMeta + (c.args[2]! | 0);
  if (meta < x.frameEnd || meta > x.data) return c.ret(-EINVAL);
  const metalen = x.data - meta;
  if (metalen & 3 || metalen > XDP_META_MAX) return c.ret(-EACCES);
  x.dataMeta = meta;
  c.ret(0);
}

/** bpf_xdp_get_buff_len(ctx): bytes of the frame, linear part and frags. */
export function xdpGetBuffLen(c: HelperCall): void {
  c.ret(buffLen(xdpOf(c)));
}

/**
 * bpf_xdp_load_bytes / store_bytes(ctx, offset, buf, len): 0, -EFAULT or -EINVAL. The offset
 * counts from `data` across the linear part and on into the frags (bpf_xdp_copy_buf).
 */
export function xdpCopyBytes(store: boolean) {
  return (c: HelperCall): void => {
    const x = xdpOf(c);
    const offset = c.u32(2);
    const len = c.u32(4);
    // bpf_xdp_pointer: offsets and lengths are 16-bit quantities; the range must be packet.
    if (offset > 0xffff || len > 0xffff) return c.ret(-EFAULT);
    if (offset + len > buffLen(x)) return c.ret(-EINVAL);
    const [lo, hi] = ptrArg(c, 3);
    const mem = store ? c.mem.check(lo, hi, len, false).subarray(lo >>> 0, (lo >>> 0) + len) : new Uint8Array(len);
    // The pieces of the frame in order: the linear part, then each frag.
    let at = offset;
    let done = 0;
    for (const [buf, start, size] of [[x.frame, x.data, x.dataEnd - x.data] as const, ...x.frags.map((f) => [f, 0, f.length] as const)]) {
      if (done === len) break;
      if (at >= size) {
        at -= size;
        continue;
      }
      const n = Math.min(size - at, len - done);
      if (store) buf.set(mem.subarray(done, done + n), start + at);
      else mem.set(buf.subarray(start + at, start + at + n), done);
      done += n;
      at = 0;
    }
    if (!store) c.mem.write(lo, hi, mem);
    c.ret(0);
  };
}

/** `BPF_MTU_CHK_RET_FRAG_NEEDED`: the packet would exceed the device's MTU. */
export const BPF_MTU_CHK_RET_FRAG_NEEDED = 1;
/** MTU of a device xdpts knows nothing of (ETH_DATA_LEN); the loopback of test_run has 65536. */
const DEFAULT_MTU = 1500;
/** Ifindex and MTU of the loopback device, the rx device of BPF_PROG_TEST_RUN. */
const LOOPBACK = { ifindex: 1, mtu: 65536 };

/**
 * bpf_xdp_check_mtu(ctx, ifindex, *mtu_len, len_diff, flags) (net/core/filter.c): whether the
 * packet (or an L3 length given in *mtu_len) plus len_diff fits the MTU of the device
 * (`ifindex`, or the rx device when 0) plus its 14-byte header; writes the MTU to *mtu_len.
 * Flags must be 0 (no multi-buffer segment check for XDP); an unknown ifindex is -ENODEV.
 */
export function xdpCheckMtu(mtuOf: (ifindex: number) => number | undefined) {
  return (c: HelperCall): void => {
    const x = xdpOf(c);
    if (flagsArg(c, 5) !== 0) return c.ret(-EINVAL);
    const want = c.u32(2);
    const ifindex = want || x.ingressIfindex || LOOPBACK.ifindex;
    const mtu = ifindex === LOOPBACK.ifindex ? LOOPBACK.mtu : (mtuOf(ifindex) ?? (want ? undefined : DEFAULT_MTU));
    if (mtu === undefined) return c.ret(-ENODEV);
    const [lo, hi] = ptrArg(c, 3);
    const cell = c.mem.check(lo, hi, 4, true);
    const dv = new DataView(cell.buffer, cell.byteOffset + (lo >>> 0), 4);
    const given = dv.getUint32(0, true);
    let len = given ? given + ETH_HLEN : x.dataEnd - x.data;
    len += c.args[6]! | 0;
    dv.setUint32(0, mtu, true);
    c.ret(len > mtu + ETH_HLEN ? BPF_MTU_CHK_RET_FRAG_NEEDED : 0);
  };
}
