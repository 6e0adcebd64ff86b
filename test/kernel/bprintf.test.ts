/**
 * bpf_trace_printk formatting and trace_pipe lines, against outputs recorded on Linux 6.18 from
 * the probe programs in fixtures/kernel/trace-printk-*.c (run with bpftool prog run, read from
 * /sys/kernel/tracing/trace_pipe).
 */
import { describe, expect, it } from 'vitest';
import { bpfFormat, traceLine, TracePipe, type PrintfMemory } from '../../src/kernel/helpers';

const enc = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)).concat([0]));
// Guest memory for %s/%pI4: pointers 0x1000.. hold strings; 0 is unreadable.
const strings = new Map<bigint, Uint8Array>([
  [0x1000n, enc('str')], [0x2000n, enc('ab')], [0x3000n, enc('cd')], [0x4000n, enc('e')], [0x5000n, Uint8Array.of(1, 2, 3, 4)],
]);
const mem: PrintfMemory = {
  readCString: (p) => {
    const s = strings.get(p);
    return s ? s.subarray(0, s.indexOf(0) < 0 ? s.length : s.indexOf(0)) : null;
  },
  readBytes: (p, n) => strings.get(p)?.slice(0, n) ?? null,
};
const fmt = (f: string, ...a: (number | bigint)[]) => bpfFormat(enc(f), a.map((x) => BigInt.asUintN(64, BigInt(x))), mem);

describe('bpf_trace_printk formats (recorded from Linux 6.18)', () => {
  const cases: [string, (number | bigint)[], string | number][] = [
    ['hello %d %s\n', [42, 0x1000], 'hello 42 str\n'],
    ['nonl %llx %c%%', [0xdeadbeefcafen, 65], 'nonl deadbeefcafe A%'],
    ['bad %q', [1], -22],
    ['%hd %hhx %5d|%-5u|%05x %X %lX %i', [-2, 0x1ff, 7], -22],
    ['%5d|%-5u|%05x', [-3, 7, 0xab], '   -3|7    |000ab'],
    ['%lld %llu %llx', [-1n, -1n, -1n], '-1 18446744073709551615 ffffffffffffffff'],
    ['end %', [], -22],
    ['%lu %ld %u', [-1n, -1n, -1n], '18446744073709551615 -1 4294967295'],
    ['%d %x %i', [0x1ffffffffn, 0x1ffffffffn, -1n], '-1 ffffffff -1'],
    ['%s|%10s|%-4s|', [0x2000, 0x3000, 0x4000], 'ab|        cd|e   |'],
    ['%%d %%', [], '%d %'],
    ['a\x01b', [], -22],
    ['%llX %lx %5lu', [-1n, 255, 3], 'FFFFFFFFFFFFFFFF ff     3'],
    ['%-08d|%+5d|% 05d', [1, 2, 3], '1       |   +2| 0003'],
    ['%.2d', [1], -22],
    ['%d %d %d %d', [1, 2, 3], -22],
    ['%s', [0], ''],
    ['%px', [0x1234], '0000000000001234'],
    ['%c%c|% d', [0x78, 300, 4], 'x,| 4'],
    ['%z', [], -22],
    ['tab\there', [], 'tab\there'],
    ['%pI4 %pi4', [0x5000, 0x5000], '1.2.3.4 001.002.003.004'],
    ['%lX %i %+d', [0xabcdefn, -9, 5], 'ABCDEF -9 +5'],
  ];
  for (const [f, a, want] of cases) {
    it(JSON.stringify(f), () => {
      expect(fmt(f, ...a)).toBe(want);
    });
  }

  it('a format without NUL in fmt_size is -EINVAL', () => {
    expect(bpfFormat(Uint8Array.of(0x61, 0x62, 0x63, 0x64), [], mem)).toBe(-22);
  });

  it('%p prints a stable 16-digit hashed value', () => {
    const a = fmt('%p', 0x1000);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(fmt('%p', 0x1000)).toBe(a);
    expect(fmt('%pK', 0x1000)).toBe(a);
  });
});

describe('trace_pipe lines', () => {
  it('have the kernel layout', () => {
    const l = traceLine({ comm: 'bpftool', pid: 18167, cpu: 1, ns: 864_786_986_123n }, 'bpf_trace_printk', 'hello 42 str');
    expect(l).toBe('         bpftool-18167   [001] b..11   864.786986: bpf_trace_printk: hello 42 str');
  });

  it('a message ending in a newline leaves an empty line; read() consumes', () => {
    const p = new TracePipe();
    p.write(traceLine({ comm: 'x', pid: 1, cpu: 0, ns: 0n }, 'bpf_trace_printk', 'a\n'));
    expect(p.peek().endsWith(': a\n\n')).toBe(true);
    expect(p.read()).not.toBe('');
    expect(p.read()).toBe('');
  });

  it('drops the oldest lines beyond its capacity', () => {
    const p = new TracePipe(100);
    for (let i = 0; i < 20; i++) p.write(`line ${i} ${'x'.repeat(10)}`);
    const t = p.peek();
    expect(t.length).toBeLessThanOrEqual(100);
    expect(t.startsWith('line ')).toBe(true);
    expect(t.endsWith('line 19 xxxxxxxxxx\n')).toBe(true);
    expect(TracePipe.fromSnapshot(p.toSnapshot()).peek()).toBe(t);
  });
});
