/**
 * `xdpts net show|list [dev NAME]`: bpftool's `net` object — the XDP programs attached in the
 * emulated root namespace, as bpftool 7.1.0 prints them (text, `-j`, or `-p`).
 */
import type { Command } from 'commander';
import { jsonwPretty, netShow } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { out } from '../output';
import { registerBpftoolObject } from './bpftool-object';
import { emit } from './tool-output';
import { BPFTOOL_NET_USAGE } from './tool-help';

/** Registers `xdpts net`. */
export function register(program: Command, setExit: (code: number) => void): void {
  registerBpftoolObject(program, setExit, {
    name: 'net',
    description: 'XDP programs attached to the network devices (bpftool net show|list [dev NAME])',
    args: '{show|list} [dev NAME]',
    usage: BPFTOOL_NET_USAGE,
    readonly: ['show', 'list'],
    run: (s, cmd, rest, { json, pretty }) => {
      if (cmd !== 'show' && cmd !== 'list') return emit({ exit: 255, stdout: [], stderr: [`Error: unknown command '${cmd}' (net show|list)`], code: 2 }, json);
      const o = netShow(s.sys.xdp, ROOT_NS, rest, json);
      if (pretty && o.exit === 0 && o.json !== undefined) {
        out(`${jsonwPretty(o.json).join('\n')}\n`);
        return 0;
      }
      return emit(o, json);
    },
  });
}
