/**
 * The compiled C fixtures of fixtures/c (see fixtures/c/build.sh): every source in three
 * builds — clang-19 bpfel (`x.o`), clang-19 bpfeb (`x.eb.o`), clang-14 bpfel (`x.c14.o`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Absolute path of fixtures/c. */
export const FIXTURE_DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'c');

/** Names of the C sources (without `.c`). */
export const FIXTURE_NAMES = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.c'))
  .map((f) => f.slice(0, -2))
  .sort();

/** Every object file: name, build variant, path and bytes. */
export const FIXTURE_OBJECTS = FIXTURE_NAMES.flatMap((name) =>
  (['o', 'eb.o', 'c14.o'] as const).map((ext) => {
    const file = `${name}.${ext}`;
    const path = join(FIXTURE_DIR, file);
    return { name, variant: ext, file, path, bytes: new Uint8Array(readFileSync(path)) };
  }),
);

/** The bytes of one fixture object. */
export function fixture(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURE_DIR, file)));
}
