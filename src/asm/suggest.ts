/**
 * "Did you mean" suggestions for unknown mnemonics, directives and labels: the candidate with
 * the smallest edit distance (Damerau-Levenshtein, optimal string alignment), if close enough.
 */

/** Edit distance between two strings (insert, delete, substitute, swap adjacent). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => {
    const row = new Array<number>(n + 1).fill(0);
    row[0] = i;
    return row;
  });
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

/**
 * The nearest candidate to `word` (case-insensitive), or undefined when none is within
 * a third of the word's length (at least 1, at most 3 edits).
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(w.length / 3)));
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase());
    if (dist < bestD || (dist === bestD && best !== undefined && c.length < best.length)) {
      best = c;
      bestD = dist;
    }
  }
  return best !== undefined && bestD <= limit && bestD > 0 ? best : undefined;
}

/** Appends `; did you mean 'x'?` to a message when a suggestion exists. */
export function withSuggestion(message: string, word: string, candidates: Iterable<string>): string {
  const s = suggest(word, candidates);
  return s ? `${message}; did you mean '${s}'?` : message;
}
