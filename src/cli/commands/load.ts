/**
 * `xdpts load [-m native|skb|hw|unspecified] [-s SEC | -n PROG] [-P PRIO] [-A ACTIONS] [-p PIN]
 * [-v] DEV OBJ...`: xdp-loader's `load` on the emulated kernel — through libxdp's dispatcher
 * (LIBXDP_SKIP_DISPATCHER=1 attaches a single program directly, as libxdp does), with its
 * messages and exit statuses (256 - errno).
 */
import type { Command } from 'commander';
import { parseLoadArgs, XdpLoader } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { emit, guarded, readFileOrUndefined } from './tool-output';
import { withSystem } from './net-wiring';

/** Registers `xdpts load`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('load')
    .description('load XDP programs on an interface (xdp-loader load, with libxdp\'s dispatcher)')
    .argument('[args...]', '[-m MODE] [-s SEC | -n PROG] [-P PRIO] [-A ACTIONS] [-p PIN] [-v] DEV OBJ...')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const p = parseLoadArgs(args);
      await runCommand(args.includes('--json'), setExit, () => {
        if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr }, false);
        const a = p.value;
        return guarded(() =>
          withSystem((s) => {
            const loader = new XdpLoader(s.sys.xdp, { ns: ROOT_NS, readFile: readFileOrUndefined, dispatcher: process.env['LIBXDP_SKIP_DISPATCHER'] !== '1' });
            return emit(loader.load(a), a.json);
          }),
        );
      });
    });
}
