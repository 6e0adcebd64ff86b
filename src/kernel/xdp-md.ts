/**
 * `struct xdp_md` as BPF_PROG_TEST_RUN takes it in (`ctx_in`) and gives it back (`ctx_out`),
 * with the checks of Linux 6.18's bpf_ctx_init, bpf_prog_test_run_xdp and
 * xdp_convert_md_to_buff (errnos recorded with `bpftool prog run ... ctx_in FILE` in
 * fixtures/api/ctx-kernel.json):
 *
 * - A ctx_in of 0 bytes is EINVAL; a shorter one is zero-filled; a longer one must be zero past
 *   the struct (else E2BIG).
 * - `data_meta` must be 0 (nothing in front of the metadata), `data_end` at most data_in's
 *   size, `data` at most `data_end`: else EINVAL.
 * - `data` is the metadata's length: the first `data` bytes of data_in go in front of the
 *   packet (a multiple of 4, at most 255 and at most the headroom past struct xdp_frame: 216).
 * - `data_end` ends the linear part; the rest of data_in goes to page frags (0 is allowed: a
 *   linear part of no bytes).
 * - data_in minus the metadata must hold ETH_HLEN bytes.
 * - `ctx_out` is the struct after the run: `data` the metadata's length, `data_end` the end of
 *   the linear part (both from data_meta); the device fields as they came in.
 */
import { ETH_HLEN } from './helpers';
import { E2BIG, EINVAL, errnoName } from './errno';
import { XdptsError } from '../util/errors';
import { XDP_FRAME_STRUCT_SIZE, XDP_MAX_PACKET, XDP_PACKET_HEADROOM } from '../vm/types';

/** `sizeof(struct xdp_md)`: six u32 fields (include/uapi/linux/bpf.h). */
export const XDP_MD_SIZE = 24;
/** Largest metadata a test run accepts: u8 `skb_shared_info.meta_len`, and the headroom past struct xdp_frame. */
export const XDP_TEST_MAX_META = Math.min(255, XDP_PACKET_HEADROOM - XDP_FRAME_STRUCT_SIZE) & ~3;

/** The `struct xdp_md` fields a test run takes in (`ctx_in`). */
export interface XdpMdIn {
  /** Metadata bytes at the start of data_in (default 0). */
  readonly data?: number;
  /** End of the linear part in data_in (default: all of it; the rest goes to frags). */
  readonly data_end?: number;
  /** Must be 0. */
  readonly data_meta?: number;
  readonly ingress_ifindex?: number;
  readonly rx_queue_index?: number;
  readonly egress_ifindex?: number;
}

/** A BPF_PROG_TEST_RUN failure: `errno` is the name the syscall fails with (EINVAL...). */
export class TestRunError extends XdptsError {
  readonly errno: string;
  constructor(errno: number, message: string) {
    super(`${message} (${errnoName(errno)})`, errnoName(errno));
    this.name = 'TestRunError';
    this.errno = errnoName(errno);
  }
}

/** A ctx field as a u32, or EINVAL naming it. */
export function ctxU32(v: number | undefined, what: string): number {
  const x = v ?? 0;
  if (!Number.isInteger(x) || x < 0 || x > 0xffffffff) throw new TestRunError(EINVAL, `test run: ${what} ${String(v)} is not a u32`);
  return x;
}

const FIELDS = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'] as const;

/** Reads `ctx_in` bytes (host order, little-endian here) as bpf_ctx_init does. */
export function xdpMdFromBytes(bytes: Uint8Array): Required<XdpMdIn> {
  if (bytes.length === 0) throw new TestRunError(EINVAL, 'test run: ctx_in is empty (ctx_size_in 0)');
  for (let i = XDP_MD_SIZE; i < bytes.length; i++)
    if (bytes[i] !== 0) throw new TestRunError(E2BIG, `test run: ctx_in of ${bytes.length} bytes has non-zero bytes past struct xdp_md (${XDP_MD_SIZE} bytes)`);
  const full = new Uint8Array(XDP_MD_SIZE);
  full.set(bytes.subarray(0, XDP_MD_SIZE));
  const v = new DataView(full.buffer);
  const md: Record<string, number> = {};
  FIELDS.forEach((f, i) => (md[f] = v.getUint32(i * 4, true)));
  return md as unknown as Required<XdpMdIn>;
}

/** Writes a struct xdp_md (`ctx_out`). */
export function xdpMdToBytes(md: XdpMdIn): Uint8Array {
  const b = new Uint8Array(XDP_MD_SIZE);
  const v = new DataView(b.buffer);
  FIELDS.forEach((f, i) => v.setUint32(i * 4, md[f] ?? 0, true));
  return b;
}

/** Where data_in splits: metadata `[0, meta)`, linear packet `[meta, linear)`, frags after. */
export interface XdpSplit {
  readonly meta: number;
  readonly linear: number;
}

/** The ctx checks of bpf_prog_test_run_xdp on data_in of `size` bytes, and the split they give. */
export function splitDataIn(size: number, ctx: XdpMdIn | undefined): XdpSplit {
  let meta = 0;
  let linear = size;
  if (ctx !== undefined) {
    const data = ctxU32(ctx.data, 'ctx data');
    const end = ctx.data_end === undefined ? size : ctxU32(ctx.data_end, 'ctx data_end');
    if (ctxU32(ctx.data_meta, 'ctx data_meta') !== 0) throw new TestRunError(EINVAL, 'test run: ctx data_meta must be 0 (no data before the metadata)');
    if (end > size) throw new TestRunError(EINVAL, `test run: ctx data_end ${end} is past the ${size} bytes of data_in`);
    if (data > end) throw new TestRunError(EINVAL, `test run: ctx data ${data} is past data_end ${end}`);
    if (data % 4 !== 0 || data > XDP_TEST_MAX_META)
      throw new TestRunError(EINVAL, `test run: ctx data ${data}: the metadata must be a multiple of 4 bytes, at most ${XDP_TEST_MAX_META}`);
    meta = data;
    linear = end;
  }
  linear = Math.min(linear, XDP_MAX_PACKET + meta);
  if (size - meta < ETH_HLEN) throw new TestRunError(EINVAL, `test run: data_in of ${size} bytes${meta ? ` less ${meta} bytes of metadata` : ''} is shorter than ETH_HLEN (${ETH_HLEN})`);
  return { meta, linear };
}
