/**
 * libxdp's rules for what goes behind the dispatcher (xdp-tools lib/libxdp/libxdp.c
 * `xdp_program__attach_multi`, `xdp_multiprog__generate`, `xdp_multiprog__link_prog`) and the
 * kernel's freplace checks (kernel/bpf/btf.c `btf_check_type_match`,
 * `btf_check_func_type_match`), on objects compiled by real clang-19 (fixtures/kernel/xdp:
 * btf_cases built three ways, freplace_sigs with one program per signature) and on objects
 * `xdpts build` writes.
 *
 * These paths cannot be recorded on this machine: its kernel refuses every freplace load with
 * EPERM ("Compatibility check for dispatcher program failed"), so the real xdp-loader never gets
 * as far as the dispatcher (reference §0). The expected texts are therefore libxdp's and the
 * kernel's format strings (pr_warn printed by default, pr_info with -v, libbpf's load log with
 * -vv), filled in as the source fills them, and the exit statuses xdp-loader's 256 - errno.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLoadArgs, statusText, XdpLoader, type LoadArgs, type ToolOutcome } from '../../src/kernel/index';
import { ROOT_NS } from '../../src/net/index';
import { makeWorld, xdpObject, type World } from './xdp-fixture';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'fixtures', 'kernel', 'xdp');
const FEATURE_ERR = [
  'This means that the kernel does not support the features needed',
  'by the multiprog dispatcher, either because it is too old entirely,',
  'or because it is not yet supported on the current architecture.',
];

function world(): { w: World; l: XdpLoader } {
  const w = makeWorld();
  const f = new Map<string, Uint8Array>();
  for (const c of ['g', 'nobtf', 'noext']) f.set(`${c}.o`, readFileSync(join(FIXTURES, `btf_cases_${c}.o`)));
  f.set('sigs.o', readFileSync(join(FIXTURES, 'freplace_sigs.o')));
  f.set('drop.o', xdpObject('xdp_drop_prog', 'r0 = 1\nexit'));
  f.set('tc.o', xdpObject('cls', 'r0 = 2\nexit', { section: 'tc' }));
  return { w, l: new XdpLoader(w.mgr, { ns: ROOT_NS, readFile: (p) => f.get(p) }) };
}

function load(l: XdpLoader, argv: string): ToolOutcome {
  const p = parseLoadArgs(argv.split(' '));
  if (!p.ok) throw new Error(p.stderr.join('\n'));
  return l.load(p.value as LoadArgs);
}

/** The status rows of v1 with ids and tags masked. */
function rows(w: World): string[] {
  return statusText(w.mgr, [w.mgr.topology.byName(ROOT_NS, 'v1')!])
    .slice(4, -1)
    .map((r) => r.replace(/ \d+ +[0-9a-f]{16}/, ' N TAG').replace(/\s+$/, ''));
}

describe('multiprog needs BTF (xdp_multiprog__link_prog)', () => {
  it('an object with BTF and func info goes behind the dispatcher', () => {
    const { w, l } = world();
    expect(load(l, '-m skb v1 g.o')).toMatchObject({ exit: 0, stderr: [] });
    expect(rows(w)).toEqual(['v1                     xdp_dispatcher    skb      N TAG', ' =>              50     xdp_pass_prog             N TAG  XDP_PASS']);
  });

  it('an object without BTF: warned, then attached directly (the fallback is said with -v only)', () => {
    const { w, l } = world();
    const warn = " libxdp: Program xdp_pass_prog has no BTF information, so we can't load it as multiprog";
    expect(load(l, '-m skb v1 nobtf.o')).toMatchObject({ exit: 0, stderr: [warn] });
    expect(rows(w)).toEqual(['v1                     xdp_pass_prog     skb      N TAG']);
    const again = world();
    expect(load(again.l, '-v -m skb v1 nobtf.o').stderr).toEqual([
      "Loading 1 files on interface 'v1'.",
      'XDP program 0: Run prio: 50. Chain call actions: XDP_PASS',
      warn,
      ' libxdp: Falling back to loading single prog without dispatcher',
    ]);
  });

  it('a program without BTF next to a dispatcher already there: the direct attach finds the slot taken (EBUSY)', () => {
    const { w, l } = world();
    expect(load(l, '-m skb v1 g.o').exit).toBe(0);
    const before = w.kernel.programList().length;
    expect(load(l, '-m skb v1 nobtf.o')).toEqual({
      exit: 240,
      stdout: [],
      stderr: [" libxdp: Program xdp_pass_prog has no BTF information, so we can't load it as multiprog", "Couldn't attach XDP program on iface 'v1': Device or resource busy(-16)"],
    });
    expect(w.kernel.programList().length).toBe(before);
  });

  it('several programs, one without BTF: no fallback (EOPNOTSUPP, exit 161), nothing left loaded', () => {
    const { w, l } = world();
    expect(load(l, '-m skb v1 g.o nobtf.o')).toEqual({
      exit: 161,
      stdout: [],
      stderr: [
        " libxdp: Program xdp_pass_prog has no BTF information, so we can't load it as multiprog",
        " libxdp: Can't fall back to legacy load with 2 programs",
        ...FEATURE_ERR,
        '',
        "Couldn't attach XDP program on iface 'v1': Operation not supported(-95)",
      ],
    });
    expect(w.kernel.programList()).toEqual([]);
    expect(rows(w)).toEqual(['v1                     <No XDP program loaded!>']);
  });
});

describe('the kernel refuses a freplace program without func info or with another signature', () => {
  it('BTF without .BTF.ext: "Program extension requires BTF" (EINVAL, exit 234; the log with -vv)', () => {
    const { w, l } = world();
    expect(load(l, '-m skb v1 noext.o')).toEqual({ exit: 234, stdout: [], stderr: ["Couldn't attach XDP program on iface 'v1': Invalid argument(-22)"] });
    expect(w.kernel.programList()).toEqual([]);
    expect(load(l, '-vv -m skb v1 noext.o').stderr.slice(2)).toEqual([
      "  libbpf: prog 'xdp_pass_prog': BPF program load failed: Invalid argument",
      "  libbpf: prog 'xdp_pass_prog': -- BEGIN PROG LOAD LOG --",
      'Program extension requires BTF',
      'processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      '-- END PROG LOAD LOG --',
      "  libbpf: prog 'xdp_pass_prog': failed to load: -22",
      "  libbpf: failed to load object 'noext.o'",
      "Couldn't attach XDP program on iface 'v1': Invalid argument(-22)",
    ]);
  });

  const logLine = (o: ToolOutcome): string | undefined => o.stderr[o.stderr.indexOf("  libbpf: prog '" + o.stderr.find((x) => x.includes('BEGIN PROG LOAD LOG'))?.split("'")[1] + "': -- BEGIN PROG LOAD LOG --") + 1];
  it.each([
    ['ok_prog', undefined],
    ['ok_ulong', undefined], // any INT return matches `int`
    ['enum_ret', "Return type ENUM of enum_ret() doesn't match type INT of xdp_dispatcher()"],
    ['two_args', 'two_args() has 2 args while xdp_dispatcher() has 1 args'],
    ['void_ctx', 'arg0 in void_ctx() is not a pointer to context'],
    ['skb_ctx', "arg0 skb_ctx(struct __sk_buff *) doesn't match xdp_dispatcher(struct xdp_md *)"],
    ['int_arg', 'arg0 in int_arg() is INT while xdp_dispatcher() has PTR'],
  ])('%s', (name, refusal) => {
    const { l } = world();
    const o = load(l, `-vv -m skb -n ${name} v1 sigs.o`);
    if (refusal === undefined) {
      expect(o.exit, o.stderr.join('\n')).toBe(0);
      return;
    }
    expect(o.exit).toBe(234);
    expect(logLine(o)).toBe(refusal);
    expect(o.stderr.at(-1)).toBe("Couldn't attach XDP program on iface 'v1': Invalid argument(-22)");
  });

  it('names the slot the program would take: prog0, prog1... once the dispatcher has several', () => {
    const { l } = world();
    expect(load(l, '-m skb v1 g.o').exit).toBe(0);
    expect(logLine(load(l, '-vv -m skb -P 10 -n skb_ctx v1 sigs.o'))).toBe("arg0 skb_ctx(struct __sk_buff *) doesn't match prog0(struct xdp_md *)");
    expect(logLine(load(l, '-vv -m skb -P 90 -n skb_ctx v1 sigs.o'))).toBe("arg0 skb_ctx(struct __sk_buff *) doesn't match prog1(struct xdp_md *)");
  });
});

describe('objects xdpts build writes carry the func info the dispatcher needs', () => {
  it('an assembled XDP program goes behind the dispatcher', () => {
    const { w, l } = world();
    expect(load(l, '-m skb v1 drop.o')).toMatchObject({ exit: 0, stderr: [] });
    expect(rows(w)).toEqual(['v1                     xdp_dispatcher    skb      N TAG', ' =>              50     xdp_drop_prog             N TAG  XDP_PASS']);
  });

  it('a program assembled in a tc section is `int cls(void *ctx)`: refused as a freplace', () => {
    const { l } = world();
    const o = load(l, '-vv -m skb -s tc v1 tc.o');
    expect(o.exit).toBe(234);
    expect(o.stderr).toContain('arg0 in cls() is not a pointer to context');
  });
});
