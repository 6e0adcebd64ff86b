/**
 * `xdpts load [-m native|skb|hw|unspecified] [-s SEC | -n PROG] [-P PRIO] [-A ACTIONS] [-p PIN]
 * [-v] DEV OBJ...`: xdp-loader's `load` on the emulated kernel — through libxdp's dispatcher
 * (LIBXDP_SKIP_DISPATCHER=1 attaches a single program directly, as libxdp does), with its
 * messages and xdpts's exit codes (0 loaded, 1 refused, 2 bad usage or input; reference §8.2).
 * Under `xdpts ip netns exec NS` there is no bpffs, so libxdp's single-program fallback applies.
 */
import type { Command } from 'commander';
import { parseLoadArgs, XdpLoader } from '../../kernel/index';
import { ROOT_NS } from '../../net/index';
import { runCommand } from '../output';
import { registerExecTarget } from './ip';
import { emit, guarded, readFileOrUndefined } from './tool-output';
import { withSystem } from './net-wiring';

/** Runs `xdp-loader load ARGS` in namespace `ns` and returns xdpts's exit code. */
export async function loadMain(args: string[], ns: string): Promise<number> {
  const p = parseLoadArgs(args);
  if (!p.ok) return emit({ exit: p.exit, stdout: p.stdout ?? [], stderr: p.stderr, code: p.code }, false);
  const a = p.value;
  return guarded(() =>
    withSystem((s) => {
      const loader = new XdpLoader(s.sys.xdp, {
        ns,
        readFile: readFileOrUndefined,
        dispatcher: process.env['LIBXDP_SKIP_DISPATCHER'] !== '1',
        // `ip netns exec` remounts /sys: no bpffs there (reference §0).
        bpffs: ns === ROOT_NS,
      });
      return emit(loader.load(a), a.json);
    }),
  );
}

/** Registers `xdpts load`. */
export function register(program: Command, setExit: (code: number) => void): void {
  registerExecTarget('load', loadMain);
  program
    .command('load')
    .description('load XDP programs on an interface (xdp-loader load, with libxdp\'s dispatcher)')
    .argument('[args...]', '[-m MODE] [-s SEC | -n PROG] [-P PRIO] [-A ACTIONS] [-p PIN] [-v] DEV OBJ...')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      await runCommand(args.includes('--json'), setExit, () => loadMain(args, ROOT_NS));
    });
}
