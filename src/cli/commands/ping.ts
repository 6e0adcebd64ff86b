/**
 * `xdpts ping [-c N] [-i S] [-W S] [-w S] [-I DEV] [-s SIZE] [-q] [-4|-6] ADDR`: iputils ping on the
 * emulated network, with its output and exit statuses (0 replies, 1 none, 2 errors).
 * It paces like iputils (reference §8.4): probes one interval apart in wall time, replies printed
 * as they come, the -W linger after the last probe, Ctrl-C prints the statistics. The state lock
 * is let go while it waits (state saved, then re-read), so other commands and the library API
 * do not wait seconds for it. `XDPTS_REALTIME=0` (scripts, tests) runs in emulated time only:
 * the same lines at once, and then -c or -w is required.
 */
import { PING_USAGE } from './tool-help';
import type { Command } from 'commander';
import { NetError, runPing, ROOT_NS, type Network, type PingOptions } from '../../net/index';
import { err, errorJson, out, outJson, runCommand } from '../output';
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
    if (a === '-4' || a === '-6') {
      o.family = a === '-4' ? 4 : 6;
      continue;
    }
    if (a === '-h') throw new NetError(PING_USAGE.replace(/\n$/, ''), 2, 'EINVAL');
    if (a.startsWith('-') && a.length > 1) throw new NetError(`ping: invalid option -- '${a.slice(1, 2)}'`, 2, 'EINVAL');
    rest.push(a);
  }
  if (rest.length === 0) throw new NetError('ping: usage error: Destination address required', 1, 'EINVAL');
  o.target = rest[rest.length - 1]!;
  if (o.count === undefined && o.deadline === undefined) {
    // Real ping runs until interrupted; emulated time needs an end.
    if (!realtime()) throw new NetError('ping: with XDPTS_REALTIME=0 xdpts needs -c COUNT or -w DEADLINE (emulated time cannot wait for Ctrl-C)', 2, 'EINVAL');
  }
  return o;
}

/** True unless `XDPTS_REALTIME=0`: ping waits in wall time as iputils does. */
export function realtime(): boolean {
  return process.env['XDPTS_REALTIME'] !== '0';
}

/** Waits shorter than this keep the state lock (re-reading the state costs more than they last). */
const UNLOCK_MIN_MS = 50;

/** One network session that can end early (its state saved, the lock let go). */
interface Segment {
  net: Network;
  end: (error?: unknown) => void;
  done: Promise<void>;
}

async function openSegment(): Promise<Segment> {
  let end!: (error?: unknown) => void;
  const hold = new Promise<unknown>((r) => (end = r));
  let entered!: (net: Network) => void;
  const inside = new Promise<Network>((r) => (entered = r));
  const done = withNet(async (s) => {
    entered(s.net);
    const e = await hold;
    // A failure leaves the state unwritten, as a failed command does.
    if (e !== undefined) throw e;
  });
  const net = await Promise.race([inside, done.then(() => Promise.reject(new Error('ping: the state session ended early')))]);
  return { net, end, done };
}

/** Runs ping in wall time, letting go of the state lock while it waits between events. */
async function pacedPing(o: PingOptions, onLine: (l: string) => void): Promise<ReturnType<typeof runPing>> {
  let stopped = false;
  let wake: (() => void) | undefined;
  const onSigint = (): void => {
    stopped = true;
    wake?.();
  };
  const wait = (ms: number): Promise<void> =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });
  process.on('SIGINT', onSigint);
  let seg = await openSegment();
  try {
    const result = await runPing(seg.net, o, onLine, {
      pid: process.pid,
      stopped: () => stopped,
      sleep: async (ms) => {
        if (ms < UNLOCK_MIN_MS) return wait(ms);
        seg.end();
        await seg.done;
        await wait(ms);
        seg = await openSegment();
        return seg.net;
      },
    });
    seg.end();
    await seg.done;
    return result;
  } catch (e) {
    seg.end(e);
    await seg.done.catch(() => {});
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Runs `ping ARGS` in namespace `ns` and prints as iputils does; returns the exit status. */
export async function pingMain(argv: string[], ns: string, jsonFlag: boolean): Promise<number> {
  try {
    const o = parsePingArgs(argv, ns);
    const json = jsonFlag || o.json;
    const onLine = json ? () => {} : (l: string) => out(`${l}\n`);
    const result = realtime() ? await pacedPing(o, onLine) : await withNet((s) => runPing(s.net, o, onLine));
    if (json) {
      const { lines, ...summary } = result;
      outJson({ ...summary, output: lines });
    }
    return result.exitCode;
  } catch (e) {
    if (e instanceof NetError) {
      if (jsonFlag) {
        outJson(errorJson(e.message, e.code));
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
    .description('iputils ping on the emulated network, paced in wall time like iputils (XDPTS_REALTIME=0: emulated time, output at once)')
    .argument('[args...]', '[-c N] [-i S] [-W S] [-w S] [-I DEV|ADDR] [-s SIZE] [-q] [-D] [-4|-6] ADDR')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const json = args.includes('--json');
      await runCommand(json, setExit, () => pingMain(args, ROOT_NS, json));
    });
  void err;
}
