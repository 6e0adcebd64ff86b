/**
 * `bpftool map event_pipe MAP [cpu N index M]` (tools/bpf/bpftool/map_perf_ring.c) and the dump
 * of a perf event array. bpftool opens a bpf-output perf event with a 16-page ring on every CPU
 * (or on CPU N for slot M), stores them in the map and prints samples as they arrive until
 * interrupted. The xdpts command is one-shot: the first call installs the readers, which stay
 * (like a bpftool left running), and every call prints and consumes what arrived since.
 * The dump of a perf event array is in bpftool-map.ts.
 *
 *   == @<sec>.<nsec> CPU: <cpu> index: <index> =====
 *   44 33 22 11 55 01 01 02  03 04 05 06 07 08 09 0a
 *   lost <n> events
 */
import { PERF_RECORD_SAMPLE, PerfEventArrayMap, type PerfRecord } from '../maps/perf-event-array';
import type { XdpManager } from '../xdp/manager';
import { bpftoolError, hexBytes } from './bpftool-args';
import { oneMap } from './bpftool-map';
import type { ToolOutcome } from './outcome';

/** `MMAP_PAGE_CNT` of bpftool's event_pipe. */
const BPFTOOL_PAGES = 16;

/** bpftool's `fprint_hex`: 16 bytes a line, a double space after the eighth. */
function hexLines(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.length; i += 16) {
    const row = b.subarray(i, i + 16);
    out.push(row.length > 8 ? `${hexBytes(row.subarray(0, 8))}  ${hexBytes(row.subarray(8))}` : hexBytes(row));
  }
  return out;
}

function recordText(r: PerfRecord, index: number): string[] {
  if (r.type !== PERF_RECORD_SAMPLE) return [`lost ${r.lost} events`];
  const sec = r.time / 1_000_000_000n;
  const ns = (r.time % 1_000_000_000n).toString().padStart(9, '0');
  return [`== @${sec}.${ns} CPU: ${r.cpu} index: ${index} =====`, ...hexLines(r.data)];
}

function recordJson(r: PerfRecord, index: number): string {
  if (r.type !== PERF_RECORD_SAMPLE) return JSON.stringify({ type: r.type, cpu: r.cpu, index, lost: { id: 0, count: r.lost } });
  return JSON.stringify({ type: r.type, cpu: r.cpu, index, timestamp: Number(r.time), data: [...r.data] });
}

/** `bpftool map event_pipe MAP [cpu N index M]`. */
export function mapEventPipe(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  const r = oneMap(mgr, argv, json);
  if ('exit' in r) return r;
  const m = r.map;
  if (!(m instanceof PerfEventArrayMap)) return bpftoolError('map is not a perf event array', json);
  const rest = argv.slice(r.used);
  let cpu: number | undefined;
  let index: number | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    const v = Number(rest[i + 1]);
    if (rest[i] === 'cpu' && Number.isInteger(v) && v >= 0) cpu = v;
    else if (rest[i] === 'index' && Number.isInteger(v) && v >= 0) index = v;
    else return bpftoolError(`unknown arg ${rest[i] ?? ''}`, json);
  }
  if ((cpu === undefined) !== (index === undefined)) return bpftoolError('one of \'cpu\' and \'index\' were specified, both required', json);
  if (cpu !== undefined && cpu >= m.ncpus) return bpftoolError(`invalid cpu ${cpu}`, json);
  m.openBuffers({ pages: BPFTOOL_PAGES, withTime: true, ...(cpu !== undefined ? { cpus: [cpu], index } : {}) });
  const records = m.drain();
  // With `cpu N index M` bpftool reports M; for all CPUs the slot of a CPU is its number.
  const idx = (rec: PerfRecord): number => index ?? rec.cpu;
  if (json) return { exit: 0, stdout: [`[${records.map((x) => recordJson(x, idx(x))).join(',')}]`], stderr: [] };
  return { exit: 0, stdout: records.flatMap((x) => recordText(x, idx(x))), stderr: [] };
}
