/** `xdpts unload DEV (-i ID | --all)`: xdp-loader's `unload` on the emulated kernel. */
import type { Command } from 'commander';
import { parseUnloadArgs, XdpLoader } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { emit, guarded, readFileOrUndefined } from './tool-output';
import { withSystem } from './net-wiring';

/** Registers `xdpts unload`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('unload')
    .description('unload XDP programs from an interface (xdp-loader unload)')
    .argument('[args...]', '(-i ID | -a) [-v] DEV')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const p = parseUnloadArgs(args);
      await runCommand(args.includes('--json'), setExit, () => {
        if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr }, false);
        const a = p.value;
        return guarded(() =>
          withSystem((s) => emit(new XdpLoader(s.sys.xdp, { ns: ROOT_NS, readFile: readFileOrUndefined }).unload(a), a.json)),
        );
      });
    });
}
