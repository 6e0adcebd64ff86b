/** `xdpts status [DEV]`: xdp-loader's status table (and `--json`) of the current namespace. */
import type { Command } from 'commander';
import { parseIfaceArgs, shortUsage, statusJson, statusText } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { emit, guarded } from './tool-output';
import { withSystem } from './net-wiring';

/** Registers `xdpts status`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('status')
    .description('show the XDP programs of every interface (xdp-loader status)')
    .argument('[args...]', '[-v] [DEV]')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const p = parseIfaceArgs('status', args);
      await runCommand(args.includes('--json'), setExit, () => {
        if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr }, false);
        const a = p.value;
        return guarded(() =>
          withSystem(
            (s) => {
              const topo = s.sys.xdp.topology;
              let devs = topo.list(ROOT_NS);
              if (a.ifname !== undefined) {
                const d = topo.byName(ROOT_NS, a.ifname);
                if (!d) return emit({ exit: 1, stdout: ['', ...shortUsage('status')], stderr: [`Couldn't find network interface '${a.ifname}'.`] }, a.json);
                devs = [d];
              }
              return emit({ exit: 0, stdout: statusText(s.sys.xdp, devs), stderr: [], json: statusJson(s.sys.xdp, devs) }, a.json);
            },
            { readonly: true },
          ),
        );
      });
    });
}
