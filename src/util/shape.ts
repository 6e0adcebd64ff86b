/**
 * Shape checks for state snapshots. A command must either work on what the state holds or change
 * nothing, so a snapshot part whose fields have the wrong JSON type (a damaged or hand-edited
 * file) is refused with the path of the first bad field before anything is hydrated from it.
 * The expected shape is learnt from freshly made snapshots (templates), not written twice.
 */

/** A JSON value's kind as the check names it. */
type JsonKind = 'null' | 'array' | 'object' | 'number' | 'string' | 'boolean' | 'other';

/** What the templates showed at one path: the kinds seen, object fields, array elements. */
export interface Shape {
  readonly kinds: Set<JsonKind>;
  readonly fields: Map<string, Shape>;
  items: Shape | undefined;
}

function kindOf(v: unknown): JsonKind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'object':
    case 'number':
    case 'string':
    case 'boolean':
      return typeof v as JsonKind;
    default:
      return 'other';
  }
}

function emptyShape(): Shape {
  return { kinds: new Set(), fields: new Map(), items: undefined };
}

function learn(shape: Shape, v: unknown): void {
  const k = kindOf(v);
  shape.kinds.add(k);
  if (k === 'object') {
    for (const [key, child] of Object.entries(v as Record<string, unknown>)) {
      let s = shape.fields.get(key);
      if (!s) shape.fields.set(key, (s = emptyShape()));
      learn(s, child);
    }
  } else if (k === 'array') {
    for (const item of v as unknown[]) {
      shape.items ??= emptyShape();
      learn(shape.items, item);
    }
  }
}

/** The union shape of the given templates (array elements and alternatives merged). */
export function shapeOf(...templates: unknown[]): Shape {
  const s = emptyShape();
  for (const t of templates) learn(s, t);
  return s;
}

function describe(k: JsonKind): string {
  return k === 'object' || k === 'array' ? `an ${k}` : k === 'null' ? 'null' : `a ${k}`;
}

/**
 * The first place where `value` does not fit `shape`, as `path is a string, expected a number`,
 * or undefined when it fits. Only what the templates showed is checked: a field they never had,
 * or a place where they held only null, may hold anything. `required` names the top-level fields
 * that must be present.
 */
export function shapeMismatch(value: unknown, shape: Shape, path: string, required: readonly string[] = []): string | undefined {
  const k = kindOf(value);
  const onlyNull = shape.kinds.size === 1 && shape.kinds.has('null');
  if (!onlyNull && !shape.kinds.has(k)) {
    const expected = [...shape.kinds].filter((x) => x !== 'null').map(describe).join(' or ');
    return `${path} is ${describe(k)}, expected ${expected}`;
  }
  if (k === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of required) if (!(r in obj)) return `${path}.${r} is missing`;
    for (const [key, child] of shape.fields) {
      if (obj[key] === undefined) continue;
      const m = shapeMismatch(obj[key], child, `${path}.${key}`);
      if (m) return m;
    }
  } else if (k === 'array' && shape.items) {
    const arr = value as unknown[];
    for (let i = 0; i < arr.length; i++) {
      const m = shapeMismatch(arr[i], shape.items, `${path}[${i}]`);
      if (m) return m;
    }
  }
  return undefined;
}
