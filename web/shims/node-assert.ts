/** The `assert.equal` elfy (the ELF reader under src/elf) uses, for the browser bundle. */
export function equal(a: unknown, b: unknown, message?: string): void {
  if (a != b) throw new Error(message ?? `${String(a)} == ${String(b)}`);
}
