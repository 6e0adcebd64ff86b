/**
 * What an input file of `disasm`, `verify` and `run` is: an ELF object, or raw instructions.
 * llvm-objdump refuses a file it does not recognise ("The file was not recognized as a valid
 * object file"); xdpts does the same and reads bytes as raw instructions only when asked to
 * (`--raw`, or a `.bin` name as `xdpts build --raw` suggests), so a source file given by mistake
 * gets "not an ELF object" and a hint to build it, never a decoding error about its size.
 */
import { UsageError } from '../../util/errors';

/** The ELF magic `7f 45 4c 46`. */
export const isElf = (b: Uint8Array): boolean => b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;

/** Printable ASCII, tabs and newlines only (a source file, not binary data), judged on the first 4 KiB. */
function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c !== 9 && c !== 10 && c !== 13 && (c < 32 || c > 126)) return false;
  }
  return true;
}

/**
 * 'elf' or 'raw' for `file`; throws a UsageError (exit 2) for a non-ELF file not marked raw.
 * @param raw the command's `--raw` flag.
 */
export function inputKind(file: string, bytes: Uint8Array, raw: boolean | undefined): 'elf' | 'raw' {
  if (isElf(bytes)) {
    if (raw) throw new UsageError(`${file}: --raw given, but the file is an ELF object`);
    return 'elf';
  }
  if (raw || file.endsWith('.bin')) return 'raw';
  const hint = looksLikeText(bytes)
    ? `it looks like source text: build it first (xdpts build ${file})`
    : 'raw instructions need --raw or a .bin name';
  throw new UsageError(`${file}: not an ELF object; ${hint}`);
}
