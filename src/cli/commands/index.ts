/** The registry of CLI commands, in the order `xdpts --help` lists them. */
import type { Command } from 'commander';
import { register as build } from './build';
import { register as disasm } from './disasm';

/** A command module registers itself on the program; `setExit` records the exit code. */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

export const commands: RegisterCommand[] = [build, disasm];
