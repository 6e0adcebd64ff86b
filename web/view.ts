/** The playground's pure helpers: hex in and out, the disassembly, the URL state. */
import { formatOrUndefined } from '../src/asm';
import { OP_LDDW } from '../src/isa';
import type { ObjectSpec } from '../src/object';

/** A hex dump, 16 bytes a row (`compact`: the bytes only, spaced). */
export function hexdump(b: Uint8Array, compact = false): string {
  const hx = (x: number): string => x.toString(16).padStart(2, '0');
  if (compact) return [...b].map(hx).join(' ');
  const rows: string[] = [];
  for (let off = 0; off < b.length; off += 16) rows.push(`${off.toString(16).padStart(4, '0')}  ${[...b.subarray(off, off + 16)].map(hx).join(' ')}`);
  return rows.join('\n');
}

/** The packet field: hex digits, spaces allowed. */
export function packetHex(text: string): Uint8Array {
  const t = text.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(t)) throw new Error('packet: expected an even number of hex digits');
  return Uint8Array.from(t.match(/../g)!.map((x) => parseInt(x, 16)));
}

/** Every program's instructions with slot numbers and source lines (BTF line info). */
export function disassembleSpec(spec: ObjectSpec): string {
  const out: string[] = [];
  for (const p of spec.programs) {
    out.push(`${p.name} (section ${p.section}):`);
    let slot = 0;
    p.insns.forEach((ins, i) => {
      const li = p.lineInfo.get(i);
      if (li) out.push(`; ${li.line.trim()}`);
      const ref = p.references.get(i);
      const text = ref?.kind === 'map' ? `r${ins.dst} = ${ref.map} ll` : formatOrUndefined(ins) ?? '<unknown>';
      out.push(`${String(slot).padStart(5)}: ${text}`);
      slot += ins.opcode === OP_LDDW ? 2 : 1;
    });
  }
  return out.join('\n');
}

/** What the URL keeps: the source and the packet. */
export interface PlaygroundState {
  source: string;
  packet: string;
}

/** `#s=<base64url of JSON>`. */
export function stateToHash(s: PlaygroundState): string {
  const bytes = new TextEncoder().encode(JSON.stringify(s));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `#s=${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

/** The state of a `#s=` fragment; undefined when absent or damaged. */
export function stateFromHash(hash: string): PlaygroundState | undefined {
  const m = /^#s=([A-Za-z0-9_-]+)$/.exec(hash);
  if (!m) return undefined;
  try {
    const bin = atob(m[1]!.replace(/-/g, '+').replace(/_/g, '/'));
    const v: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
    if (typeof v === 'object' && v && typeof (v as PlaygroundState).source === 'string' && typeof (v as PlaygroundState).packet === 'string') return v as PlaygroundState;
  } catch {
    // A damaged link opens the default sample.
  }
  return undefined;
}
