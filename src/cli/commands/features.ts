/** `xdpts features DEV`: the NETDEV_XDP_ACT_* flags a device advertises (xdp-loader features). */
import type { Command } from 'commander';
import { deviceFeatures, featuresText, parseIfaceArgs, shortUsage } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { registerExecTarget } from './ip';
import { emit, guarded } from './tool-output';
import { withSystem } from './net-wiring';

/** Runs `xdp-loader features ARGS` in namespace `ns` and returns xdpts's exit code. */
export async function featuresMain(args: string[], ns: string): Promise<number> {
  const p = parseIfaceArgs('features', args);
  if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr, code: p.code }, false);
  const a = p.value;
  return guarded(() =>
    withSystem(
      (s) => {
        const d = s.sys.xdp.topology.byName(ns, a.ifname!);
        if (!d) return emit({ exit: 1, code: 2, stdout: ['', ...shortUsage('features')], stderr: [`Couldn't find network interface '${a.ifname}'.`] }, a.json);
        const f = deviceFeatures(s.sys.xdp, d);
        return emit({ exit: 0, stdout: featuresText(f), stderr: [], json: f }, a.json);
      },
      { readonly: true },
    ),
  );
}

/** Registers `xdpts features`. */
export function register(program: Command, setExit: (code: number) => void): void {
  registerExecTarget('features', featuresMain);
  program
    .command('features')
    .description('show the XDP features of an interface (xdp-loader features)')
    .argument('[args...]', '[-v] DEV')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      await runCommand(args.includes('--json'), setExit, () => featuresMain(args, ROOT_NS));
    });
}
