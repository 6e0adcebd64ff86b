/**
 * bpftool's argument conventions (tools/bpf/bpftool/main.c, map.c, prog.c): object selectors
 * `id N` | `name NAME` | `pinned PATH` (| `tag TAG` for programs), and byte lists for keys and
 * values — each byte decimal by default, `0x..` hex, or bare hex pairs after the word `hex`.
 * Errors print as `Error: <message>` and exit 255 (bpftool returns -1).
 */
import { CODE_USAGE, type ToolOutcome } from './outcome';

/** A selector of programs or maps. */
export type Selector = { by: 'id'; id: number } | { by: 'name'; name: string } | { by: 'pinned'; path: string } | { by: 'tag'; tag: string };

/**
 * A bpftool error outcome: `Error: msg` (or xdpts' `{"error": {"message", "code"}}` with -j), exit 255 unless given.
 * bpftool's -1 (255) is a usage or lookup error (bad arguments, no such object), which xdpts
 * exits 2 for; a failed operation (256 - errno) exits 1 (reference §8.2).
 */
export function bpftoolError(message: string, json: boolean, exit = 255): ToolOutcome {
  const code = exit === 255 ? { code: CODE_USAGE } : {};
  // Under -j bpftool prints {"error": msg}; xdpts keeps its one error shape for every command.
  const body = { error: { message, code: exit === 255 ? 'usage' : 'failed' } };
  return json ? { exit, stdout: [JSON.stringify(body)], stderr: [], ...code } : { exit, stdout: [], stderr: [`Error: ${message}`], ...code };
}

/** Parses a selector at argv[0..]; returns it and the number of words used, or an error message. */
export function parseSelector(argv: readonly string[], kinds: readonly Selector['by'][]): { sel: Selector; used: number } | { error: string } {
  const [w, v] = argv;
  if (w === undefined) return { error: 'expected more arguments' };
  if (!kinds.includes(w as Selector['by'])) {
    // bpftool: "expected 'id', 'tag', 'name' or 'pinned', got: 'x'?"
    const q = kinds.map((k) => `'${k}'`);
    return { error: `expected ${q.length > 1 ? `${q.slice(0, -1).join(', ')} or ${q.at(-1)}` : q[0]}, got: '${w}'?` };
  }
  if (v === undefined) return { error: `expected ${w === 'id' ? 'id' : w === 'pinned' ? 'pinned path' : w} but got nothing` };
  switch (w) {
    case 'id': {
      const n = Number(v);
      if (!/^(0x[0-9a-f]+|\d+)$/i.test(v) || !Number.isSafeInteger(n)) return { error: `can't parse ${v} as ID` };
      return { sel: { by: 'id', id: n }, used: 2 };
    }
    case 'name':
      if (v.length > 15) return { error: "can't parse name" };
      return { sel: { by: 'name', name: v }, used: 2 };
    case 'tag':
      if (!/^[0-9a-f]{16}$/i.test(v.replace(/ /g, ''))) return { error: `can't parse tag` };
      return { sel: { by: 'tag', tag: v.toLowerCase() }, used: 2 };
    default:
      return { sel: { by: 'pinned', path: v }, used: 2 };
  }
}

/** C's strtoul(s, &end, base) over a whole word: the value, or undefined when characters remain. */
function strtoulWord(w: string, base: 0 | 16): number | undefined {
  let b: number = base;
  let t = w.trim();
  if ((b === 0 || b === 16) && /^0x/i.test(t)) {
    t = t.slice(2);
    b = 16;
  } else if (b === 0 && /^0./.test(t)) b = 8;
  else if (b === 0) b = 10;
  const digits = b === 16 ? /^[0-9a-f]+$/i : b === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (t === '' || !digits.test(t)) return undefined;
  return parseInt(t, b);
}

/**
 * bpftool's `parse_bytes`: exactly `n` words, each one byte (strtoul base 0: decimal, 0x hex,
 * 0 octal; base 16 after the word `hex`; values are truncated to 8 bits as the C cast does).
 * `error parsing byte: W` for a word that is not a number, `NAME expected N bytes got M` when
 * the words run out. Returns the bytes and the number of words used (with `hex`).
 */
export function parseBytes(argv: readonly string[], what: string, n: number): { bytes: Uint8Array; used: number } | { error: string } {
  let at = 0;
  let base: 0 | 16 = 0;
  if (argv[0] !== undefined && 'hex'.startsWith(argv[0]) && argv[0].length > 0 && !/^\d/.test(argv[0])) {
    base = 16;
    at = 1;
  }
  const out = new Uint8Array(n);
  let i = 0;
  while (i < n && argv[at + i] !== undefined) {
    const v = strtoulWord(argv[at + i]!, base);
    if (v === undefined) return { error: `error parsing byte: ${argv[at + i]}` };
    out[i] = v & 0xff;
    i++;
  }
  if (i !== n) return { error: `${what} expected ${n} bytes got ${i}` };
  return { bytes: out, used: at + n };
}

/** Bytes as bpftool prints them in plain mode: two hex digits each, space-separated. */
export function hexBytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Bytes as bpftool's JSON prints them: `["0x00", ...]`. */
export function jsonBytes(b: Uint8Array): string[] {
  return [...b].map((x) => `0x${x.toString(16).padStart(2, '0')}`);
}
