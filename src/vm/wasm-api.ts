/**
 * The few WebAssembly JavaScript API members the engine uses, typed here (the project compiles
 * without the DOM library, where these declarations live) and looked up on `globalThis`, so
 * code that never runs the wasm engine works where WebAssembly is missing.
 */

/** A linear memory (WebAssembly JS API §Memory). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** A global's value holder. */
export interface WasmGlobal {
  value: number;
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
}

/** The WebAssembly namespace, or undefined where the host has none. */
export const wasmApi: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
