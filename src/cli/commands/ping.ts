/**
 * `xdpts ping [-c N] [-i S] [-W S] [-w S] [-I DEV] [-s SIZE] [-q] ADDR`: iputils ping on the
 * emulated network, with its output and exit statuses (0 replies, 1 none, 2 errors).
 * Time is emulated: the command returns at once and the printed times are what Linux would
 * show. Set `XDPTS_REALTIME=1` to pace it in wall time like the real tool (1 probe per second).
 */
import type { Command } from 'commander';
import { NetError, runPing, ROOT_NS, type PingOptions } from '../../net/index';
import { err, out, outJson, runCommand } from '../output';
import { reportNetError, withNet } from './ip';

function num(flag: string, v: string | undefined, integer: boolean): number {
  const n = v === undefined ? NaN : Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0) {
    throw new NetError(`ping: invalid argument: '${v ?? ''}'`, 2, 'EINVAL');
  }
  void flag;
  return n;
}

/** Parses iputils-style arguments (`-c3` and `-c 3` both work). */
export function parsePingArgs(argv: string[], ns: string): PingOptions & { json: boolean } {
  const o: PingOptions & { json: boolean } = { ns, target: '', json: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      o.json = true;
      continue;
    }
    const m = /^-([ciWwIs])(.*)$/.exec(a);
    if (m) {
      const val = m[2] !== '' ? m[2] : argv[++i];
      switch (m[1]) {
        case 'c':
          o.count = num('c', val, true);
          if (o.count === 0) throw new NetError(`ping: invalid argument: '${val}': out of range: 1 <= value <= 9223372036854775807`, 2, 'EINVAL');
          break;
        case 'i':
          o.interval = num('i', val, false);
          break;
        case 'W':
          o.wait = num('W', val, false);
          break;
        case 'w':
          o.deadline = num('w', val, false);
          break;
        case 'I':
          if (val === undefined) throw new NetError('ping: option requires an argument -- \'I\'', 2, 'EINVAL');
          o.iface = val;
          break;
        case 's':
          o.size = num('s', val, true);
          break;
      }
      continue;
    }
    if (a === '-q') {
      o.quiet = true;
      continue;
    }
    if (a === '-D') {
      o.timestamps = true;
      continue;
    }
    if (a === '-4') continue;
    if (a.startsWith('-') && a.length > 1) throw new NetError(`ping: invalid option -- '${a.slice(1, 2)}'`, 2, 'EINVAL');
    rest.push(a);
  }
  if (rest.length === 0) throw new NetError('ping: usage error: Destination address required', 1, 'EINVAL');
  o.target = rest[rest.length - 1]!;
  if (o.count === undefined && o.deadline === undefined) {
    // Real ping runs until interrupted; emulated time needs an end.
    if (process.env['XDPTS_REALTIME'] !== '1') throw new NetError('ping: xdpts needs -c COUNT or -w DEADLINE (emulated time cannot wait for Ctrl-C)', 2, 'EINVAL');
  }
  return o;
}

/** Runs `ping ARGS` in namespace `ns` and prints as iputils does; returns the exit status. */
export async function pingMain(argv: string[], ns: string, jsonFlag: boolean): Promise<number> {
  try {
    const o = parsePingArgs(argv, ns);
    const json = jsonFlag || o.json;
    const realtime = process.env['XDPTS_REALTIME'] === '1';
    const sleep = realtime ? (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) : undefined;
    const result = await withNet((s) => runPing(s.net, o, json ? () => {} : (l) => out(`${l}\n`), sleep));
    if (json) {
      const { lines, ...summary } = result;
      outJson({ ...summary, output: lines });
    }
    return result.exitCode;
  } catch (e) {
    if (e instanceof NetError) {
      if (jsonFlag) {
        outJson({ error: e.message, code: e.code });
        return e.exitStatus;
      }
      return reportNetError(e);
    }
    throw e;
  }
}

/** Registers `xdpts ping`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('ping')
    .description('iputils ping on the emulated network (emulated time; XDPTS_REALTIME=1 paces in wall time)')
    .argument('[args...]', '[-c N] [-i S] [-W S] [-w S] [-I DEV|ADDR] [-s SIZE] [-q] [-D] ADDR')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const json = args.includes('--json');
      await runCommand(json, setExit, () => pingMain(args, ROOT_NS, json));
    });
  void err;
}
