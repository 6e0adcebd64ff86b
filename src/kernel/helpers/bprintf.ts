/**
 * The kernel's BPF printf (kernel/bpf/helpers.c `bpf_bprintf_prepare` + lib/vsprintf.c), used by
 * bpf_trace_printk. Rules mirrored, each checked on Linux 6.18:
 * - the format must hold a NUL within `fmt_size`, and every character before it must be
 *   printable or whitespace (kernel ctype: Latin-1 160..255 count as printable);
 * - at most 3 conversions; `%%` is a literal percent;
 * - flags `0 + - space` and a width are accepted, a precision (`%.2d`) is not;
 * - conversions: `d i u x X` with `l`/`ll` (no `h`), `c`, `s`, `%pks %pus`, `%p %pK %px %ps %pS
 *   %pB` (pointers), `%pi4 %pI4 %pi6 %pI6`; anything else is -EINVAL;
 * - `%d` of an `int` truncates to 32 bits, `%s` of an unreadable pointer prints nothing;
 * - the output is cut at 1023 bytes (MAX_BPRINTF_BUF) and the helper returns the untruncated
 *   length, as vsnprintf does.
 * `%p`/`%pK` print a hashed pointer in the kernel (siphash with a boot-time key); the emulation
 * hashes with a fixed key instead, so values differ from a real kernel's but are stable.
 */
import { EINVAL } from '../errno';

/** `MAX_BPRINTF_BUF`: the formatted output buffer. */
export const MAX_BPRINTF_BUF = 1024;
/** `MAX_BPRINTF_VARARGS` of bpf_trace_printk (3 arguments). */
export const TRACE_PRINTK_MAX_ARGS = 3;

/** How the formatter reads guest memory for `%s` and `%pI4`; null when unreadable. */
export interface PrintfMemory {
  /** Bytes at a 64-bit pointer up to (not including) a NUL, at most `max`; null if unreadable. */
  readCString(ptr: bigint, max: number): Uint8Array | null;
  /** Exactly `n` bytes at `ptr`, or null if unreadable. */
  readBytes(ptr: bigint, n: number): Uint8Array | null;
}

/** Kernel ctype isprint for a byte (lib/ctype.c: 0x20..0x7e and 0xa0..0xff). */
function isPrint(c: number): boolean {
  return (c >= 0x20 && c <= 0x7e) || c >= 0xa0;
}
/** Kernel ctype isspace (\t \n \v \f \r, space, and 0xa0). */
function isSpace(c: number): boolean {
  return (c >= 9 && c <= 13) || c === 0x20 || c === 0xa0;
}
/** Kernel ctype ispunct: printable ASCII that is not alphanumeric or space, plus 0xa1..0xbf. */
function isPunct(c: number): boolean {
  return (c > 0x20 && c < 0x7f && !/[A-Za-z0-9]/.test(String.fromCharCode(c))) || (c >= 0xa1 && c <= 0xbf);
}

/** A stable stand-in for the kernel's `ptr_to_id` hash (FNV-1a over the 8 bytes). */
function hashPointer(p: bigint): number {
  let h = 0x811c9dc5;
  for (let i = 0n; i < 64n; i += 8n) {
    h ^= Number((p >> i) & 0xffn);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

interface Spec {
  zero: boolean;
  left: boolean;
  plus: boolean;
  space: boolean;
  width: number;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (s.length >= spec.width) return s;
  if (spec.left) return s.padEnd(spec.width, ' ');
  if (spec.zero && numeric) {
    const sign = /^[-+ ]/.test(s) ? s[0]! : '';
    return sign + s.slice(sign.length).padStart(spec.width - sign.length, '0');
  }
  return s.padStart(spec.width, ' ');
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/**
 * Formats like bpf_trace_printk: the text (before truncation to 1023 bytes is applied by the
 * caller) or a negative errno for a format the kernel refuses.
 */
export function bpfFormat(fmt: Uint8Array, args: readonly bigint[], mem: PrintfMemory): string | number {
  const end = fmt.indexOf(0);
  if (end < 0) return -EINVAL;
  let out = '';
  let n = 0;
  for (let i = 0; i < end; i++) {
    const c = fmt[i]!;
    if (!isPrint(c) && !isSpace(c)) return -EINVAL;
    if (c !== 0x25 /* % */) {
      out += String.fromCharCode(c);
      continue;
    }
    if (fmt[i + 1] === 0x25) {
      out += '%';
      i++;
      continue;
    }
    if (n >= args.length) return -EINVAL;
    const arg = args[n++]!;
    const spec: Spec = { zero: false, left: false, plus: false, space: false, width: 0 };
    i++;
    for (;; i++) {
      const f = fmt[i];
      if (f === 0x30) spec.zero = true;
      else if (f === 0x2b) spec.plus = true;
      else if (f === 0x2d) spec.left = true;
      else if (f === 0x20) spec.space = true;
      else break;
    }
    if (fmt[i]! >= 0x31 && fmt[i]! <= 0x39) {
      while (fmt[i]! >= 0x30 && fmt[i]! <= 0x39) spec.width = spec.width * 10 + (fmt[i++]! - 0x30);
    }
    const ch = String.fromCharCode(fmt[i] ?? 0);
    if (ch === 'p') {
      const next = fmt[i + 1] ?? 0;
      const nc = String.fromCharCode(next);
      if ((nc === 'k' || nc === 'u') && fmt[i + 2] === 0x73 /* s */) {
        i += 2;
        out += pad(str(arg, mem), spec, false);
        continue;
      }
      if (next === 0 || isSpace(next) || isPunct(next) || 'KxsSB'.includes(nc)) {
        // Pointers. %px prints the raw value; %ps/%pS/%pB would print a kernel symbol, which
        // emulated addresses never are, so the kernel's fallback (the raw address) is used.
        const raw = nc === 'x' || nc === 's' || nc === 'S' || nc === 'B';
        if (next !== 0 && !isSpace(next) && !isPunct(next)) i++;
        const v = raw ? BigInt.asUintN(64, arg) : BigInt(hashPointer(arg));
        out += pad(raw && nc !== 'x' ? `0x${v.toString(16)}` : v.toString(16).padStart(16, '0'), spec, false);
        continue;
      }
      const v4 = fmt[i + 2] === 0x34;
      if ((nc !== 'i' && nc !== 'I') || (fmt[i + 2] !== 0x34 && fmt[i + 2] !== 0x36)) return -EINVAL;
      i += 2;
      const bytes = mem.readBytes(arg, v4 ? 4 : 16) ?? new Uint8Array(v4 ? 4 : 16);
      out += pad(ipText(bytes, v4, nc === 'i'), spec, false);
      continue;
    }
    if (ch === 's') {
      out += pad(str(arg, mem), spec, false);
      continue;
    }
    if (ch === 'c') {
      out += pad(String.fromCharCode(Number(arg & 0xffn)), spec, false);
      continue;
    }
    let bits = 32;
    if (fmt[i] === 0x6c /* l */) {
      bits = 64;
      i++;
      if (fmt[i] === 0x6c) i++;
    }
    const conv = String.fromCharCode(fmt[i] ?? 0);
    if (!'diuxX'.includes(conv) || conv === '') return -EINVAL;
    out += pad(integer(arg, bits, conv, spec), spec, true);
  }
  return out;
}

function integer(arg: bigint, bits: number, conv: string, spec: Spec): string {
  if (conv === 'd' || conv === 'i') {
    const v = BigInt.asIntN(bits, arg);
    const sign = v < 0n ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
    return sign + (v < 0n ? -v : v).toString(10);
  }
  const u = BigInt.asUintN(bits, arg);
  if (conv === 'u') return u.toString(10);
  const h = u.toString(16);
  return conv === 'X' ? h.toUpperCase() : h;
}

function str(ptr: bigint, mem: PrintfMemory): string {
  const b = mem.readCString(ptr, MAX_BPRINTF_BUF - 1);
  return b ? latin1(b) : '';
}

/** %pI4 / %pi4 / %pI6 / %pi6 as lib/vsprintf.c prints them. */
function ipText(b: Uint8Array, v4: boolean, lower: boolean): string {
  if (v4) return [...b].map((x) => (lower ? x.toString().padStart(3, '0') : x.toString())).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16).padStart(4, '0'));
  return lower ? groups.join('') : groups.join(':');
}
