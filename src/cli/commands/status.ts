/** `xdpts status [DEV]`: xdp-loader's status table (and `--json`) of the current namespace. */
import type { Command } from 'commander';
import { parseIfaceArgs, shortUsage, statusJson, statusText } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { registerExecTarget } from './ip';
import { emit, guarded } from './tool-output';
import { withSystem } from './net-wiring';

/** Runs `xdp-loader status ARGS` in namespace `ns` (its interfaces only) and returns xdpts's exit code. */
export async function statusMain(args: string[], ns: string): Promise<number> {
  const p = parseIfaceArgs('status', args);
  if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr, code: p.code }, false);
  const a = p.value;
  return guarded(() =>
    withSystem(
      (s) => {
        const topo = s.sys.xdp.topology;
        let devs = topo.list(ns);
        if (a.ifname !== undefined) {
          const d = topo.byName(ns, a.ifname);
          if (!d) return emit({ exit: 1, code: 2, stdout: ['', ...shortUsage('status')], stderr: [`Couldn't find network interface '${a.ifname}'.`] }, a.json);
          devs = [d];
        }
        return emit({ exit: 0, stdout: statusText(s.sys.xdp, devs), stderr: [], json: statusJson(s.sys.xdp, devs) }, a.json);
      },
      { readonly: true },
    ),
  );
}

/** Registers `xdpts status`. */
export function register(program: Command, setExit: (code: number) => void): void {
  registerExecTarget('status', statusMain);
  program
    .command('status')
    .description('show the XDP programs of every interface (xdp-loader status)')
    .argument('[args...]', '[-v] [DEV]')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      await runCommand(args.includes('--json'), setExit, () => statusMain(args, ROOT_NS));
    });
}
