/**
 * `xdpts capture DEV -w FILE [-c N] [-n NS] [--detach | --stop]`: records the frames crossing an
 * interface into a classic pcap file (tcpdump -r reads it). Like `tcpdump -w`, it waits until N
 * frames were captured (or it is interrupted) while other xdpts commands make traffic — run it in
 * the background (`&`). `--detach` registers the capture and returns at once; `--stop` ends it.
 * Frames are recorded as AF_PACKET sees them: everything DEV transmits, and what it receives
 * once its XDP program has passed it.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../../util/index';
import { getNetns, NetError, requireIface, ROOT_NS, type NetState } from '../../net/index';
import { pcapHeader } from '../../pcap/index';
import { StateStore } from '../../state/index';
import { err, out, outJson, runCommand } from '../output';
import { reportNetError, withNet } from './ip';

interface CaptureOptions {
  write?: string;
  count?: string;
  netns?: string;
  detach?: boolean;
  stop?: boolean;
  json?: boolean;
}

function report(count: number, json: boolean | undefined, file?: string): void {
  if (json) outJson({ captured: count, ...(file ? { file } : {}) });
  else err(`${count} packet${count === 1 ? '' : 's'} captured`);
}

/** Registers `xdpts capture`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('capture')
    .description('record the frames crossing an interface into a pcap file (like tcpdump -w)')
    .argument('<dev>', 'the interface')
    .option('-w, --write <file>', 'the pcap file to write')
    .option('-c, --count <n>', 'stop after N frames')
    .option('-n, --netns <name>', 'the namespace of DEV')
    .option('--detach', 'register the capture and return at once (stop it with --stop)')
    .option('--stop', 'end the captures on DEV')
    .option('--json', 'print JSON')
    .action(async (dev: string, opts: CaptureOptions) => {
      await runCommand(opts.json, setExit, async () => {
        const ns = opts.netns ?? ROOT_NS;
        try {
          if (opts.stop) {
            const n = await withNet((s) => {
              const iface = requireIface(getNetns(s.state, ns), dev);
              const mine = s.state.captures.filter((c) => c.ns === ns && c.ifindex === iface.ifindex);
              s.state.captures = s.state.captures.filter((c) => !mine.includes(c));
              return mine.reduce((a, c) => a + c.count, 0);
            });
            report(n, opts.json);
            return 0;
          }
          if (opts.write === undefined) throw new UsageError('capture needs -w FILE');
          const limit = opts.count === undefined ? 0 : Number(opts.count);
          if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`invalid -c '${opts.count}': a positive integer is expected`);
          const file = resolve(opts.write);
          const id = await withNet((s) => {
            const iface = requireIface(getNetns(s.state, ns), dev);
            try {
              writeFileSync(file, pcapHeader());
            } catch (e) {
              throw new UsageError(`cannot write ${file}: ${(e as Error).message}`);
            }
            const capId = s.state.nextCaptureId++;
            s.state.captures.push({ id: capId, ns, ifindex: iface.ifindex, file, limit, count: 0, ...(opts.detach ? {} : { pid: process.pid }) });
            return capId;
          });
          if (opts.detach) {
            if (opts.json) outJson({ capture: id, dev, file });
            else err(`capturing on ${dev} into ${file} (stop with: xdpts capture ${dev} --stop)`);
            return 0;
          }
          if (!opts.json) err(`listening on ${dev}, link-type EN10MB (Ethernet), snapshot length 262144 bytes`);
          const store = new StateStore();
          const countNow = (): { count: number; gone: boolean } => {
            const net = store.read().net as NetState | null;
            const c = net?.captures.find((x) => x.id === id);
            return c ? { count: c.count, gone: false } : { count: 0, gone: true };
          };
          let interrupted = false;
          const stop = (): void => {
            interrupted = true;
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
          let last = 0;
          for (;;) {
            const st = countNow();
            if (st.gone) break;
            last = st.count;
            if ((limit > 0 && st.count >= limit) || interrupted) break;
            await new Promise((r) => setTimeout(r, 50));
          }
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await withNet((s) => {
            const c = s.state.captures.find((x) => x.id === id);
            if (c) last = c.count;
            s.state.captures = s.state.captures.filter((x) => x.id !== id);
          });
          report(last, opts.json, file);
          return 0;
        } catch (e) {
          if (e instanceof NetError) return reportNetError(e);
          throw e;
        }
      });
    });
  void out;
}
