/**
 * `xdpts inject DEV (--packet HEX | --pcap FILE) [--count N] [-n NS]`: a traffic generator. The
 * frames are put on the wire into DEV's receive path — DEV's XDP hook sees them exactly as frames
 * its peer transmitted, then the stack answers (ARP, ICMP echo, port unreachable) as usual.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { fromHex, UsageError } from '../../util/index';
import { findIface, getNetns, NetError, ROOT_NS, type VerdictEvent } from '../../net/index';
import { readPcap } from '../../pcap/index';
import { out, outJson, runCommand } from '../output';
import { reportNetError, withNet } from './ip';

const ACTION_NAMES: Record<VerdictEvent['action'], string> = {
  aborted: 'XDP_ABORTED',
  drop: 'XDP_DROP',
  pass: 'XDP_PASS',
  tx: 'XDP_TX',
  redirect: 'XDP_REDIRECT',
};

interface InjectOptions {
  packet?: string;
  pcap?: string;
  count?: string;
  netns?: string;
  json?: boolean;
}

/** Registers `xdpts inject`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('inject')
    .description("put frames on the wire into DEV's receive path (through its XDP hook)")
    .argument('<dev>', 'the interface that receives the frames')
    .option('--packet <hex>', 'one Ethernet frame in hex (spaces and colons allowed)')
    .option('--pcap <file>', 'the frames of a pcap file, in order')
    .option('--count <n>', 'inject the frame(s) N times', '1')
    .option('-n, --netns <name>', 'the namespace of DEV')
    .option('--json', 'print JSON')
    .action(async (dev: string, opts: InjectOptions) => {
      await runCommand(opts.json, setExit, async () => {
        if ((opts.packet === undefined) === (opts.pcap === undefined)) throw new UsageError('inject needs exactly one of --packet HEX or --pcap FILE');
        const count = Number(opts.count ?? '1');
        if (!Number.isInteger(count) || count < 1) throw new UsageError(`invalid --count '${opts.count}': a positive integer is expected`);
        let frames: Uint8Array[];
        if (opts.packet !== undefined) frames = [fromHex(opts.packet, 'packet')];
        else {
          let bytes: Uint8Array;
          try {
            bytes = readFileSync(opts.pcap!);
          } catch (e) {
            throw new UsageError(`cannot read ${opts.pcap}: ${(e as Error).message}`);
          }
          const f = readPcap(bytes);
          if (f.linktype !== 1) throw new UsageError(`${opts.pcap}: link type ${f.linktype} is not Ethernet (1)`);
          frames = f.records.map((r) => r.data);
        }
        if (frames.some((f) => f.length < 14)) throw new UsageError('a frame shorter than an Ethernet header (14 bytes) cannot be injected');
        const ns = opts.netns ?? ROOT_NS;
        const verdicts: Record<string, number> = {};
        let target = -1;
        try {
          await withNet(
            (s) => {
              const netns = getNetns(s.state, ns);
              const iface = findIface(netns, dev);
              if (!iface) throw new NetError(`Cannot find device "${dev}"`, 1, 'ENODEV');
              if (!iface.up) throw new NetError(`xdpts: inject: ${dev} is down (a down device receives nothing)`, 1, 'ENETDOWN');
              target = iface.ifindex;
              for (let k = 0; k < count; k++) {
                for (const f of frames) {
                  s.net.inject(ns, dev, f);
                  s.net.advance(10);
                }
              }
              // Let the immediate consequences (replies, ARP) happen; timers stay pending in the state.
              s.net.advance(1000);
            },
            {
              extra: {
                onVerdict: (v) => {
                  if (v.ns === ns && v.ifindex === target) verdicts[ACTION_NAMES[v.action]] = (verdicts[ACTION_NAMES[v.action]] ?? 0) + 1;
                },
              },
            },
          );
        } catch (e) {
          return reportNetError(e);
        }
        const total = frames.length * count;
        if (opts.json) outJson({ dev, injected: total, verdicts });
        else {
          out(`injected ${total} frame${total === 1 ? '' : 's'} into ${dev}`);
          const parts = Object.entries(verdicts).map(([k, v]) => `${k} ${v}`);
          if (parts.length) out(`received on ${dev}: ${parts.join(', ')}`);
        }
        return 0;
      });
    });
}
