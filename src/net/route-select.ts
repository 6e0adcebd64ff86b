/**
 * The prefix selector of `ip route show` for both families, as iproute2 reads it:
 * `[to] [exact|root|match] PREFIX` (`default` is the zero-length prefix). A bare or `exact`
 * prefix keeps the route with that very prefix, `root` the routes inside it, `match` the
 * routes that contain it. Only the address form differs between IPv4 and IPv6.
 */
import { NetError } from './errors';

/** How one family reads a prefix word and tests containment. */
export interface PrefixFamily<A> {
  /** The prefix a word names (`default` handled here), or undefined when it is none. */
  parse(word: string): { addr: A; len: number } | undefined;
  /** iproute2's error for a word that is not a prefix of this family. */
  bad(word: string): NetError;
  /** Whether the first `len` bits of `a` and `b` agree. */
  samePrefix(a: A, b: A, len: number): boolean;
  /** The zero address (for `default`). */
  zero: A;
}

/** A route as the selector sees it: its destination already parsed. */
export interface SelectedRoute<A> {
  dst: A;
  dstLen: number;
}

/** The filter of `ip route show WORDS` (everything when no prefix is given). */
export function prefixSelector<A>(words: readonly string[], fam: PrefixFamily<A>): (r: SelectedRoute<A>) => boolean {
  let mode: 'exact' | 'root' | 'match' = 'exact';
  let sel: { addr: A; len: number } | undefined;
  for (let i = 0; i < words.length; i++) {
    let w = words[i]!;
    if (w === 'to') continue;
    const m = (['root', 'match', 'exact'] as const).find((k) => k.startsWith(w) && w.length > 0);
    if (m) {
      mode = m;
      w = words[++i] ?? '';
      if (w === '') throw new NetError('Command line is not complete. Try option "help"', 255, 'EINVAL');
    }
    // A later prefix replaces an earlier one (iproute2 6.1 overwrites its filter, status 0).
    if (w === 'all') {
      sel = undefined;
      continue;
    }
    const p = w === 'default' ? { addr: fam.zero, len: 0 } : fam.parse(w);
    if (!p) throw fam.bad(w);
    sel = p;
  }
  if (!sel) return () => true;
  const { addr, len } = sel;
  return (r) => {
    if (mode === 'exact') return r.dstLen === len && fam.samePrefix(r.dst, addr, len);
    if (mode === 'root') return r.dstLen >= len && fam.samePrefix(r.dst, addr, len);
    return len >= r.dstLen && fam.samePrefix(addr, r.dst, r.dstLen);
  };
}
