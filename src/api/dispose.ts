/**
 * `[Symbol.dispose]` on the live handle classes without naming `Symbol.dispose` in their
 * declarations: the emitted `.d.ts` then compiles under `lib: ES2022` (where it does not exist),
 * and each class merges {@link MaybeDisposable} into its instance type instead.
 */
import type { MaybeDisposable } from '../gen/runtime-contract';

export type { MaybeDisposable };

/** `Symbol.dispose` where the runtime has it (Node ≥ 20.4), else undefined. */
const DISPOSE: symbol | undefined = (Symbol as { readonly dispose?: symbol }).dispose;

/** Makes `close()` the `[Symbol.dispose]` of a class's instances (where the runtime has it). */
export function disposeByClose(cls: { readonly prototype: { close(): void } }): void {
  if (DISPOSE === undefined) return;
  Object.defineProperty(cls.prototype, DISPOSE, {
    value: function dispose(this: { close(): void }): void {
      this.close();
    },
    configurable: true,
    writable: true,
  });
}

/** Closes each item, then throws every failure together (one as itself, more as an AggregateError). */
export function closeAll(items: Iterable<{ close(): void }>): void {
  const errors: unknown[] = [];
  for (const x of items) {
    try {
      x.close();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} objects failed to close`);
}
