/**
 * Test files are YAML (the `yaml` package, YAML 1.2 core schema). This file turns its syntax tree
 * into a small tree of our own that keeps every node's offset, so any later check — an unknown
 * field, a bad layer spec, a map key that does not fit the map's BTF type — can say
 * `file:line:col: error: ...` about the exact spot.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { XdptsError } from '../util/index';

/** A malformed test file: where and what. */
export class TestFileError extends XdptsError {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly reason: string;
  constructor(file: string, line: number, col: number, reason: string) {
    super(`${file}:${line}:${col}: error: ${reason}`, 'testfile');
    this.name = 'TestFileError';
    this.file = file;
    this.line = line;
    this.col = col;
    this.reason = reason;
  }
}

/** A YAML node with its position. */
export type YNode = YScalar | YMap | YSeq;
interface YBase {
  /** Offset of the node in the file. */
  readonly pos: number;
}
/** A scalar: its JS value (string, number, boolean, null) and whether it was quoted. */
export interface YScalar extends YBase {
  readonly kind: 'scalar';
  readonly value: string | number | boolean | null;
  readonly quoted: boolean;
}
/** A mapping: entries in order, keys as nodes. */
export interface YMap extends YBase {
  readonly kind: 'map';
  readonly entries: readonly { readonly key: YScalar; readonly value: YNode }[];
}
/** A sequence. */
export interface YSeq extends YBase {
  readonly kind: 'seq';
  readonly items: readonly YNode[];
}

/**
 * What a YamlFile needs of yaml's LineCounter. Structural, so that the library's declarations
 * (dist/types) name no type of the `yaml` package, which the bundles carry inside them.
 */
export interface LinePositions {
  linePos(offset: number): { line: number; col: number };
}

/** A parsed file: its root node and a way to turn offsets into errors. */
export class YamlFile {
  readonly file: string;
  readonly root: YNode;
  private readonly lines: LinePositions;
  constructor(file: string, root: YNode, lines: LinePositions) {
    this.file = file;
    this.root = root;
    this.lines = lines;
  }
  /** An error at a node (or an offset inside the file). */
  error(at: YNode | number, reason: string): TestFileError {
    const { line, col } = this.position(at);
    return new TestFileError(this.file, line, col, reason);
  }
  /** 1-based line and column of a node or offset. */
  position(at: YNode | number): { line: number; col: number } {
    return this.lines.linePos(typeof at === 'number' ? at : at.pos);
  }
}

/** Parses YAML text; TestFileError at the first syntax error. */
export function parseYaml(file: string, text: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const fail = (pos: number, reason: string): never => {
    const { line, col } = lines.linePos(pos);
    throw new TestFileError(file, line, col, reason);
  };
  const first = doc.errors[0];
  if (first) fail(first.pos[0], first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  const convert = (n: unknown, depth: number): YNode => {
    if (depth > 64) fail(0, 'nesting too deep');
    let node = n as YamlNode | null | undefined;
    if (node && isAlias(node)) node = node.resolve(doc as Document) as YamlNode | undefined;
    const pos = node?.range?.[0] ?? 0;
    if (node === null || node === undefined) return { kind: 'scalar', value: null, quoted: false, pos };
    if (isScalar(node)) {
      const v = node.value;
      const value = typeof v === 'bigint' ? Number(v) : v === undefined ? null : (v as string | number | boolean | null);
      return { kind: 'scalar', value, quoted: node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE', pos };
    }
    if (isSeq(node)) return { kind: 'seq', items: node.items.map((i) => convert(i, depth + 1)), pos };
    if (isMap(node)) {
      const entries = node.items.map((p) => {
        if (!isPair(p)) fail(pos, 'unexpected entry');
        const key = convert(p.key, depth + 1);
        if (key.kind !== 'scalar') fail(key.pos, 'a key must be a plain value');
        return { key: key as YScalar, value: convert(p.value, depth + 1) };
      });
      return { kind: 'map', entries, pos };
    }
    return fail(pos, 'unsupported YAML node');
  };
  return new YamlFile(file, convert(doc.contents, 0), lines);
}

/** The text of a scalar key or value. */
export function scalarText(n: YScalar): string {
  return n.value === null ? '' : String(n.value);
}

/** A map entry's value by key. */
export function field(m: YMap, key: string): YNode | undefined {
  return m.entries.find((e) => scalarText(e.key) === key)?.value;
}

/** Plain JS of a node (for values whose position no longer matters). */
export function toPlain(n: YNode): unknown {
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map(toPlain);
  return Object.fromEntries(n.entries.map((e) => [scalarText(e.key), toPlain(e.value)]));
}
