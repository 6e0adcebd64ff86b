/**
 * Identifier rules of the bindings generator: how C names (maps, programs, struct members, BTF
 * types) become TypeScript names, and how collisions are settled deterministically.
 *
 * The walk follows bpf2go's `internal/output.go` `Identifier` (cilium/ebpf): an `_` is dropped
 * when it starts the name, follows a dropped character, or follows a lower-case letter or a
 * digit, and the next letter is upper-cased; an `_` after an upper-case letter is kept
 * (`XDP_PASS` stays `XDP_PASS`); digits are kept; anything else is dropped. Unlike bpf2go,
 * members are camelCase (first character keeps its case) and types PascalCase.
 */
import { UsageError } from '../util/errors';

/**
 * Words that cannot be used as a binding name in strict-mode ECMAScript or TypeScript
 * (ECMA-262 "ReservedWord" plus strict-mode future reserved words and TS type keywords that
 * cannot name a type).
 */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([
  'await', 'break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete',
  'do', 'else', 'enum', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import',
  'in', 'instanceof', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try',
  'typeof', 'var', 'void', 'while', 'with', 'yield', 'let', 'static', 'implements', 'interface',
  'package', 'private', 'protected', 'public', 'arguments', 'eval', 'undefined', 'NaN', 'Infinity',
  'any', 'boolean', 'never', 'number', 'object', 'string', 'symbol', 'unknown', 'bigint',
]);

/**
 * Property names that would not create an ordinary own data property in an object literal
 * (`__proto__` sets the prototype) or that shadow Object.prototype members in surprising ways.
 */
const UNSAFE_PROPERTIES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** True when `s` is a syntactically valid JavaScript identifier (ASCII subset) and not reserved. */
export function isSafeIdentifier(s: string): boolean {
  return IDENT_RE.test(s) && !RESERVED_WORDS.has(s) && !UNSAFE_PROPERTIES.has(s);
}

/** The bpf2go walk; `upperFirst` says whether the first kept letter is upper-cased. */
function walk(name: string, upperFirst: boolean): string {
  let out = '';
  let upperNext = upperFirst;
  let prevDropped = true; // an `_` at the very start counts as following a dropped character
  let prev = '';
  for (const ch of name) {
    if (ch === '_') {
      const afterLowerOrDigit = /[a-z0-9]/.test(prev);
      if (prevDropped || afterLowerOrDigit) {
        prevDropped = true;
        if (out !== '') upperNext = true;
        prev = ch;
        continue;
      }
      out += ch; // after an upper-case letter: kept (XDP_PASS)
      prevDropped = false;
      prev = ch;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      out += upperNext ? ch.toUpperCase() : ch;
      upperNext = false;
      prevDropped = false;
      prev = ch;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      out += ch;
      upperNext = false;
      prevDropped = false;
      prev = ch;
      continue;
    }
    prevDropped = true; // any other character is dropped
    prev = ch;
  }
  return out;
}

/** camelCase form of a C name: `pkt_count` → `pktCount`, `__len` → `len`, `XDP_PASS` stays. */
export function camelName(cName: string): string {
  return walk(cName, false);
}

/** PascalCase form of a C name: `flow_stats` → `FlowStats`, `xdp_md` → `XdpMd`. */
export function pascalName(cName: string): string {
  return walk(cName, true);
}

/** PascalCase of the generator IDENT, the stem of every type name (`counter` → `Counter`). */
export function stemName(ident: string): string {
  return ident.charAt(0).toUpperCase() + ident.slice(1);
}

/**
 * Checks the IDENT of `xdpts gen`: it becomes the stem of function and type names, so it must be
 * a valid identifier and not a reserved word. Throws UsageError (exit 2) otherwise.
 */
export function validateIdent(ident: string): void {
  if (!IDENT_RE.test(ident)) {
    throw new UsageError(`invalid IDENT '${ident}': must match [A-Za-z_$][A-Za-z0-9_$]* (it becomes the stem of generated names)`);
  }
  if (RESERVED_WORDS.has(ident)) throw new UsageError(`invalid IDENT '${ident}': it is a reserved word`);
}

/**
 * Assigns member names (camelCase) to a list of C names, deterministically:
 * - names whose camelCase forms collide keep their C spelling (bindings.md 6.3: the conversion is
 *   idempotent, so a kept spelling cannot be hit by another conversion);
 * - a result that is empty, starts with a digit or is reserved keeps its C spelling, with `_`
 *   appended if the C spelling itself is reserved;
 * - any collision left after that gets `_2`, `_3`... in C-name order.
 * Returns C name → TS name, plus a warning for every name that did not get its camelCase form.
 */
export function assignMemberNames(
  cNames: readonly string[],
  convert: (c: string) => string = camelName,
): { names: Map<string, string>; warnings: string[] } {
  const warnings: string[] = [];
  const unique = [...new Set(cNames)];
  const byCandidate = new Map<string, string[]>();
  for (const c of unique) {
    const cand = convert(c);
    const list = byCandidate.get(cand) ?? [];
    list.push(c);
    byCandidate.set(cand, list);
  }
  const first = new Map<string, string>();
  for (const c of unique) {
    const cand = convert(c);
    const group = byCandidate.get(cand) ?? [];
    let chosen = cand;
    if (group.length > 1) {
      chosen = c;
      warnings.push(`names ${group.map((g) => `'${g}'`).join(', ')} collide as '${cand}'; they keep their C spelling`);
    } else if (!isSafeIdentifier(cand)) {
      chosen = c;
    }
    if (!isSafeIdentifier(chosen)) chosen = IDENT_RE.test(chosen) ? `${chosen}_` : sanitize(chosen);
    first.set(c, chosen);
  }
  // Final pass: whatever still collides gets a numeric suffix, in sorted C-name order.
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const c of [...unique].sort()) {
    let n = first.get(c) as string;
    if (taken.has(n)) {
      let i = 2;
      while (taken.has(`${n}_${i}`)) i++;
      warnings.push(`name '${c}' collides as '${n}'; using '${n}_${i}'`);
      n = `${n}_${i}`;
    }
    taken.add(n);
    names.set(c, n);
  }
  return { names, warnings: [...new Set(warnings)] };
}

/** Turns an arbitrary string into an identifier: invalid characters become `_`, a leading digit gets `_`. */
export function sanitize(s: string): string {
  let r = s.replace(/[^A-Za-z0-9_$]/g, '_');
  if (r === '' || /^[0-9]/.test(r)) r = `_${r}`;
  if (RESERVED_WORDS.has(r) || UNSAFE_PROPERTIES.has(r)) r = `${r}_`;
  return r;
}

/** Renders a property key for an object literal or interface: bare when safe, quoted otherwise. */
export function propKey(name: string): string {
  return IDENT_RE.test(name) && !UNSAFE_PROPERTIES.has(name) ? name : JSON.stringify(name);
}
