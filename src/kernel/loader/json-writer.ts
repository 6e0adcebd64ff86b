/**
 * bpftool's pretty JSON (`-p`), as its json_writer.c writes it: four spaces per level, a newline
 * before every object member and before a closing bracket of a non-empty container, none before
 * an array element — so arrays of objects read `[{` ... `},{` ... `}` and a closing `]` sits on
 * its own line, and empty containers stay `[]` / `{}`.
 */

/** The pretty form of a JSON value, one string per output line. */
export function jsonwPretty(v: unknown): string[] {
  let out = '';
  let depth = 0;
  let sep = '';
  const eol = (): void => {
    out += `\n${'    '.repeat(depth)}`;
  };
  const eor = (): void => {
    out += sep;
    sep = ',';
  };
  const value = (x: unknown): void => {
    if (Array.isArray(x) || (x !== null && typeof x === 'object')) {
      const arr = Array.isArray(x);
      eor();
      out += arr ? '[' : '{';
      depth++;
      sep = '';
      if (arr) for (const e of x) value(e);
      else {
        for (const [k, e] of Object.entries(x as Record<string, unknown>)) {
          eor();
          eol();
          sep = '';
          out += `${JSON.stringify(k)}: `;
          value(e);
        }
      }
      depth--;
      if (sep !== '') eol();
      out += arr ? ']' : '}';
      sep = ',';
      return;
    }
    eor();
    out += JSON.stringify(x);
  };
  value(v);
  return out.split('\n');
}
