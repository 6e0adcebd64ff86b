/**
 * `xdpts explain prog.o [-s SEC] [-n NAME] [--json]` (also `xdpts verify --explain`): why the
 * verifier refuses a program, in source terms: the category, the failing instruction and source
 * line, the kernel's message, what the kernel protects against, a suggestion in C terms and the
 * causal chain (src/verifier/explain.ts). Exit 0 when the program is accepted, 1 when refused.
 */
import type { Command } from 'commander';
import { loadObject, type ObjectSpec, type ProgramSpec } from '../../object';
import { explainProgram, explanationText } from '../../verifier';
import { EXIT_FAIL, EXIT_OK, out, outJson, runCommand, type CommonOptions } from '../output';
import { readInput } from './build';
import { pickProgram } from './run';
import type { RegisterCommand } from './index';

interface ExplainCliOptions extends CommonOptions {
  section?: string;
  progName?: string;
  unprivileged?: boolean;
}

/** Explains one program; shared by `explain` and `verify --explain`. */
export function explainCommand(file: string, spec: ObjectSpec, prog: ProgramSpec, json: boolean, privileged: boolean): number {
  const e = explainProgram(prog, spec.maps, { privileged });
  if (!e) {
    if (json) outJson({ program: prog.name, section: prog.section, accepted: true });
    else out(`${file}: ${prog.name} (section ${prog.section}): accepted, nothing to explain`);
    return EXIT_OK;
  }
  if (json) outJson({ section: prog.section, accepted: false, ...e });
  else out(explanationText(file, e).join('\n'));
  return EXIT_FAIL;
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('explain')
    .description('explain why the verifier refuses a program: category, source line, causal chain and a fix')
    .argument('<file>', 'ELF object')
    .option('-s, --section <section>', 'the program section')
    .option('-n, --prog-name <name>', 'the program (function) name')
    .option('--unprivileged', 'verify with the rules for an unprivileged loader')
    .option('--json', 'print the explanation as JSON')
    .action((file: string, opts: ExplainCliOptions) =>
      runCommand(opts.json, setExit, () => {
        const spec = loadObject(new Uint8Array(readInput(file)), file);
        const prog = pickProgram(spec, opts.section, opts.progName);
        return explainCommand(file, spec, prog, opts.json === true, opts.unprivileged !== true);
      }),
    );
};
