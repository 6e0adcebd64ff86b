/**
 * Imports point one way (shared/ARCHITECTURE.md): this test reads every import under src/ and
 * fails on an edge the table does not allow.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

/** The table of shared/ARCHITECTURE.md: folder → folders it may import. */
const ALLOWED: Record<string, string[]> = {
  util: [],
  isa: ['util'],
  btf: ['util'],
  elf: ['util'],
  object: ['util', 'isa', 'btf', 'elf'],
  asm: ['util', 'isa', 'btf', 'object'],
  verifier: ['util', 'isa', 'btf', 'object'],
  vm: ['util', 'isa'],
  kernel: ['util', 'isa', 'btf', 'object', 'verifier', 'vm'],
  state: ['util'],
  packet: ['util'],
  net: ['util', 'kernel', 'packet'],
  pcap: ['util'],
  gen: ['util', 'btf', 'object'],
  testing: ['util', 'isa', 'btf', 'object', 'verifier', 'vm', 'kernel', 'net', 'pcap', 'packet'],
  'index.ts': ['object', 'kernel', 'net', 'state', 'pcap', 'util', 'isa', 'btf', 'elf', 'asm', 'verifier', 'vm', 'gen', 'api', 'packet', 'testing'],
  // src/api holds the implementation behind the src/index.ts facade (one file would be too
  // large); it has the facade's rights and nothing but src/index.ts imports it.
  api: ['object', 'kernel', 'net', 'state', 'pcap', 'util', 'isa', 'btf', 'elf', 'asm', 'verifier', 'vm', 'gen', 'packet', 'testing'],
  cli: ['*'],
};

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

function componentOf(file: string): string {
  const rel = relative(SRC, file);
  const first = rel.split(/[\\/]/)[0]!;
  return first;
}

describe('architecture', () => {
  it('every import under src/ follows the dependency table', () => {
    const violations: string[] = [];
    for (const file of files(SRC)) {
      const from = componentOf(file);
      const allowed = ALLOWED[from];
      if (!allowed) {
        violations.push(`${relative(SRC, file)}: folder '${from}' is not in the architecture table`);
        continue;
      }
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)) {
        const spec = m[1]!;
        if (!spec.startsWith('.')) continue;
        const target = componentOf(resolve(dirname(file), spec));
        const to = target.replace(/\.ts$/, '') === 'index' ? 'index.ts' : target;
        if (to === from || allowed.includes('*') || allowed.includes(to)) continue;
        violations.push(`${relative(SRC, file)} imports ${spec} (${from} -> ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
