/**
 * The ring buffer helpers (kernel/bpf/ringbuf.c): bpf_ringbuf_output, reserve, submit, discard
 * and query. A reservation is exposed to the program as its own region; submit and discard find
 * the ring it came from by that region's bytes.
 */
import type { HelperCall } from '../../vm';
import { EAGAIN, EINVAL } from '../errno';
import { BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, RingBufMap } from '../maps/ringbuf';
import { flagsArg, mapArg, memArg, ptrArg, type HelperContext } from './context';

/** Live reservations: the sample bytes → the ring that holds them. */
const owners = new WeakMap<Uint8Array, RingBufMap>();

function ring(k: HelperContext, c: HelperCall, n: number): RingBufMap {
  const m = mapArg(k, c, n);
  if (!(m instanceof RingBufMap)) c.fault(`r${n} is not a ring buffer map`);
  return m;
}

/** bpf_ringbuf_output(ringbuf, data, size, flags): 0, -EINVAL (flags) or -EAGAIN (full). */
export function ringbufOutput(k: HelperContext) {
  return (c: HelperCall): void => {
    const rb = ring(k, c, 1);
    const size = c.u32(3);
    const flags = flagsArg(c, 4);
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP) || flags === 0xffffffff) return c.ret(-EINVAL);
    c.ret(rb.output(size ? memArg(c, 2, size) : new Uint8Array(0)) ? 0 : -EAGAIN);
  };
}

/** bpf_ringbuf_reserve(ringbuf, size, flags): a pointer to the sample, or NULL. */
export function ringbufReserve(k: HelperContext) {
  return (c: HelperCall): void => {
    const rb = ring(k, c, 1);
    if (flagsArg(c, 3) !== 0) return c.ret(0);
    const sample = rb.reserve(c.num(2));
    if (!sample) return c.ret(0);
    owners.set(sample, rb);
    c.retPtr(0, c.mem.expose(sample, true));
  };
}

/** bpf_ringbuf_submit / bpf_ringbuf_discard(sample, flags). */
export function ringbufCommit(discard: boolean) {
  return (c: HelperCall): void => {
    const [lo, hi] = ptrArg(c, 1);
    const r = c.mem.region(hi);
    const rb = r && lo === 0 ? owners.get(r.u8) : undefined;
    if (!rb || !rb.commit(r!.u8, discard)) c.fault('r1 is not a ring buffer reservation');
    owners.delete(r!.u8);
    c.ret(0);
  };
}

/** bpf_ringbuf_query(ringbuf, flags). */
export function ringbufQuery(k: HelperContext) {
  return (c: HelperCall): void => {
    const rb = ring(k, c, 1);
    c.ret(rb.query(flagsArg(c, 2)));
  };
}
