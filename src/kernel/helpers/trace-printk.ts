/**
 * bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3) (kernel/trace/bpf_trace.c): formats with
 * the kernel's BPF printf rules and writes one `bpf_trace_printk` event to the trace pipe.
 * Returns the formatted length, or -EINVAL for a format the kernel refuses (then nothing is
 * written).
 */
import type { HelperCall } from '../../vm';
import { bpfFormat, MAX_BPRINTF_BUF, TRACE_PRINTK_MAX_ARGS, type PrintfMemory } from './bprintf';
import { ptrArg, type HelperContext } from './context';
import { traceLine } from './trace';

/** Reads guest memory for %s / %pI4 without faulting the run: unreadable gives null. */
export function printfMemory(c: HelperCall): PrintfMemory {
  const readable = (lo: number, hi: number, n: number): boolean => {
    try {
      c.mem.check(lo, hi, n, false);
      return true;
    } catch {
      return false;
    }
  };
  const split = (p: bigint): [number, number] => [Number(p & 0xffffffffn) | 0, Number((p >> 32n) & 0xffffffffn) | 0];
  return {
    readBytes(ptr, n) {
      const [lo, hi] = split(ptr);
      return readable(lo, hi, n) ? c.mem.read(lo, hi, n) : null;
    },
    readCString(ptr, max) {
      const [lo, hi] = split(ptr);
      const out: number[] = [];
      for (let i = 0; i < max; i++) {
        if (!readable(lo + i, hi, 1)) return out.length || i > 0 ? Uint8Array.from(out) : null;
        const b = c.mem.check(lo + i, hi, 1, false)[(lo + i) >>> 0]!;
        if (b === 0) break;
        out.push(b);
      }
      return Uint8Array.from(out);
    },
  };
}

/** The bpf_trace_printk helper writing to the context's trace pipe. */
export function tracePrintk(k: HelperContext) {
  return (c: HelperCall): void => {
    const size = c.u32(2);
    const [lo, hi] = ptrArg(c, 1);
    const fmt = size ? c.mem.read(lo, hi, size) : new Uint8Array(0);
    const args = [c.big(3), c.big(4), c.big(5)].slice(0, TRACE_PRINTK_MAX_ARGS);
    const r = bpfFormat(fmt, args, printfMemory(c));
    if (typeof r === 'number') return c.ret(r);
    const shown = r.length >= MAX_BPRINTF_BUF ? r.slice(0, MAX_BPRINTF_BUF - 1) : r;
    k.trace.write(traceLine({ comm: k.comm, pid: k.pid, cpu: k.cpu, ns: k.clock.bootNs() }, 'bpf_trace_printk', shown));
    c.ret(r.length);
  };
}
