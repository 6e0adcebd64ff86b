/**
 * `bpftool prog show|pin|tracelog` over the emulated kernel (tools/bpf/bpftool/prog.c), text and
 * `-j` JSON as bpftool 7.1 prints them (reference §7.1):
 *
 *   269: xdp  name count_packets  tag 0afa56fcd9325709  gpl
 *   	loaded_at 2026-11-26T05:42:40+0000  uid 0
 *   	xlated 144B  jited 94B  memlock 4096B  map_ids 83
 *   	btf_id 176
 *
 * libxdp's components are `ext` (freplace) programs. `xlated` is the size of the instructions as
 * loaded (the kernel's own rewrites, e.g. inlined array lookups, are not applied) and `jited` is
 * reported equal to it, since the JIT emits JavaScript, not machine code.
 */
import type { LoadedProgram } from '../program';
import type { XdpManager } from '../xdp/manager';
import { bpftoolError, parseSelector, type Selector } from './bpftool-args';
import { progMemlock } from './memlock';
import { CODE_USAGE, type ToolOutcome } from './outcome';
import { BpffsError } from '../bpffs';

/** `bpftool prog` type names by program type (prog_type_name[] of libbpf). */
const PROG_TYPE_NAMES: Record<number, string> = { 1: 'socket_filter', 2: 'kprobe', 3: 'sched_cls', 4: 'sched_act', 5: 'tracepoint', 6: 'xdp', 28: 'ext' };

/** ISO-8601 with the numeric zone, as bpftool's `print_boot_time` (strftime "%FT%T%z", UTC here). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

function typeName(mgr: XdpManager, p: LoadedProgram): string {
  if (mgr.state.extProgs.includes(p.id)) return 'ext';
  return PROG_TYPE_NAMES[p.type] ?? `type ${p.type}`;
}

/** The name bpftool shows: the full BTF function name when the program has BTF, else the kernel's 15 characters. */
function displayName(mgr: XdpManager, p: LoadedProgram): string {
  return mgr.state.progBtf[String(p.id)] !== undefined ? p.funcName : p.name;
}

/** The programs a selector designates (several for `name`/`tag`). */
export function selectProgramsBy(mgr: XdpManager, sel: Selector): LoadedProgram[] | string {
  const k = mgr.kernel;
  switch (sel.by) {
    case 'id': {
      const p = k.program(sel.id);
      return p ? [p] : `get by id (${sel.id}): No such file or directory`;
    }
    case 'pinned': {
      const pin = mgr.bpffs.get(sel.path);
      const p = pin && (pin.kind === 'prog' || pin.kind === 'link') ? k.program(pin.id) : undefined;
      return p ? [p] : `bpf obj get (${sel.path}): No such file or directory`;
    }
    case 'name':
      return k.programList().filter((p) => p.name === sel.name || p.funcName === sel.name);
    case 'tag':
      return k.programList().filter((p) => p.tag === sel.tag);
  }
}

/** One program in bpftool's plain layout. */
export function progText(mgr: XdpManager, p: LoadedProgram): string[] {
  const btf = mgr.state.progBtf[String(p.id)];
  const gpl = /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(p.license);
  const lines = [
    `${p.id}: ${typeName(mgr, p)}  name ${displayName(mgr, p)}  tag ${p.tag}${gpl ? '  gpl' : ''}`,
    `\tloaded_at ${isoTime(p.loadTime)}  uid 0`,
    `\txlated ${p.xlatedBytes}B  jited ${p.xlatedBytes}B  memlock ${progMemlock(p.xlatedBytes)}B${p.mapIds.length ? `  map_ids ${p.mapIds.join(',')}` : ''}`,
  ];
  if (btf !== undefined) lines.push(`\tbtf_id ${btf}`);
  return lines;
}

/** One program in bpftool's JSON layout. */
export function progJson(mgr: XdpManager, p: LoadedProgram): Record<string, unknown> {
  const btf = mgr.state.progBtf[String(p.id)];
  return {
    id: p.id,
    type: typeName(mgr, p),
    name: displayName(mgr, p),
    tag: p.tag,
    gpl_compatible: /GPL/.test(p.license),
    loaded_at: Math.floor(p.loadTime / 1000),
    uid: 0,
    bytes_xlated: p.xlatedBytes,
    jited: true,
    bytes_jited: p.xlatedBytes,
    bytes_memlock: progMemlock(p.xlatedBytes),
    ...(p.mapIds.length ? { map_ids: [...p.mapIds] } : {}),
    ...(btf !== undefined ? { btf_id: btf } : {}),
  };
}

/** `bpftool prog show [SELECTOR]`. */
export function progShow(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  let progs: LoadedProgram[];
  if (argv.length === 0) progs = mgr.kernel.programList();
  else {
    const s = parseSelector(argv, ['id', 'name', 'tag', 'pinned']);
    if ('error' in s) return bpftoolError(s.error, json);
    if (argv.length > s.used) return bpftoolError(`too many arguments`, json);
    const r = selectProgramsBy(mgr, s.sel);
    if (typeof r === 'string') return bpftoolError(r, json);
    progs = r;
    if (progs.length === 0) return { exit: 255, stdout: json ? ['[]'] : [], stderr: [], code: CODE_USAGE };
  }
  const single = argv.length > 0 && (argv[0] === 'id' || argv[0] === 'pinned');
  if (json) {
    const docs = progs.map((p) => progJson(mgr, p));
    return { exit: 0, stdout: [JSON.stringify(single ? docs[0] : docs)], stderr: [], json: single ? docs[0] : docs };
  }
  return { exit: 0, stdout: progs.flatMap((p) => progText(mgr, p)), stderr: [] };
}

/** `bpftool prog pin PROG FILE`. */
export function progPin(mgr: XdpManager, argv: readonly string[], json: boolean): ToolOutcome {
  const s = parseSelector(argv, ['id', 'name', 'tag', 'pinned']);
  if ('error' in s) return bpftoolError(s.error, json);
  const file = argv[s.used];
  if (file === undefined) return bpftoolError('expected more arguments', json);
  const r = selectProgramsBy(mgr, s.sel);
  if (typeof r === 'string') return bpftoolError(r, json);
  if (r.length !== 1) return bpftoolError(r.length ? `several programs match this handle` : `no program found`, json);
  try {
    mgr.bpffs.pin(file, { kind: 'prog', id: r[0]!.id });
  } catch (e) {
    // bpftool returns -errno for a failed BPF_OBJ_PIN (EEXIST: 239), -1 otherwise (observed).
    return bpftoolError((e as Error).message, json, e instanceof BpffsError && e.errno === 17 ? 239 : 255);
  }
  return { exit: 0, stdout: json ? ['null'] : [], stderr: [] };
}

/** `bpftool prog tracelog`: what the trace pipe holds (consumed, as reading trace_pipe does). */
export function progTracelog(mgr: XdpManager, json: boolean): ToolOutcome {
  const text = mgr.kernel.helpers.trace.read();
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  if (json) return { exit: 0, stdout: [JSON.stringify(lines)], stderr: [], json: lines };
  return { exit: 0, stdout: lines, stderr: [] };
}
