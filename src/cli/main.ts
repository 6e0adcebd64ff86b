/**
 * The xdpts command line: commander wiring. Each command lives in src/cli/commands/<name>.ts
 * and exports `register(program)`; this file only composes them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { errorJson, EXIT_USAGE, reportError } from './output';
import { commands } from './commands/index';

/**
 * bpftool takes `-j`/`--json` before the command (`bpftool -j map dump ...`); commander only
 * sees options after it. Move leading -j/--json to the end so both spellings work.
 */
function hoistJson(argv: readonly string[]): string[] {
  const out = [...argv];
  let json = false;
  while (out.length > 0 && (out[0] === '-j' || out[0] === '--json')) {
    out.shift();
    json = true;
  }
  if (json) out.push('--json');
  return out;
}

async function main(rawArgv: string[]): Promise<number> {
  const argv = hoistJson(rawArgv);
  const program = new Command();
  program
    .name('xdpts')
    .description('Write, build, verify, run and attach eBPF/XDP programs with no root and no Linux kernel')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  let exitCode = 0;
  const setExit = (c: number): void => {
    exitCode = c;
  };
  for (const register of commands) register(program, setExit);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (json) process.stdout.write(JSON.stringify(errorJson(e.message.replace(/^error: /, ''), 'usage')) + '\n');
      return EXIT_USAGE;
    }
    return reportError(e, json);
  }
  return exitCode;
}

// `xdpts ... | head` closes our stdout early: stop quietly, as coreutils do, instead of
// crashing with an unhandled EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const code = await main(process.argv.slice(2));
process.exitCode = code;
