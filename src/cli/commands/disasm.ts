/**
 * `xdpts disasm FILE` — the llvm-objdump -d role: the same listing as LLVM 19's
 * `llvm-objdump -d [-r] --mcpu=v4`, per section and symbol. A raw instruction file (no ELF
 * magic, as `xdpts build --raw` writes; read as such only with --raw or a .bin name) is listed as
 * one anonymous block.
 */
import type { Command } from 'commander';
import { disassemble, formatOrUndefined, UNKNOWN_TEXT } from '../../asm';
import { decode, insnWidth } from '../../isa';
import { readElf, SHF_EXECINSTR, SHT_NOBITS } from '../../object';
import { toHex } from '../../util/hex';
import { UsageError } from '../../util/errors';
import { out, outJson, runCommand, type CommonOptions } from '../output';
import { readInput } from './build';
import { inputKind } from './input-kind';
import type { RegisterCommand } from './index';

interface DisasmOptions extends CommonOptions {
  reloc?: boolean;
  target?: string;
  raw?: boolean;
}


/** One listed instruction, for `--json`. */
interface JsonInsn {
  offset: number;
  bytes: string;
  text: string;
}

function listRaw(bytes: Uint8Array, endian: 'le' | 'be'): JsonInsn[] {
  if (bytes.length % 8 !== 0) throw new UsageError(`raw instruction file size ${bytes.length} is not a multiple of 8`);
  const { insns, problem } = decode(bytes, endian);
  const rows: JsonInsn[] = [];
  let at = 0;
  for (const i of insns) {
    const w = insnWidth(i.opcode) * 8;
    rows.push({ offset: at, bytes: toHex(bytes.subarray(at, at + w)), text: formatOrUndefined(i) ?? UNKNOWN_TEXT });
    at += w;
  }
  if (problem) rows.push({ offset: problem.offset, bytes: toHex(bytes.subarray(problem.offset)), text: UNKNOWN_TEXT });
  return rows;
}

function rawListing(rows: JsonInsn[]): string {
  const lines = rows.map((r) => {
    const b = r.bytes.match(/../g)!.join(' ');
    const first = b.slice(0, 23);
    const rest = b.length > 24 ? `\n${' '.repeat(10)}\t${b.slice(24)}` : '';
    return `${String(r.offset / 8).padStart(8)}:\t${first}\t${r.text}${rest}`;
  });
  return lines.join('\n') + '\n';
}

export const register: RegisterCommand = (program: Command, setExit) => {
  program
    .command('disasm')
    .description('disassemble a BPF object like llvm-objdump -d (or a raw instruction file)')
    .argument('<file>', 'ELF object (.o) or raw instructions (.bin)')
    .option('-r, --reloc', 'show relocations, like llvm-objdump -r')
    .option('--raw', 'read the file as raw instructions (implied by a .bin name)')
    .option('--target <target>', 'byte order of a raw file: bpfel (default) or bpfeb')
    .option('--json', 'print sections, symbols and instructions as JSON')
    .action((file: string, opts: DisasmOptions) =>
      runCommand(opts.json, setExit, () => {
        const bytes = new Uint8Array(readInput(file));
        if (inputKind(file, bytes, opts.raw) === 'raw') {
          const endian = opts.target === 'bpfeb' ? 'be' : 'le';
          const rows = listRaw(bytes, endian);
          if (opts.json) outJson({ file, format: 'raw', insns: rows });
          else out(rawListing(rows));
          return;
        }
        const elf = readElf(bytes, file);
        if (!opts.json) {
          process.stdout.write(disassemble(elf, { file, relocs: opts.reloc === true }));
          return;
        }
        const sections = elf.sections
          .filter((s) => (s.flags & SHF_EXECINSTR) !== 0 && s.type !== SHT_NOBITS && s.size > 0)
          .map((s) => ({
            name: s.name,
            symbols: elf.symbols
              .filter((y) => y.section === s.index && y.name !== '' && y.type !== 3 && y.type !== 4)
              .map((y) => ({ name: y.name, offset: y.value, size: y.size }))
              .sort((a, b) => a.offset - b.offset || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
            insns: listRaw(s.data, elf.endian),
          }));
        outJson({ file, format: elf.endian === 'le' ? 'elf64-bpf' : 'elf64-bpfeb', sections });
      }),
    );
};
