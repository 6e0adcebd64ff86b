/**
 * What `xdpts run` and `xdpts prog run` print: bpftool's `Return value: N, duration: Nns` and
 * data_out hex dump, the action, the maps after the run; and the JSON forms.
 */
import type { BpfMap, TestRunResult, XdpMdIn } from '../../kernel/index';
import { xdpActionName, xdpMdFromBytes } from '../../kernel/index';
import { toHex } from '../../util/hex';
import { mapEntriesJson, type MapLayouts } from './run-maps';

/** Every entry of a map as user space sees it (bpftool map dump), hex key and value. */
export function dumpMap(m: BpfMap): { key: string; value: string }[] {
  const rows: { key: string; value: string }[] = [];
  for (const [k, v] of m.entries()) rows.push({ key: toHex(k), value: toHex(v) });
  return rows;
}

/** A hex dump the way `bpftool prog run ... data_out -` prints one. */
export function bpftoolHexdump(b: Uint8Array): string {
  const lines: string[] = [];
  for (let off = 0; off < b.length; off += 16) {
    const row = b.subarray(off, off + 16);
    const groups: string[] = [];
    for (let i = 0; i < row.length; i += 2) groups.push(toHex(row.subarray(i, i + 2)));
    const ascii = [...row].map((c) => (c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.')).join('');
    // bpftool prints a space after the 8th character, even when it ends the row.
    const text = ascii.length >= 8 ? `${ascii.slice(0, 8)} ${ascii.slice(8)}` : ascii;
    lines.push(`${off.toString(16).padStart(7, '0')}\t${groups.join(' ').padEnd(39)} | ${text}`);
  }
  return lines.join('\n');
}

function spaced(hex: string): string {
  return (hex.match(/../g) ?? []).join(' ');
}

export interface JsonResult {
  r0: string;
  action: string;
  packet: string;
  duration_ns?: number;
  fault?: string;
  /** ctx_out by field, for a run given a context (--ctx, --ctx-in). */
  ctx_out?: XdpMdIn;
}

export function jsonResult(r: TestRunResult, repeat: number | undefined): JsonResult {
  return {
    r0: r.r0,
    action: xdpActionName(r.retval),
    packet: toHex(r.dataOut),
    ...(repeat !== undefined ? { duration_ns: r.durationNs } : {}),
    ...(r.fault ? { fault: r.fault.message } : {}),
    ...(r.ctxOut ? { ctx_out: xdpMdFromBytes(r.ctxOut) } : {}),
  };
}

export function textResult(r: TestRunResult, repeat: number | undefined, label?: string): string {
  const dur = repeat !== undefined && repeat > 1 ? 'duration (average)' : 'duration';
  const lines = [
    ...(label ? [label] : []),
    `Return value: ${r.retval}, ${dur}: ${r.durationNs}ns`,
    `Action: ${xdpActionName(r.retval)}`,
  ];
  if (r.fault) lines.push(`Fault: ${r.fault.message}`);
  if (r.ctxOut) lines.push(`Context out: ${Object.entries(xdpMdFromBytes(r.ctxOut)).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  lines.push(`Packet out (${r.dataOut.length} bytes${r.metaLen ? `, ${r.metaLen} of metadata first` : ''}):`);
  if (r.dataOut.length) lines.push(bpftoolHexdump(r.dataOut));
  return lines.join('\n');
}

export function textMaps(maps: ReadonlyMap<string, BpfMap>): string {
  const lines: string[] = [];
  for (const [name, m] of maps) {
    const rows = dumpMap(m);
    lines.push(`Map ${name} (${m.typeName}, id ${m.id}): ${rows.length} ${rows.length === 1 ? 'entry' : 'entries'}`);
    for (const r of rows) lines.push(`  key: ${spaced(r.key)}  value: ${spaced(r.value)}`);
  }
  return lines.join('\n');
}

/** The maps' contents as `--json` gives them: hex beside the BTF-decoded values. */
export function mapsJson(maps: ReadonlyMap<string, BpfMap>, layoutsOf: (name: string) => MapLayouts | undefined): Record<string, ReturnType<typeof mapEntriesJson>> {
  return Object.fromEntries([...maps].map(([n, m]) => [n, mapEntriesJson(m, layoutsOf(n))]));
}
