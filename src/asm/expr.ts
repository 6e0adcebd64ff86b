/**
 * Assembler expressions, as llvm-mc's generic expression parser reads them in operands and data
 * directives: numbers, symbols, `.` (the current location), unary `-`/`~`/`+`, binary
 * `* / % << >> & | ^ + -` with C precedence, parentheses. Evaluation yields a linear form
 * `constant + Σ coeff·symbol` so that label differences (`.Ltmp1-.Lfunc_begin0`) cancel and a
 * single symbol with an addend becomes a relocation.
 */
import type { Token } from './lexer';

/** An expression tree. */
export type Expr =
  | { readonly kind: 'num'; readonly value: bigint; readonly col: number }
  | { readonly kind: 'sym'; readonly name: string; readonly col: number }
  | { readonly kind: 'unary'; readonly op: string; readonly arg: Expr; readonly col: number }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly col: number };

/** A parse failure at a 1-based column. */
export interface ExprError {
  readonly col: number;
  readonly message: string;
}

const PREC: Record<string, number> = {
  '|': 1, '^': 2, '&': 3, '<<': 4, '>>': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6,
};

/**
 * How deeply parentheses and unary operators may nest. Chains of binary operators are parsed and
 * evaluated without recursion (llvm-mc assembles `1+1+...` of 20,000 terms); nesting deeper than
 * this is refused with an error at its column instead of overflowing the stack.
 */
const MAX_NESTING = 1000;

/** Parses an expression from `toks[pos]`; returns the tree and the index after it. */
export function parseExpr(toks: readonly Token[], pos: number): { expr: Expr; next: number } | ExprError {
  return parseBinary(toks, pos, 1, 0);
}

function parseBinary(toks: readonly Token[], pos: number, minPrec: number, depth: number): { expr: Expr; next: number } | ExprError {
  const lhs = parseUnary(toks, pos, depth);
  if ('message' in lhs) return lhs;
  let { expr, next } = lhs;
  for (;;) {
    const t = toks[next];
    if (!t || t.kind !== 'op') break;
    const p = PREC[t.text];
    if (p === undefined || p < minPrec) break;
    const rhs = parseBinary(toks, next + 1, p + 1, depth);
    if ('message' in rhs) return rhs;
    expr = { kind: 'binary', op: t.text, left: expr, right: rhs.expr, col: t.col };
    next = rhs.next;
  }
  return { expr, next };
}

function parseUnary(toks: readonly Token[], pos: number, depth: number): { expr: Expr; next: number } | ExprError {
  const t = toks[pos];
  if (!t) {
    const last = toks[toks.length - 1];
    return { col: last ? last.col + last.text.length : 1, message: 'unknown token in expression' };
  }
  if (depth > MAX_NESTING) return { col: t.col, message: `expression nested more than ${MAX_NESTING} levels deep` };
  if (t.kind === 'op' && (t.text === '-' || t.text === '~' || t.text === '+' || t.text === '!')) {
    const r = parseUnary(toks, pos + 1, depth + 1);
    if ('message' in r) return r;
    return { expr: { kind: 'unary', op: t.text, arg: r.expr, col: t.col }, next: r.next };
  }
  if (t.kind === 'op' && t.text === '(') {
    const r = parseBinary(toks, pos + 1, 1, depth + 1);
    if ('message' in r) return r;
    const close = toks[r.next];
    if (!close || close.kind !== 'op' || close.text !== ')') {
      return { col: close ? close.col : t.col, message: "expected ')' in parentheses expression" };
    }
    return { expr: r.expr, next: r.next + 1 };
  }
  if (t.kind === 'number') return { expr: { kind: 'num', value: t.value!, col: t.col }, next: pos + 1 };
  if (t.kind === 'ident') return { expr: { kind: 'sym', name: t.text, col: t.col }, next: pos + 1 };
  return { col: t.col, message: 'unknown token in expression' };
}

/** A linear form: `constant + Σ terms[name]·name`. Terms with coefficient 0 are dropped. */
export interface Linear {
  constant: bigint;
  terms: Map<string, bigint>;
}

/**
 * Evaluates an expression to a linear form. `lookup` returns a symbol's value when it is an
 * absolute constant known now (e.g. `.set` constants), else undefined (kept symbolic).
 * Non-linear operations on symbols are errors, as in llvm-mc ("expected relocatable expression").
 */
export function evalLinear(e: Expr, lookup: (name: string) => bigint | undefined): Linear | ExprError {
  switch (e.kind) {
    case 'num':
      return { constant: e.value, terms: new Map() };
    case 'sym': {
      const v = lookup(e.name);
      if (v !== undefined) return { constant: v, terms: new Map() };
      return { constant: 0n, terms: new Map([[e.name, 1n]]) };
    }
    case 'unary': {
      const a = evalLinear(e.arg, lookup);
      if ('message' in a) return a;
      if (e.op === '+') return a;
      if (e.op === '-') return scale(a, -1n);
      if (a.terms.size) return { col: e.col, message: 'expected relocatable expression' };
      return { constant: e.op === '~' ? ~a.constant : a.constant === 0n ? 1n : 0n, terms: new Map() };
    }
    case 'binary': {
      // Walk the left spine without recursion: `1+1+...+1` is a left-deep tree as long as the source.
      const spine: (Expr & { kind: 'binary' })[] = [];
      let leftmost: Expr = e;
      while (leftmost.kind === 'binary') {
        spine.push(leftmost);
        leftmost = leftmost.left;
      }
      let acc = evalLinear(leftmost, lookup);
      for (let i = spine.length - 1; i >= 0 && !('message' in acc); i--) {
        const node = spine[i]!;
        const b = evalLinear(node.right, lookup);
        acc = 'message' in b ? b : applyBinary(node.op, node.col, acc, b);
      }
      return acc;
    }
  }
}

/** One binary operation on two linear forms (only + and - and scaling keep symbols). */
function applyBinary(op: string, col: number, a: Linear, b: Linear): Linear | ExprError {
  if (op === '+') return add(a, b);
  if (op === '-') return add(a, scale(b, -1n));
  if (op === '*' && a.terms.size === 0) return scale(b, a.constant);
  if (op === '*' && b.terms.size === 0) return scale(a, b.constant);
  if (a.terms.size || b.terms.size) return { col, message: 'expected relocatable expression' };
  const x = a.constant;
  const y = b.constant;
  if ((op === '/' || op === '%') && y === 0n) return { col, message: 'division by zero' };
  const mask = (1n << 64n) - 1n;
  switch (op) {
    case '*': return konst(x * y);
    case '/': return konst(x / y);
    case '%': return konst(x % y);
    case '<<': return konst(BigInt.asIntN(64, (x << (y & 63n)) & mask));
    case '>>': return konst(x >> (y & 63n));
    case '&': return konst(x & y);
    case '|': return konst(x | y);
    case '^': return konst(x ^ y);
  }
  return { col, message: `unknown operator '${op}'` };
}

function konst(v: bigint): Linear {
  return { constant: v, terms: new Map() };
}

function scale(a: Linear, k: bigint): Linear {
  const terms = new Map<string, bigint>();
  for (const [n, c] of a.terms) if (c * k !== 0n) terms.set(n, c * k);
  return { constant: a.constant * k, terms };
}

function add(a: Linear, b: Linear): Linear {
  const terms = new Map(a.terms);
  for (const [n, c] of b.terms) {
    const v = (terms.get(n) ?? 0n) + c;
    if (v === 0n) terms.delete(n);
    else terms.set(n, v);
  }
  return { constant: a.constant + b.constant, terms };
}
