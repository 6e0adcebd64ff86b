/**
 * `xdpts reset`: forgets the whole emulated state (kernel and network) — the way out of a
 * corrupt or newer-version state file. It never reads the old state, so it always works.
 */
import type { Command } from 'commander';
import { StateStore } from '../../state/index';
import { out, outJson, runCommand } from '../output';

/** Registers `xdpts reset`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('reset')
    .description('forget the emulated kernel and network (a fresh state: lo, eth0, no programs)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await runCommand(opts.json, setExit, () => {
        const store = new StateStore();
        store.reset();
        if (opts.json) outJson({ reset: true, stateDir: store.dir });
        else out(`state reset: ${store.dir}`);
        return 0;
      });
    });
}
