/** `xdpts features DEV`: the NETDEV_XDP_ACT_* flags a device advertises (xdp-loader features). */
import type { Command } from 'commander';
import { deviceFeatures, featuresText, parseIfaceArgs, shortUsage } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { emit, guarded } from './tool-output';
import { withSystem } from './net-wiring';

/** Registers `xdpts features`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('features')
    .description('show the XDP features of an interface (xdp-loader features)')
    .argument('[args...]', '[-v] DEV')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const p = parseIfaceArgs('features', args);
      await runCommand(args.includes('--json'), setExit, () => {
        if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr }, false);
        const a = p.value;
        return guarded(() =>
          withSystem(
            (s) => {
              const d = s.sys.xdp.topology.byName(ROOT_NS, a.ifname!);
              if (!d) return emit({ exit: 1, stdout: ['', ...shortUsage('features')], stderr: [`Couldn't find network interface '${a.ifname}'.`] }, a.json);
              const f = deviceFeatures(s.sys.xdp, d);
              return emit({ exit: 0, stdout: featuresText(f), stderr: [], json: f }, a.json);
            },
            { readonly: true },
          ),
        );
      });
    });
}
