/**
 * xdp-loader's command lines (xdp-tools xdp-loader/xdp-loader.c + lib/util/params.c): getopt_long
 * with options anywhere among the positionals, `-vv` counting, and its messages for bad input —
 * `Couldn't parse option mode: Invalid argument.`, `Missing required parameter <ifname>`,
 * `Only one of --section or --prog-name can be set`, `Need prog ID or --all` — each followed by
 * a blank line and the short usage (on stdout) where the real tool prints them (reference §1.1,
 * §1.3, and the oracle's recordings).
 */
import { parseActions } from '../xdp/actions';

/** A parsed command line, or the failure xdp-loader reports. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; exit: number; stderr: string[]; stdout?: string[]; /** xdpts's exit status (reference §8.2). */ code: number };

/** Options of `load`. */
export interface LoadArgs {
  ifname: string;
  files: string[];
  mode: 'native' | 'skb' | 'hw' | 'unspecified';
  pinPath?: string;
  section?: string;
  progName?: string;
  /** 0 = not given (libxdp keeps the metadata/default). */
  prio: number;
  /** Chain-call mask from -A, or undefined when not given. */
  actions?: number;
  /** `--set NAME=VALUE` (xdpts): globals written before load, in order given. */
  set?: string[];
  verbose: number;
  json: boolean;
}

/** Options of `unload`. */
export interface UnloadArgs {
  ifname: string;
  id?: number;
  all: boolean;
  verbose: number;
  json: boolean;
}

/** Options of `status` / `features` / `clean`. */
export interface IfaceArgs {
  ifname?: string;
  verbose: number;
  json: boolean;
}

const USAGE: Record<string, string> = {
  load: 'load [options] <ifname> <filenames>',
  unload: 'unload [options] <ifname>',
  status: 'status [options] [ifname]',
  clean: 'clean [options] [ifname]',
  features: 'features [options] <ifname>',
};

/** The short usage block xdp-loader prints after an argument error. */
export function shortUsage(cmd: string, withCommand = true): string[] {
  const u = USAGE[cmd] ?? cmd;
  return [`Usage: xdpts ${withCommand ? u : u.replace(/^\S+ /, '')}`, 'Use --help (or -h) to see full option list.'];
}

const OPT = (flags: string, text: string): string => ` ${flags.padEnd(32)} ${text}`;
const TAIL = [
  OPT('-v, --verbose', 'Enable verbose logging (-vv: more verbose)'),
  OPT('    --json', 'Print the outcome as JSON (xdpts)'),
  OPT('-h, --help', 'Show this help'),
];

/** Help bodies in xdp-loader's layout (description, parameters, options). */
const HELP: Record<string, string[]> = {
  load: [
    ' Load an XDP program on an interface',
    '',
    'Required parameters:',
    '  <ifname>                        Load on device <ifname>',
    '  <filenames>                     Load programs from <filenames>',
    '',
    'Options:',
    OPT('-m, --mode <mode>', 'Load XDP program in <mode>; default native (valid values: native,skb,hw,unspecified)'),
    OPT('-p, --pin-path', 'Path to pin maps under (must be in bpffs).'),
    OPT('-s, --section <section>', 'ELF section name of program to load (default: first in file).'),
    OPT('-n, --prog-name <prog_name>', 'BPF program name of program to load (default: first in file).'),
    OPT('-P, --prio', 'Set run priority of program'),
    OPT(
      '-A, --actions <actions>',
      'Chain call actions (default: XDP_PASS). e.g. XDP_PASS,XDP_DROP (valid values: XDP_ABORTED,XDP_DROP,XDP_PASS,XDP_TX,XDP_REDIRECT)',
    ),
    OPT('    --set <NAME=VALUE>', 'Set a global variable (const volatile in .rodata, or .data/.bss) before load (xdpts)'),
    ...TAIL,
  ],
  unload: [
    ' Unload an XDP program from an interface',
    '',
    'Options:',
    '  <ifname>                        Unload from device <ifname>',
    OPT('-i, --id <id>', 'Unload program with id <id>'),
    OPT('-a, --all', 'Unload all programs from interface'),
    ...TAIL,
  ],
  status: [' Show XDP program status', '', 'Options:', '  [ifname]                        Show status for device [ifname] (default all interfaces)', ...TAIL],
  features: [' Show XDP features supported by the NIC', '', 'Options:', '  <ifname>                        Show features for device <ifname>', ...TAIL],
  clean: [' Clean up detached program links in XDP bpffs directory', '', 'Options:', '  [ifname]                        Clean up detached program links for [ifname] (default all interfaces)', ...TAIL],
};

/** The full `--help` text of a command. */
export function helpText(cmd: string): string[] {
  return ['', `Usage: xdpts ${USAGE[cmd] ?? cmd}`, '', ...(HELP[cmd] ?? []), ''];
}

interface OptDef {
  short?: string;
  long: string;
  arg: boolean;
}

interface RawParse {
  opts: Map<string, string[]>;
  positionals: string[];
}

/**
 * A parse failure: the message, a blank line and the short usage. xdp-loader 1.3.1 prints the
 * usage of `load` without the command word after an option error (observed), with it elsewhere.
 */
function fail<T>(cmd: string, lines: string[], usage = true): Parsed<T> {
  // The message goes to stderr, the blank line and the usage to stdout (observed).
  // xdpts exits 2 for bad usage (reference §8.2); xdp-loader exits 1.
  return { ok: false, exit: 1, stderr: lines, stdout: usage ? ['', ...shortUsage(cmd, cmd !== 'load')] : [], code: 2 };
}

/** getopt_long with GNU argument permutation; `--` ends the options. */
function getopt(cmd: string, argv: readonly string[], defs: readonly OptDef[]): RawParse | Parsed<never> {
  const opts = new Map<string, string[]>();
  const positionals: string[] = [];
  const add = (d: OptDef, v: string): void => {
    const l = opts.get(d.long) ?? [];
    l.push(v);
    opts.set(d.long, l);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const matches = defs.filter((d) => d.long.startsWith(name));
      const d = defs.find((x) => x.long === name) ?? (matches.length === 1 ? matches[0] : undefined);
      if (!d) return fail(cmd, [`${cmd}: unrecognized option '${a}'`]);
      if (d.arg) {
        const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) return fail(cmd, [`${cmd}: option '--${d.long}' requires an argument`]);
        add(d, v);
      } else add(d, '');
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const d = defs.find((x) => x.short === a[j]);
        if (!d) return fail(cmd, [`${cmd}: invalid option -- '${a[j]}'`]);
        if (d.arg) {
          const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (v === undefined) return fail(cmd, [`${cmd}: option requires an argument -- '${a[j]}'`]);
          add(d, v);
          break;
        }
        add(d, '');
      }
      continue;
    }
    positionals.push(a);
  }
  return { opts, positionals };
}

const COMMON: OptDef[] = [
  { short: 'v', long: 'verbose', arg: false },
  { short: 'h', long: 'help', arg: false },
  { long: 'json', arg: false },
];

function isFail(x: RawParse | Parsed<never>): x is Parsed<never> {
  return 'ok' in x;
}

function last(m: Map<string, string[]>, k: string): string | undefined {
  const l = m.get(k);
  return l ? l[l.length - 1] : undefined;
}

function helpOf<T>(cmd: string): Parsed<T> {
  // xdp-loader 1.3.1 prints the help on stdout and exits 1 (observed); xdpts exits 0 for help shown.
  return { ok: false, exit: 1, stderr: [], stdout: helpText(cmd), code: 0 };
}

/** C's `strtoul(s, NULL, 10)` as xdp-loader uses it: leading digits, else 0. */
function strtoul(s: string): number {
  const m = /^\s*\+?(\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

/** Parses `load` arguments. */
export function parseLoadArgs(argv: readonly string[]): Parsed<LoadArgs> {
  const r = getopt('load', argv, [
    ...COMMON,
    { short: 'm', long: 'mode', arg: true },
    { short: 'p', long: 'pin-path', arg: true },
    { short: 's', long: 'section', arg: true },
    { short: 'n', long: 'prog-name', arg: true },
    { short: 'P', long: 'prio', arg: true },
    { short: 'A', long: 'actions', arg: true },
    { long: 'set', arg: true },
  ]);
  if (isFail(r)) return r;
  if (r.opts.has('help')) return helpOf('load');
  const mode = last(r.opts, 'mode') ?? 'native';
  if (!['native', 'skb', 'hw', 'unspecified'].includes(mode)) return fail('load', ["Couldn't parse option mode: Invalid argument."]);
  let actions: number | undefined;
  const a = last(r.opts, 'actions');
  if (a !== undefined) {
    actions = parseActions(a);
    if (actions === undefined) return fail('load', ["Couldn't parse option actions: Invalid argument."]);
  }
  if (r.positionals.length < 1) return fail('load', ['Missing required parameter <ifname>']);
  if (r.positionals.length < 2) return fail('load', ['Missing required parameter <filenames>']);
  const section = last(r.opts, 'section');
  const progName = last(r.opts, 'prog-name');
  if (section !== undefined && progName !== undefined) return fail('load', ['Only one of --section or --prog-name can be set'], false);
  const pinPath = last(r.opts, 'pin-path');
  return {
    ok: true,
    value: {
      ifname: r.positionals[0]!,
      files: r.positionals.slice(1),
      mode: mode as LoadArgs['mode'],
      ...(pinPath !== undefined ? { pinPath } : {}),
      ...(section !== undefined ? { section } : {}),
      ...(progName !== undefined ? { progName } : {}),
      prio: strtoul(last(r.opts, 'prio') ?? '0'),
      ...(actions !== undefined ? { actions } : {}),
      ...(r.opts.has('set') ? { set: r.opts.get('set')! } : {}),
      verbose: r.opts.get('verbose')?.length ?? 0,
      json: r.opts.has('json'),
    },
  };
}

/** Parses `unload` arguments. */
export function parseUnloadArgs(argv: readonly string[]): Parsed<UnloadArgs> {
  const r = getopt('unload', argv, [...COMMON, { short: 'i', long: 'id', arg: true }, { short: 'a', long: 'all', arg: false }]);
  if (isFail(r)) return r;
  if (r.opts.has('help')) return helpOf('unload');
  // Observed order: the id/--all check first (never with the usage), then the positionals.
  const idText = last(r.opts, 'id');
  const id = idText === undefined ? 0 : strtoul(idText);
  const all = r.opts.has('all');
  if (id === 0 && !all) return fail('unload', ['Need prog ID or --all'], false);
  if (r.positionals.length < 1) return fail('unload', ['Missing required parameter <ifname>']);
  if (r.positionals.length > 1) return fail('unload', []);
  return {
    ok: true,
    value: {
      ifname: r.positionals[0]!,
      ...(id !== 0 ? { id } : {}),
      all,
      verbose: r.opts.get('verbose')?.length ?? 0,
      json: r.opts.has('json'),
    },
  };
}

/** Parses `status`, `clean` ([ifname]) and `features` (<ifname>) arguments. */
export function parseIfaceArgs(cmd: 'status' | 'clean' | 'features', argv: readonly string[]): Parsed<IfaceArgs> {
  const r = getopt(cmd, argv, COMMON);
  if (isFail(r)) return r;
  if (r.opts.has('help')) return helpOf(cmd);
  if (cmd === 'features' && r.positionals.length < 1) return fail(cmd, ['Missing required parameter <ifname>']);
  if (r.positionals.length > 1) return fail(cmd, []);
  return {
    ok: true,
    value: { ...(r.positionals[0] !== undefined ? { ifname: r.positionals[0] } : {}), verbose: r.opts.get('verbose')?.length ?? 0, json: r.opts.has('json') },
  };
}
