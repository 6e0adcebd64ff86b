/**
 * The words of `xdpts explain`: which category a verifier message belongs to, what the kernel
 * protects against there (two sentences, for learners), and a suggestion in C terms built from
 * the numbers in the message.
 */
import type { ExplainSource, Explanation } from './explain';

/** The kind of rule a rejected program broke. */
export type ExplainCategory =
  | 'packet-bounds'
  | 'map-value-bounds'
  | 'stack-bounds'
  | 'null-pointer'
  | 'uninitialised'
  | 'pointer-arithmetic'
  | 'helper-argument'
  | 'context-access'
  | 'loop-complexity'
  | 'calls'
  | 'reference-leak'
  | 'invalid-instruction'
  | 'btf-object'
  /** Something xdpts does not emulate (a helper or kfunc): not the kernel's refusal. */
  | 'unsupported'
  /** A message no rule knows (a gap of these rules, not a kind of error). */
  | 'other';

interface CategoryText {
  readonly title: string;
  /** Two sentences: what the kernel protects against. */
  readonly protects: string;
}

export const CATEGORY_TEXT: Record<ExplainCategory, CategoryText> = {
  'packet-bounds': {
    title: 'packet bounds',
    protects: 'A packet is only as long as it is, and reading past data_end would leak or corrupt kernel memory. The verifier lets a program touch packet bytes only after a comparison with data_end has proven they exist on that path.',
  },
  'map-value-bounds': {
    title: 'map value bounds',
    protects: 'A map value is a fixed-size block of kernel memory (value_size bytes). Every access through a map value pointer must be proven to stay inside it, for every value the offset can take.',
  },
  'stack-bounds': {
    title: 'stack access',
    protects: 'Each BPF function has at most 512 bytes of stack below the read-only frame pointer r10. Accesses must be at constant or bounded offsets inside that area, aligned, and r10 itself cannot change.',
  },
  'null-pointer': {
    title: 'null pointer',
    protects: 'Helpers such as bpf_map_lookup_elem return NULL when there is nothing to return. The verifier refuses any use of such a pointer (dereference or arithmetic) until a comparison with 0 has ruled NULL out.',
  },
  uninitialised: {
    title: 'uninitialised register or stack',
    protects: 'Registers and stack bytes that were never written hold leftovers of the kernel, which must not leak into a program. Reading a register or stack slot before writing it on every path that reaches the read is refused.',
  },
  'pointer-arithmetic': {
    title: 'pointer arithmetic',
    protects: 'The verifier tracks every pointer as a base plus a range of offsets, so only additions and subtractions of bounded scalars keep it a pointer it can check. Other operations, unbounded offsets or dereferencing a plain number would let a program forge addresses.',
  },
  'helper-argument': {
    title: 'helper argument',
    protects: 'Each helper declares what every argument must be (a map, a pointer to initialised stack or packet memory of a known size, a constant...). Calls are checked against that prototype so the kernel function never receives memory the program may not touch.',
  },
  'context-access': {
    title: 'context access',
    protects: 'The context (struct xdp_md, or a socket) is not ordinary memory: the kernel rewrites each allowed field access into a load of the real field. Only the fields the program type exposes, at their exact offsets and sizes, through the unmodified pointer, can be accessed.',
  },
  'loop-complexity': {
    title: 'loops, control flow and complexity',
    protects: 'The kernel must know a program ends and that checking it ends: it explores every path, up to one million instructions in total. Loops need a bound the verifier can see, and every instruction must be reachable and end in an exit.',
  },
  calls: {
    title: 'calls',
    protects: 'BPF-to-BPF calls share one 512-byte-per-frame stack limit across at most 8 frames, and arguments and results must match what the callee declares. A callee cannot hand back pointers into its own stack, which vanishes when it returns.',
  },
  'reference-leak': {
    title: 'references',
    protects: 'Some helpers hand out references (ring buffer records, sockets) that the kernel must get back. Every path must release or submit what it acquired before the program exits.',
  },
  'invalid-instruction': {
    title: 'invalid instruction',
    protects: 'Each eBPF instruction has a fixed encoding, and unused fields must be zero so that future kernels can give them meaning. Malformed instructions, jumps outside the program, writes to r10 and constant divisions by zero are refused outright.',
  },
  'btf-object': {
    title: 'BTF and object',
    protects: 'The object carries type information (BTF), line info and map references that the kernel checks against the instructions. Inconsistent metadata or references to maps and functions that do not exist are refused before the program is analysed.',
  },
  unsupported: {
    title: 'not emulated by xdpts',
    protects: 'This refusal is xdpts\'s, not the kernel\'s: the program calls a helper or kfunc that xdpts does not emulate yet. The real kernel may well accept it.',
  },
  other: {
    title: 'other',
    protects: 'The verifier proves, before a program runs, that it cannot crash, hang or reach memory it was not given. This message is not one xdpts knows how to explain yet; the log at --log-level 2 shows every state.',
  },
};

const RULES: [RegExp, ExplainCategory][] = [
  [/^xdpts: .*not emulated/m, 'unsupported'],
  // kfunc arguments and the kernel objects (struct nf_conn) they hand out.
  [/Possibly NULL pointer passed/, 'null-pointer'],
  [/kernel function .* expected pointer to|must be referenced or trusted|must point to scalar|max struct nesting depth|^R\d+ is not a scalar/m, 'helper-argument'],
  [/nf_conn|ptr member|is ptr_\w+ invalid|access beyond (struct|the end of member)|same insn cannot be used with different pointers/, 'context-access'],
  [/jump into the middle of ldimm64|call to invalid destination|invalid may_goto imm/, 'invalid-instruction'],
  [/invalid size of register (fill|spill)/, 'stack-bounds'],
  [/leaks addr/, 'pointer-arithmetic'],
  [/only read from bpf_|bpf_htab|bpf_array/, 'context-access'],
  [/helper access to the packet/, 'helper-argument'],
  [/reserved fields|unknown opcode|invalid bpf_ld_imm64|unrecognized bpf_ld_imm64|invalid shift|^div by zero|invalid atomic|BPF_LD_\[ABS|R\d+ is invalid|frame pointer is read only|uses invalid atomic/, 'invalid-instruction'],
  [/line_info|func_info|btf|BTF|not pointing to valid bpf_map|license|GPL/, 'btf-object'],
  [/reference leak|Unreleased reference|release/, 'reference-leak'],
  [/_or_null|null-check/, 'null-pointer'],
  [/!read_ok|invalid (indirect )?read from stack|uninit/, 'uninitialised'],
  [/too large|infinite loop|back-edge|unreachable insn|jump out of range|last insn is not an exit|loop|too complex|sequence of \d+ jumps/, 'loop-complexity'],
  [/call stack|combined stack size|Caller passes|cannot return stack pointer|callback return|func#|not a scalar value/, 'calls'],
  [/expected=|cannot pass map_type|invalid func|cannot use helper|expected prog array|known constant|zero-sized|use unsigned or|helper function/, 'helper-argument'],
  [/invalid access to packet|outside of the packet|pkt_end|pkt pointer|stores into R\d+ pkt/, 'packet-bounds'],
  [/invalid access to map value|map_value pointer|value_size=|misaligned value access/, 'map-value-bounds'],
  [/stack|fp pointer/, 'stack-bounds'],
  [/ctx|bpf_context|sock/, 'context-access'],
  [/pointer arithmetic|pointer \+= pointer|bitwise operator|math between|subtract pointer|invalid mem access 'scalar'/, 'pointer-arithmetic'],
];

/**
 * The category of a rejection from the kernel's message lines; `regType` (the offending
 * register's type on the failing path: `pkt`, `map_value`, `fp`...) settles the messages that
 * name no memory ("R0 min value is outside of the allowed memory range").
 */
export function categorize(messages: readonly string[], regType: string | undefined): ExplainCategory {
  const text = messages.join('\n');
  // A stack read outside the 512 bytes is a bounds error, inside them an uninitialised slot.
  const st = /invalid read from stack R\d+ off=(-?\d+)/.exec(text);
  if (st && (Number(st[1]) < -512 || Number(st[1]) >= 0)) return 'stack-bounds';
  for (const [re, cat] of RULES) if (re.test(text)) return cat;
  if (/value is outside of the allowed memory range|unbounded memory access|min value is negative/.test(text)) {
    if (regType?.startsWith('pkt')) return 'packet-bounds';
    if (regType?.startsWith('map_value')) return 'map-value-bounds';
    if (regType === 'fp') return 'stack-bounds';
    return 'map-value-bounds';
  }
  return 'other';
}

const num = (text: string, key: string): number | undefined => {
  const m = new RegExp(`${key}=(-?\\d+)`).exec(text);
  return m ? Number(m[1]) : undefined;
};

/** A concrete suggestion in C terms, using the offsets and sizes the message gives. */
export function suggest(cat: ExplainCategory, messages: readonly string[], reg: number | undefined, proven: number | undefined): string {
  const text = messages.join('\n');
  const R = reg !== undefined ? `r${reg}` : 'the pointer';
  switch (cat) {
    case 'packet-bounds': {
      const off = num(text, 'off');
      const size = num(text, 'size');
      if (/pkt_end/.test(text)) return 'data_end only marks where the packet ends: compare pointers with it, never read through it or move it.';
      if (off !== undefined && size !== undefined) {
        const need = off + size;
        const had = proven ? ` (the check on this path proves ${proven} byte${proven === 1 ? '' : 's'})` : '';
        return `Compare \`data + ${need}\` with \`data_end\` before this access, e.g. \`if (data + ${need} > data_end) return XDP_PASS;\`: it reads bytes ${off}–${need - 1} from the start of the packet${had}.`;
      }
      return 'Bound the variable offset (e.g. `off &= 0xff` or `if (off > 64) return XDP_PASS;`), then compare `data + off + size` with `data_end` before the access.';
    }
    case 'map-value-bounds': {
      const vs = num(text, 'value_size');
      if (/forbidden/.test(text)) return 'The map was created read-only or write-only for programs (BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG, or a .rodata global): only access it the way its flags allow.';
      if (vs !== undefined) return `The value is ${vs} bytes: keep every index below it, e.g. \`if (i >= ${vs}) return XDP_PASS;\` (or \`i &= ${vs - 1 > 0 ? vs - 1 : 0}\` for a power of two) before \`value[i]\`, and check the lower end of signed indices too.`;
      return 'Bound the index on both sides before adding it to the map value pointer, e.g. `if (i >= MAX) return XDP_PASS;` with an unsigned `i`.';
    }
    case 'stack-bounds':
      return 'Keep stack variables small (at most 512 bytes per function), access them at constant offsets or with an index bounded by a check, and never assign to r10.';
    case 'null-pointer':
      return `Check ${R} against NULL right after the call that returned it and before any use or arithmetic: \`if (!value) return XDP_PASS;\`.`;
    case 'uninitialised':
      return /stack/.test(text)
        ? 'Initialise the whole variable before passing or reading it (`struct key k = {};` or `__builtin_memset(&k, 0, sizeof(k))`), including padding bytes.'
        : `Give ${R} a value on every path before it is read (in C: initialise the variable; for a helper, pass all its arguments).`;
    case 'pointer-arithmetic':
      if (/invalid mem access 'scalar'/.test(text)) return `${R} holds a number, not a pointer the verifier knows: dereference only pointers that come from ctx->data, a map lookup or the stack.`;
      return 'Only add or subtract bounded integers to a pointer: bound the offset first (`if (off > MAX) return XDP_PASS;` or `off &= MASK`), and use a 64-bit integer type for it.';
    case 'helper-argument':
      return `Pass ${R} as the helper's prototype wants it: the right map type, a pointer to initialised stack, packet or map memory of a constant or bounded size, and non-NULL where required.`;
    case 'context-access':
      return 'Read only the fields of struct xdp_md (data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex) with 32-bit loads through ctx itself; copy ctx->data into a pointer variable instead of moving ctx.';
    case 'loop-complexity':
      return 'Give each loop a bound the verifier can see (`for (int i = 0; i < 16; i++)`), or use bpf_loop(); split large programs and remove unreachable code.';
    case 'calls':
      return 'Keep the combined stack of all frames under 512 bytes each and 8 frames deep, no recursion, and pass callees exactly the argument types their declaration names.';
    case 'reference-leak':
      return 'On every path, release what you acquired: bpf_ringbuf_submit() or bpf_ringbuf_discard() a reserved record, bpf_sk_release() a looked-up socket, before returning.';
    case 'invalid-instruction':
      return 'The instruction is malformed for this kernel: rebuild with clang -target bpf (not hand-encoded bytes), and check inline assembly for writes to r10, shifts ≥ the width, or division by a constant 0.';
    case 'unsupported':
      return 'Check the program against the real kernel (`bpftool prog load`), and tell xdpts which helper it needs.';
    case 'other':
      return 'Run `xdpts verify --log-level 2` to see the state at every instruction up to the rejection.';
    case 'btf-object':
      return 'Rebuild the object with clang -g -O2 -target bpf and a current libbpf: the metadata does not match the instructions or names a map or function that does not exist.';
  }
}

const where = (s: ExplainSource | undefined): string => (s ? `${s.file.replace(/^.*\//, '')}:${s.line}` : '');

/** The explanation as text for a learner (`xdpts explain`, the playground). */
export function explanationText(file: string, e: Explanation): string[] {
  const lines = [`${file}: ${e.program}: rejected — ${e.title} (${e.category})`];
  if (e.insn !== undefined) lines.push('', `At insn ${e.insn}: ${e.text ?? ''}${e.source ? `\n  ${where(e.source)}: ${e.source.text}` : ''}`);
  lines.push('', "The kernel's message:", ...e.message.map((m) => `  ${m}`));
  lines.push('', `Why: ${e.protects}`);
  if (e.proven) lines.push('', `Proven: ${e.proven}.`);
  if (e.chain.length > 0) {
    lines.push('', 'How the failing value came to be (on the failing path):');
    let last = '';
    for (const s of e.chain) {
      const src = s.source ? `${where(s.source)}: ${s.source.text}` : '';
      if (src && src !== last) lines.push(`        ; ${src}`);
      last = src;
      lines.push(`  ${String(s.insn).padStart(4)}: ${s.text.padEnd(34)} ${s.role}${s.state ? `  [${s.state}]` : ''}`);
    }
  }
  lines.push('', `Suggestion: ${e.suggestion}`);
  return lines;
}
