/**
 * The front end every bpftool object (`prog`, `map`, `net`) shares: bpftool's global flags,
 * `OBJECT help` (also -h, --help: the usage on stderr, status 0), `show` as the default command,
 * and the run of one command on the emulated system, read-only where the command only reads.
 */
import type { Command } from 'commander';
import { err, runCommand } from '../output';
import { guarded } from './tool-output';
import { withSystem, type SystemSession } from './net-wiring';

/** Splits bpftool's global flags (-j/--json, -p/--pretty: JSON in its pretty writer) from the words. */
export function bpftoolArgs(args: readonly string[]): { words: string[]; json: boolean; pretty: boolean } {
  const words: string[] = [];
  let json = false;
  let pretty = false;
  for (const a of args) {
    if (a === '-j' || a === '--json') json = true;
    else if (a === '-p' || a === '--pretty') json = pretty = true;
    else words.push(a);
  }
  return { words, json, pretty };
}

/** One bpftool object as the shared front end runs it. */
export interface BpftoolObject {
  readonly name: string;
  readonly description: string;
  /** The argument summary commander shows. */
  readonly args: string;
  /** bpftool's usage text for `OBJECT help`. */
  readonly usage: string;
  /** The commands that only read the state. */
  readonly readonly: readonly string[];
  /** Runs `cmd` with its words on the system; the exit status. */
  readonly run: (s: SystemSession, cmd: string, rest: string[], flags: { readonly json: boolean; readonly pretty: boolean }) => number | Promise<number>;
}

/** Registers `xdpts OBJECT` for one bpftool object. */
export function registerBpftoolObject(program: Command, setExit: (code: number) => void, o: BpftoolObject): void {
  program
    .command(o.name)
    .description(o.description)
    .argument('[args...]', o.args)
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[]) => {
      const { words, json, pretty } = bpftoolArgs(args);
      await runCommand(json, setExit, () =>
        guarded(() => {
          const [cmd = 'show', ...rest] = words;
          if (cmd === 'help' || cmd === '-h' || cmd === '--help') {
            err(o.usage);
            return Promise.resolve(0);
          }
          return withSystem((s) => o.run(s, cmd, rest, { json, pretty }), { readonly: o.readonly.includes(cmd) });
        }),
      );
    });
}
