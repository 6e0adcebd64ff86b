/**
 * The string helpers of kernel/bpf/helpers.c: bpf_strtol / bpf_strtoul (`__bpf_strtoull` with
 * the kernel's `_parse_integer_fixup_radix` and `_parse_integer`), bpf_strncmp, and the
 * formatting helpers bpf_snprintf and bpf_trace_vprintk (kernel/trace/bpf_trace.c), which take
 * their arguments as an array of u64 (`bpf_bprintf_prepare`).
 */
import type { HelperCall } from '../../vm';
import { EINVAL, ERANGE } from '../errno';
import { bpfFormat, MAX_BPRINTF_BUF } from './bprintf';
import { ptrArg, memArg, flagsArg, type HelperContext } from './context';
import { traceLine } from './trace';
import { printfMemory } from './trace-printk';

/** BPF_STRTOX_BASE_MASK: the low bits of flags give the base. */
const BASE_MASK = 0x1f;
/** `MAX_BPRINTF_VARARGS`: at most 12 u64 arguments. */
const MAX_BPRINTF_VARARGS = 12;
const U64_MAX = (1n << 64n) - 1n;

const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
function digit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : 99;
}

/** `__bpf_strtoull`: characters consumed (or -errno), the magnitude and the sign seen. */
export function bpfStrtoull(buf: Uint8Array, flags: number): { ret: number; value: bigint; negative: boolean } {
  let base = flags & BASE_MASK;
  const fail = (ret: number) => ({ ret, value: 0n, negative: false });
  if (buf.length === 0) return fail(-EINVAL);
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return fail(-EINVAL);
  if (flags & ~BASE_MASK) return fail(-EINVAL);
  let i = 0;
  while (i < buf.length && isSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return fail(-EINVAL);
  // The rest is copied into a 64-byte NUL-terminated string before parsing.
  const s = buf.subarray(i, i + Math.min(buf.length - i, 63));
  const at = (k: number): number => (k < s.length ? s[k]! : 0);
  let p = 0;
  if (base === 0) base = at(0) === 0x30 ? ((at(1) | 0x20) === 0x78 && digit(at(2)) < 16 ? 16 : 8) : 10;
  if (base === 16 && at(0) === 0x30 && (at(1) | 0x20) === 0x78) p = 2;
  let value = 0n;
  let n = 0;
  let overflow = false;
  for (;; n++) {
    const d = digit(at(p + n));
    if (d >= base) break;
    const next = value * BigInt(base) + BigInt(d);
    if (next > U64_MAX) overflow = true;
    value = BigInt.asUintN(64, next);
  }
  if (overflow) return fail(-ERANGE);
  if (n === 0) return fail(-EINVAL);
  return { ret: i + p + n, value, negative };
}

function strtoxHelper(signed: boolean) {
  return (c: HelperCall): void => {
    const len = c.u32(2);
    const [lo, hi] = ptrArg(c, 4);
    // Since 6.12 *res is cleared first, so it is 0 after any error.
    c.mem.write(lo, hi, new Uint8Array(8));
    const r = bpfStrtoull(memArg(c, 1, len), flagsArg(c, 3));
    if (r.ret < 0) return c.ret(r.ret);
    let v = r.value;
    if (signed) {
      if (r.negative) {
        if (BigInt.asIntN(64, -v) > 0n) return c.ret(-ERANGE);
        v = BigInt.asUintN(64, -v);
      } else if (BigInt.asIntN(64, v) < 0n) return c.ret(-ERANGE);
    } else if (r.negative) return c.ret(-EINVAL);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, v, true);
    c.mem.write(lo, hi, out);
    c.ret(r.ret);
  };
}

/** bpf_strtol(buf, buf_len, flags, res). */
export const strtolHelper = strtoxHelper(true);
/** bpf_strtoul(buf, buf_len, flags, res). */
export const strtoulHelper = strtoxHelper(false);

/** bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp, which answers -1, 0 or 1. */
export function strncmpHelper(c: HelperCall): void {
  const n = c.u32(2);
  const a = memArg(c, 1, n);
  const [lo, hi] = ptrArg(c, 3);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = c.mem.check(lo + i, hi, 1, false)[(lo + i) >>> 0]!;
    if (x !== y) return c.ret(x < y ? -1 : 1);
    if (x === 0) break;
  }
  c.ret(0);
}

/** The u64 arguments of a `data, data_len` pair, or -EINVAL (`bpf_bprintf_prepare`'s checks). */
function varargs(c: HelperCall, n: number): bigint[] | number {
  const len = c.u32(n + 1);
  if (len % 8 || len > MAX_BPRINTF_VARARGS * 8) return -EINVAL;
  if (len === 0) return [];
  const bytes = memArg(c, n, len);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len);
  return Array.from({ length: len / 8 }, (_, k) => dv.getBigUint64(8 * k, true));
}

/** The format string at rN: up to its NUL inside the readable bytes. */
function cString(c: HelperCall, n: number, max: number): Uint8Array {
  const [lo, hi] = ptrArg(c, n);
  const out: number[] = [];
  for (let i = 0; i < max; i++) {
    const b = c.mem.check(lo + i, hi, 1, false)[(lo + i) >>> 0]!;
    out.push(b);
    if (b === 0) break;
  }
  return Uint8Array.from(out);
}

/**
 * bpf_snprintf(out, out_size, fmt, data, data_len): the formatted text truncated to out_size
 * (always NUL-terminated when out_size > 0); returns the length it needed including the NUL.
 */
export function snprintfHelper(c: HelperCall): void {
  const args = varargs(c, 4);
  if (typeof args === 'number') return c.ret(args);
  const r = bpfFormat(cString(c, 3, MAX_BPRINTF_BUF), args, printfMemory(c));
  if (typeof r === 'number') return c.ret(r);
  const size = c.u32(2);
  if (size > 0) {
    const text = Uint8Array.from(r, (ch) => ch.charCodeAt(0) & 0xff).subarray(0, size - 1);
    const out = new Uint8Array(text.length + 1);
    out.set(text);
    const [lo, hi] = ptrArg(c, 1);
    c.mem.write(lo, hi, out);
  }
  c.ret(r.length + 1);
}

/** bpf_trace_vprintk(fmt, fmt_size, data, data_len): bpf_trace_printk with up to 12 arguments. */
export function traceVprintk(k: HelperContext) {
  return (c: HelperCall): void => {
    const args = varargs(c, 3);
    if (typeof args === 'number') return c.ret(args);
    const r = bpfFormat(memArg(c, 1, c.u32(2)), args, printfMemory(c));
    if (typeof r === 'number') return c.ret(r);
    const shown = r.length >= MAX_BPRINTF_BUF ? r.slice(0, MAX_BPRINTF_BUF - 1) : r;
    k.trace.write(traceLine({ comm: k.comm, pid: k.pid, cpu: k.cpu, ns: k.clock.bootNs() }, 'bpf_trace_printk', shown));
    c.ret(r.length);
  };
}
