/**
 * What every `ip OBJECT` command shares: iproute2's word matching and argument errors, the
 * global options, and how a `show` prints (text or -j) without writing the state back.
 */
import { getNetns, NetError, onelineRecords } from '../../net/index';
import { out, outJson } from '../output';
import { withNet, type NetSession } from './net-session';

/** `matches()` of iproute2: `word` is a non-empty prefix of `full`. */
export function matches(word: string | undefined, full: string): boolean {
  return word !== undefined && word.length > 0 && full.startsWith(word);
}

/** The global options before the object (`-n NS`, `-j`, `-br`, `-4`/`-6`, ...). */
export interface IpGlobals {
  ns: string;
  json: boolean;
  force: boolean;
  brief: boolean;
  family?: 'inet' | 'inet6';
  stats: boolean;
  /** `-o`: one line per record. */
  oneline?: boolean;
  /** `-d`: device details. */
  details?: boolean;
}

/** iproute2's error for a word it cannot place. */
export function garbage(word: string): NetError {
  return new NetError(`Error: either "dev" is duplicate, or "${word}" is a garbage.`, 255, 'EINVAL');
}

/** The argument at `i`, or iproute2's "Command line is not complete". */
export function need(args: string[], i: number, what: string): string {
  const v = args[i];
  if (v === undefined) throw new NetError(`Command line is not complete. Try option "help"`, 255, 'EINVAL');
  void what;
  return v;
}

/** Splits `dev NAME` from the other words. */
export function devArg(args: string[]): { dev?: string; rest: string[] } {
  const rest: string[] = [];
  let dev: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === 'dev') {
      dev = need(args, i + 1, 'dev');
      i++;
    } else rest.push(args[i]!);
  }
  return dev !== undefined ? { dev, rest } : { rest };
}

/** What an `ip OBJECT show` prints: its JSON (-j) and its text lines (-br already chosen). */
export interface ShowView {
  json(): unknown;
  lines(): Iterable<string>;
  /** How `-o` joins the lines (default: continuation lines onto their record, after `\`). */
  oneline?: (lines: Iterable<string>) => string[];
}

/**
 * Runs an `ip OBJECT show` in namespace `g.ns` without writing the state back: `view` builds
 * the output (and throws iproute2's error for an unknown device), printed as JSON under -j.
 */
export function showIn(g: IpGlobals, view: (s: NetSession, ns: ReturnType<typeof getNetns>) => ShowView): Promise<number> {
  return withNet(
    (s) => {
      const v = view(s, getNetns(s.state, g.ns));
      if (g.json) outJson(v.json());
      else for (const l of g.oneline ? (v.oneline ?? onelineRecords)(v.lines()) : v.lines()) out(l);
      return 0;
    },
    { readonly: true },
  );
}
