/**
 * The lexer shared by both assembly syntaxes and the directives: splitting a source file into
 * statements (comments removed, columns kept) and a statement into tokens.
 *
 * Comment rules mirror llvm-mc for the BPF target (BPFMCAsmInfo: `#` comments, `//` and
 * `/* *\/` accepted by the generic AsmLexer, `;` a statement separator) and uBPF's assembler
 * (`#` and `;`/`//` comments).
 */

/** One statement of the source: its text and where it starts (1-based line, 1-based column). */
export interface Statement {
  readonly text: string;
  readonly line: number;
  /** Column of `text[0]` in the source line. */
  readonly col: number;
  /** The whole source line, for code frames. */
  readonly sourceLine: string;
}

/** The kind of a token. `op` covers every punctuation and operator. */
export type TokenKind = 'ident' | 'number' | 'string' | 'op';

/** One token: `col` is 1-based within the statement text. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly col: number;
  /** For numbers: the value (exact, any size). */
  readonly value?: bigint;
  /** For strings: the decoded bytes. */
  readonly bytes?: number[];
}

/** A lexing failure at a column of the statement. */
export interface LexError {
  readonly col: number;
  readonly message: string;
}

/**
 * Splits a source file into statements. `semicolonSeparates` follows llvm-mc (`a; b` is two
 * statements); otherwise `;` starts a comment, as in uBPF's assembler.
 */
export function splitStatements(source: string, semicolonSeparates: boolean): Statement[] {
  const out: Statement[] = [];
  const lines = source.split(/\r?\n/);
  let inBlock = false;
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li]!;
    let cur = '';
    let start = -1;
    const flush = (): void => {
      if (start >= 0 && cur.trim() !== '') {
        const lead = cur.length - cur.trimStart().length;
        out.push({ text: cur.trim(), line: li + 1, col: start + lead + 1, sourceLine: line });
      }
      cur = '';
      start = -1;
    };
    let i = 0;
    while (i < line.length) {
      const c = line[i]!;
      if (inBlock) {
        if (c === '*' && line[i + 1] === '/') {
          inBlock = false;
          i += 2;
          if (start >= 0) cur += ' ';
        } else i++;
        continue;
      }
      if (c === '"') {
        // A string literal: copy to its closing quote, honouring backslash escapes.
        if (start < 0) start = i;
        let j = i + 1;
        while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
        cur += line.slice(i, j + 1);
        i = j + 1;
        continue;
      }
      if (c === '#' || (c === '/' && line[i + 1] === '/')) break;
      if (c === '/' && line[i + 1] === '*') {
        inBlock = true;
        i += 2;
        continue;
      }
      if (c === ';') {
        if (!semicolonSeparates) break;
        flush();
        i++;
        continue;
      }
      if (start < 0) {
        if (c === ' ' || c === '\t') {
          i++;
          continue;
        }
        start = i;
      }
      cur += c;
      i++;
    }
    flush();
  }
  return out;
}

const OPS = [
  's>>=', '<<=', '>>=', 's/=', 's%=', 's>=', 's<=',
  '+=', '-=', '*=', '/=', '%=', '|=', '&=', '^=', '==', '!=', '>=', '<=', '<<', '>>', 's>', 's<',
  '>', '<', '=', '(', ')', '[', ']', '*', '+', '-', ',', '&', '|', '^', '~', '/', '%', ':', '@', '!',
];

const IDENT_START = /[A-Za-z_.$]/;
const IDENT_PART = /[A-Za-z0-9_.$]/;

/** Parses the text of a number literal (decimal, 0x hex, 0b binary, leading-0 octal). */
export function parseNumberLiteral(text: string): bigint | undefined {
  const t = text.toLowerCase();
  try {
    if (/^0x[0-9a-f]+$/.test(t)) return BigInt(t);
    if (/^0b[01]+$/.test(t)) return BigInt(t);
    if (/^0[0-7]+$/.test(t)) return BigInt('0o' + t.slice(1));
    if (/^[0-9]+$/.test(t)) return BigInt(t);
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Splits a statement into tokens. The signed operators `s>`, `s>>=`, `s/=`... are one token
 * when `s` stands alone before them (LLVM's `if r1 s> 2`, `w1 s/= 3`).
 */
export function tokenize(text: string): Token[] | LexError {
  const toks: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const col = i + 1;
    if (c === 's' && /[<>/%]/.test(text[i + 1] ?? '')) {
      const op = OPS.find((o) => o.startsWith('s') && text.startsWith(o, i));
      if (op) {
        toks.push({ kind: 'op', text: op, col });
        i += op.length;
        continue;
      }
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j]!)) j++;
      toks.push({ kind: 'ident', text: text.slice(i, j), col });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[0-9A-Za-z_]/.test(text[j]!)) j++;
      const lit = text.slice(i, j);
      const value = parseNumberLiteral(lit);
      if (value === undefined) return { col, message: `invalid number '${lit}'` };
      toks.push({ kind: 'number', text: lit, col, value });
      i = j;
      continue;
    }
    if (c === '"') {
      const bytes: number[] = [];
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return { col, message: 'unterminated string constant' };
        const d = text[j]!;
        if (d === '"') break;
        if (d !== '\\') {
          const code = d.charCodeAt(0);
          if (code < 0x80) bytes.push(code);
          else for (const b of new TextEncoder().encode(d)) bytes.push(b);
          j++;
          continue;
        }
        const e = text[j + 1] ?? '';
        const simple: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, '"': 34, "'": 39, b: 8, f: 12, v: 11, a: 7 };
        if (e in simple) {
          bytes.push(simple[e]!);
          j += 2;
        } else if (/[0-7]/.test(e)) {
          let k = j + 1;
          let v = 0;
          while (k < text.length && k < j + 4 && /[0-7]/.test(text[k]!)) v = v * 8 + Number(text[k++]);
          bytes.push(v & 0xff);
          j = k;
        } else if (e === 'x' || e === 'X') {
          let k = j + 2;
          let v = 0;
          while (k < text.length && /[0-9a-fA-F]/.test(text[k]!)) v = v * 16 + parseInt(text[k++]!, 16);
          bytes.push(v & 0xff);
          j = k;
        } else return { col: j + 1, message: 'invalid escape sequence' };
      }
      toks.push({ kind: 'string', text: text.slice(i, j + 1), col, bytes });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => !o.startsWith('s') && text.startsWith(o, i));
    if (!op) return { col, message: `invalid character '${c}'` };
    toks.push({ kind: 'op', text: op, col });
    i += op.length;
  }
  return toks;
}

/** True if `t` is the operator/punctuation `text`. */
export function isOp(t: Token | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'op' && t.text === text;
}

/** True if `t` is the identifier `text` (case-insensitive, as llvm-mc's BPF parser). */
export function isWord(t: Token | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'ident' && t.text.toLowerCase() === text;
}
