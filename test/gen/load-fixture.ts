/** Reads a fixture object into its bytes and ObjectSpec (src/object's loadObject). */
import { readFileSync } from 'node:fs';
import { loadObject, type ObjectSpec } from '../../src/object';

/** Reads an object file into bytes and its spec. */
export async function loadFixture(path: string): Promise<{ bytes: Uint8Array; spec: ObjectSpec }> {
  const bytes = new Uint8Array(readFileSync(path));
  return { bytes, spec: loadObject(bytes, path) };
}
