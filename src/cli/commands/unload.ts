/** `xdpts unload DEV (-i ID | --all)`: xdp-loader's `unload` on the emulated kernel. */
import type { Command } from 'commander';
import { parseUnloadArgs, XdpLoader } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { registerExecTarget } from './ip';
import { emit, guarded, readFileOrUndefined } from './tool-output';
import { withSystem } from './net-wiring';

/** Runs `xdp-loader unload ARGS` in namespace `ns` and returns xdpts's exit code. */
export async function unloadMain(args: string[], ns: string): Promise<number> {
  const p = parseUnloadArgs(args);
  if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr, code: p.code }, false);
  const a = p.value;
  return guarded(() =>
    withSystem((s) => emit(new XdpLoader(s.sys.xdp, { ns, readFile: readFileOrUndefined, bpffs: ns === ROOT_NS }).unload(a), a.json)),
  );
}

/** Registers `xdpts unload`. */
export function register(program: Command, setExit: (code: number) => void): void {
  registerExecTarget('unload', unloadMain);
  program
    .command('unload')
    .description('unload XDP programs from an interface (xdp-loader unload)')
    .argument('[args...]', '(-i ID | -a) [-v] DEV')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      await runCommand(args.includes('--json'), setExit, () => unloadMain(args, ROOT_NS));
    });
}
