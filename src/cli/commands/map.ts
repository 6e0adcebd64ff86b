/**
 * `xdpts map show|dump|lookup|update|delete|pin|event_pipe (id N | name X | pinned P) [key ...] [value ...]`:
 * bpftool's `map` object on the emulated kernel, plain text or `-j`/`--json`.
 */
import type { Command } from 'commander';
import { BPFTOOL_MAP_USAGE } from './tool-help';
import { bpftoolError, mapDelete, mapDump, mapEventPipe, mapLookup, mapPin, mapShow, mapUpdate } from '../../kernel/index';
import { registerBpftoolObject } from './bpftool-object';
import { emit } from './tool-output';

/** Registers `xdpts map`. */
export function register(program: Command, setExit: (code: number) => void): void {
  registerBpftoolObject(program, setExit, {
    name: 'map',
    description: 'inspect and change maps (bpftool map show|dump|lookup|update|delete|pin|event_pipe)',
    args: '{show|list} [MAP] | dump MAP | lookup MAP key B.. | update MAP key B.. value B.. [any|exist|noexist] | delete MAP key B.. | pin MAP FILE | event_pipe MAP [cpu N index M]',
    usage: BPFTOOL_MAP_USAGE,
    readonly: ['show', 'list', 'dump', 'lookup'],
    run: (s, cmd, rest, { json }) => {
      const x = s.sys.xdp;
      switch (cmd) {
        case 'show':
        case 'list':
          return emit(mapShow(x, rest, json), false);
        case 'dump':
          return emit(mapDump(x, rest, json), false);
        case 'lookup':
          return emit(mapLookup(x, rest, json), false);
        case 'update':
          return emit(mapUpdate(x, rest, json), false);
        case 'delete':
          return emit(mapDelete(x, rest, json), false);
        case 'pin':
          return emit(mapPin(x, rest, json), false);
        case 'event_pipe':
          return emit(mapEventPipe(x, rest, json), false);
        default:
          return emit(bpftoolError(`unknown command '${cmd}' (map show|list|dump|lookup|update|delete|pin|event_pipe)`, json), false);
      }
    },
  });
}
