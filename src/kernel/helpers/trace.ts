/**
 * The trace buffer bpf_trace_printk writes to, read like /sys/kernel/tracing/trace_pipe. Each
 * event is one line in the kernel's format (kernel/trace/trace_output.c), measured on 6.18 from
 * an XDP program run by BPF_PROG_TEST_RUN:
 *
 *   "         bpftool-18167   [001] b..11   864.786986: bpf_trace_printk: hello 42 str"
 *
 * i.e. `%16s-%-7d [%03d] <flags> %5lu.%06lu: bpf_trace_printk: <message>`. The message is
 * written as formatted: a message ending in "\n" leaves an empty line after it, as on the real
 * kernel.
 */

/** Where and when an event happened, for the line prefix. */
export interface TraceContext {
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  /** Trace clock in nanoseconds (boot time). */
  readonly ns: bigint;
  /** The latency flags column; `b..11` (bottom halves off, preempt depth 1, migrate off) by default. */
  readonly flags?: string;
}

/** Formats one trace_pipe line (without the final newline). */
export function traceLine(ctx: TraceContext, event: string, message: string): string {
  const comm = ctx.comm.slice(0, 15).padStart(16);
  const pid = String(ctx.pid).padEnd(7);
  const cpu = String(ctx.cpu).padStart(3, '0');
  const secs = (ctx.ns / 1_000_000_000n).toString().padStart(5);
  const usecs = ((ctx.ns % 1_000_000_000n) / 1000n).toString().padStart(6, '0');
  return `${comm}-${pid} [${cpu}] ${ctx.flags ?? 'b..11'} ${secs}.${usecs}: ${event}: ${message}`;
}

/** A bounded text buffer of trace events: written by helpers, drained by readers. */
export class TracePipe {
  private text = '';
  /** Bytes kept at most; older events are dropped first (the kernel's ring overwrites too). */
  readonly capacity: number;

  constructor(capacity = 1 << 20) {
    this.capacity = capacity;
  }

  /** Appends one event line. */
  write(line: string): void {
    this.text += line + '\n';
    if (this.text.length > this.capacity) {
      const cut = this.text.indexOf('\n', this.text.length - this.capacity);
      this.text = cut < 0 ? '' : this.text.slice(cut + 1);
    }
  }

  /** Everything not yet read, then empties the buffer (reading trace_pipe consumes). */
  read(): string {
    const t = this.text;
    this.text = '';
    return t;
  }

  /** Everything not yet read, without consuming it (like /sys/kernel/tracing/trace). */
  peek(): string {
    return this.text;
  }

  /** Unread text as plain data. */
  toSnapshot(): string {
    return this.text;
  }

  /** A pipe holding `text` unread. */
  static fromSnapshot(text: string, capacity?: number): TracePipe {
    const p = new TracePipe(capacity);
    p.text = typeof text === 'string' ? text : '';
    return p;
  }
}
