/** The registry of CLI commands, in the order `xdpts --help` lists them. */
import type { Command } from 'commander';
import { register as build } from './build';
import { register as disasm } from './disasm';
import { register as ip } from './ip';
import { register as ping } from './ping';
import { register as inject } from './inject';
import { register as capture } from './capture';
import { register as reset } from './reset';
import { register as gen } from './gen';
import { register as verify } from './verify';
import { register as explain } from './explain';
import { register as run } from './run';
import { register as netWiring } from './net-wiring';
import { register as load } from './load';
import { register as unload } from './unload';
import { register as status } from './status';
import { register as features } from './features';
import { register as prog } from './prog';
import { register as bpftoolNet } from './bpftool-net';
import { register as map } from './map';
import { register as packetCmd } from './packet';
import { register as test } from './test';
import { register as playground } from './playground';

/** A command module registers itself on the program; `setExit` records the exit code. */
export type RegisterCommand = (program: Command, setExit: (code: number) => void) => void;

export const commands: RegisterCommand[] = [build, disasm, ip, ping, inject, capture, reset, gen, verify, explain, run, netWiring, load, unload, status, features, prog, bpftoolNet, map, packetCmd, test, playground];
