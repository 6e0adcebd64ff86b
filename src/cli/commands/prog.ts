/**
 * `xdpts prog show [id N | name X | tag T | pinned P]`, `prog pin PROG FILE`, `prog tracelog`:
 * bpftool's `prog` object on the emulated kernel, plain text or `-j`/`--json`.
 */
import type { Command } from 'commander';
import { bpftoolError, progPin, progShow, progTracelog } from '../../kernel/index';
import { runCommand } from '../output';
import { emit, guarded } from './tool-output';
import { withSystem } from './net-wiring';

/** Splits bpftool's global flags (-j/--json, -p/--pretty) from the words. */
export function bpftoolArgs(args: readonly string[]): { words: string[]; json: boolean } {
  const words: string[] = [];
  let json = false;
  for (const a of args) {
    if (a === '-j' || a === '--json' || a === '-p' || a === '--pretty') json = true;
    else words.push(a);
  }
  return { words, json };
}

/** Registers `xdpts prog`. */
export function register(program: Command, setExit: (code: number) => void): void {
  program
    .command('prog')
    .description('inspect loaded programs (bpftool prog show|pin|tracelog)')
    .argument('[args...]', '{show|list} [PROG] | pin PROG FILE | tracelog   (PROG: id N | name X | tag T | pinned P)')
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const { words, json } = bpftoolArgs(args);
      await runCommand(json, setExit, () =>
        guarded(() => {
          const [cmd = 'show', ...rest] = words;
          const readonly = cmd === 'show' || cmd === 'list';
          return withSystem(
            (s) => {
              const x = s.sys.xdp;
              if (cmd === 'show' || cmd === 'list') return emit(progShow(x, rest, json), false);
              if (cmd === 'pin') return emit(progPin(x, rest, json), false);
              if (cmd === 'tracelog') return emit(progTracelog(x, json), false);
              return emit(bpftoolError(`unknown command '${cmd}' (prog show|list|pin|tracelog)`, json), false);
            },
            { readonly },
          );
        }),
      );
    });
}
