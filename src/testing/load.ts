/**
 * Reading a test file: the YAML is checked field by field against the format and against the
 * object it names (its programs, maps and their BTF types), and compiled once: packets built,
 * keys and values encoded, expectations ready to compare. Every mistake is a TestFileError
 * with the file, line and column of the offending node.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { btfValueLayout, type ValueLayout, type XdpMdIn } from '../kernel/index';
import type { Btf } from '../btf/index';
import type { Engine } from '../vm/index';
import { loadObject, type ObjectSpec, type ProgramSpec } from '../object/index';
import { XdptsError } from '../util/index';
import { compileExpect } from './load-expect';
import { packetInput } from './load-packet';
import type { CompiledCase, CompiledFile, MapInfo, MapWrite } from './model';
import { asBool, asMap, asText, asUint, eachMapEntry, encodeFor, encodeValue, isPerCpu, knownKeys } from './load-util';
import { field, parseYaml, scalarText, toPlain, type YamlFile, type YNode } from './yaml';

/** Options of loading: how to turn a `source:` into an object (the CLI assembles .asm, compiles .c). */
export interface LoadOptions {
  /** Builds a source file into ELF object bytes. */
  readonly buildSource?: (path: string) => Uint8Array;
  /** Default engine when the file names none. */
  readonly engine?: Engine;
}

/** The VM's engines (src/vm Engine). */
export const ENGINES: readonly Engine[] = ['jit', 'interp', 'wasm'];

const TOP = ['object', 'source', 'program', 'section', 'setup', 'tests', 'engine'];
const SETUP = ['maps', 'seed', 'ctx', 'cpus'];
/** The most CPUs a test may ask for (the kernel's NR_CPUS on x86_64 distributions is 8192). */
const MAX_CPUS = 256;
const CASE = ['name', 'packet', 'ctx', 'cpu', 'fresh', 'maps', 'repeat', 'expect', 'skip'];

/** Reads and compiles a test file. Throws TestFileError (malformed) or XdptsError (object unreadable). */
export function loadTestFile(file: string, opts: LoadOptions = {}): CompiledFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new XdptsError(`${file}: cannot read: ${(e as Error).message}`, 'ENOENT');
  }
  return compileTestFile(file, text, opts);
}

/** Compiles test-file text (paths in it are relative to the file's folder). */
export function compileTestFile(file: string, text: string, opts: LoadOptions = {}): CompiledFile {
  const y = parseYaml(file, text);
  const top = asMap(y, y.root, 'a test file');
  knownKeys(y, top, TOP, 'the test file');
  const base = dirname(file);
  const objNode = field(top, 'object');
  const srcNode = field(top, 'source');
  if ((objNode === undefined) === (srcNode === undefined)) throw y.error(top, "give exactly one of 'object' (an ELF .o) or 'source' (a .asm/.s file)");
  let object: ObjectSpec;
  let objectBytes: Uint8Array;
  const objectPath = resolve(base, asText(y, (objNode ?? srcNode)!, objNode ? 'object' : 'source'));
  try {
    if (objNode) objectBytes = new Uint8Array(readFileSync(objectPath));
    else if (opts.buildSource) objectBytes = opts.buildSource(objectPath);
    else throw new XdptsError('building sources is not available here; give an object', 'usage');
    object = loadObject(objectBytes, objectPath);
  } catch (e) {
    const why = e instanceof XdptsError || (e as NodeJS.ErrnoException).code ? (e as Error).message : String(e);
    throw y.error((objNode ?? srcNode)!, `cannot load ${objectPath}: ${why}`);
  }
  const program = pickProgram(y, object, field(top, 'program'), field(top, 'section'));
  const maps = new Map<string, MapInfo>();
  for (const m of object.maps) {
    maps.set(m.name, {
      spec: m,
      keyLayout: object.btf && m.keyTypeId ? btfValueLayout(object.btf, m.keyTypeId) : undefined,
      valueLayout: object.btf && m.valueTypeId ? valueLayout(object.btf, m.valueTypeId) : undefined,
    });
  }
  const engineNode = field(top, 'engine');
  const engine = (engineNode ? asText(y, engineNode, 'engine') : opts.engine ?? 'jit') as Engine;
  if (!ENGINES.includes(engine as Engine)) throw y.error(engineNode!, `engine must be one of ${ENGINES.join(', ')}`);
  let seed = 1;
  let cpus = 1;
  let setupWrites: MapWrite[] = [];
  let setupCtx: XdpMdIn | undefined;
  const setupNode = field(top, 'setup');
  if (setupNode) {
    const s = asMap(y, setupNode, 'setup');
    knownKeys(y, s, SETUP, 'setup');
    const seedNode = field(s, 'seed');
    if (seedNode) seed = asUint(y, seedNode, 'seed', Number.MAX_SAFE_INTEGER);
    const cpusNode = field(s, 'cpus');
    if (cpusNode) {
      cpus = asUint(y, cpusNode, 'cpus', MAX_CPUS);
      if (cpus === 0) throw y.error(cpusNode, `cpus must be from 1 to ${MAX_CPUS}`);
    }
    const mapsNode = field(s, 'maps');
    if (mapsNode) setupWrites = mapWrites(y, mapsNode, maps, cpus);
    const ctxNode = field(s, 'ctx');
    if (ctxNode) setupCtx = ctxOf(y, ctxNode);
  }
  const testsNode = field(top, 'tests');
  if (!testsNode || testsNode.kind !== 'seq') throw y.error(testsNode ?? top, "'tests' must be a list of cases");
  const cases: CompiledCase[] = [];
  testsNode.items.forEach((n, i) => cases.push(...compileCase(y, n, i, { base, maps, setupCtx, cpus })));
  return { file, objectPath, objectBytes, object, program, maps, seed, cpus, engine, setup: setupWrites, cases };
}

/**
 * The layout of a map's values; a global data map (`.bss`, `.data`, `.rodata`) is typed by its
 * section's DATASEC, as a struct whose members are the section's variables (`{ packets: 1 }`),
 * the way bpftool prints such a map with BTF.
 */
function valueLayout(btf: Btf, id: number): ValueLayout | undefined {
  const t = btf.types[id];
  if (t?.kind !== 'datasec') return btfValueLayout(btf, id);
  const members = t.vars.flatMap((v) => {
    const vt = btf.types[v.type];
    const l = vt?.kind === 'var' ? btfValueLayout(btf, vt.type) : undefined;
    return vt?.kind === 'var' && l ? [{ name: vt.name, off: v.offset * 8, layout: l }] : [];
  });
  return { k: 'struct', size: t.size, members };
}

function pickProgram(y: YamlFile, object: ObjectSpec, nameNode: YNode | undefined, secNode: YNode | undefined): ProgramSpec {
  const name = nameNode ? asText(y, nameNode, 'program') : undefined;
  const sec = secNode ? asText(y, secNode, 'section') : undefined;
  const found = object.programs.find((p) => (name === undefined || p.name === name) && (sec === undefined || p.section === sec));
  if (found) return found;
  const list = object.programs.map((p) => `${p.name} (section ${p.section})`).join(', ') || 'none';
  throw y.error(nameNode ?? secNode ?? y.root, `the object has no program${name ? ` '${name}'` : ''}${sec ? ` in section '${sec}'` : ''}; it has: ${list}`);
}

function mapWrites(y: YamlFile, node: YNode, maps: ReadonlyMap<string, MapInfo>, cpus: number): MapWrite[] {
  const out: MapWrite[] = [];
  eachMapEntry(y, node, maps, (m, k, v) => {
    const key = encodeFor(y, m, k, 'key').bytes;
    let value: MapWrite['value'] = null;
    if (!(v.kind === 'scalar' && v.value === null)) {
      const e = encodeValue(y, m, v, cpus);
      value = isPerCpu(e) ? { perCpu: new Map([...e.perCpu].map(([cpu, x]) => [cpu, x.bytes])) } : e.bytes;
    }
    const { line, col } = y.position(k);
    out.push({ map: m.spec.name, key, value, where: `${y.file}:${line}:${col}` });
  });
  return out;
}

function ctxOf(y: YamlFile, node: YNode): XdpMdIn {
  const m = asMap(y, node, 'ctx');
  knownKeys(y, m, ['ingress_ifindex', 'rx_queue_index', 'egress_ifindex'], 'ctx (struct xdp_md)');
  return Object.fromEntries(m.entries.map((e) => [scalarText(e.key), asUint(y, e.value, scalarText(e.key))])) as XdpMdIn;
}

/** What every case of a file shares. */
interface FileContext {
  readonly base: string;
  readonly maps: ReadonlyMap<string, MapInfo>;
  readonly setupCtx: XdpMdIn | undefined;
  readonly cpus: number;
}

function compileCase(y: YamlFile, node: YNode, index: number, { base, maps, setupCtx, cpus }: FileContext): CompiledCase[] {
  const c = asMap(y, node, 'a case');
  knownKeys(y, c, CASE, 'a case');
  const nameNode = field(c, 'name');
  const name = nameNode ? asText(y, nameNode, 'name') : `case ${index + 1}`;
  const line = y.position(c).line;
  const ctxNode = field(c, 'ctx');
  const ctx = ctxNode ? ctxOf(y, ctxNode) : setupCtx;
  const freshNode = field(c, 'fresh');
  const fresh = freshNode ? asBool(y, freshNode, 'fresh') : false;
  const mapsNode = field(c, 'maps');
  const writes = mapsNode ? mapWrites(y, mapsNode, maps, cpus) : [];
  const cpuNode = field(c, 'cpu');
  const cpu = cpuNode ? asUint(y, cpuNode, 'cpu') : 0;
  if (cpuNode && cpu >= cpus) throw y.error(cpuNode, `cpu ${cpu}: the emulated kernel has ${cpus} CPU${cpus === 1 ? '' : 's'} (set 'setup.cpus' for more)`);
  const repeatNode = field(c, 'repeat');
  const repeat = repeatNode ? asUint(y, repeatNode, 'repeat') : undefined;
  const skipNode = field(c, 'skip');
  const skip = skipNode && toPlain(skipNode) !== false ? (typeof toPlain(skipNode) === 'string' ? String(toPlain(skipNode)) : 'skipped') : undefined;
  const packetNode = field(c, 'packet');
  const inputs = packetNode ? packetInput(y, packetNode, base) : [undefined];
  const expectNode = field(c, 'expect');
  if (!expectNode) throw y.error(c, `case '${name}' has no 'expect'`);
  const expectations = inputs.map((packet) => compileExpect(y, expectNode, maps, packet, cpus));
  // Only a case about loading (`rejected`) runs no packet.
  if (!packetNode && expectations[0]!.rejected === undefined && skip === undefined) throw y.error(c, `case '${name}' has no 'packet' to run (only a 'rejected' case may leave it out)`);
  return inputs.map((packet, i) => ({
    name: inputs.length > 1 ? `${name} #${i + 1}` : name,
    line,
    packet,
    ctx,
    fresh,
    cpu,
    writes,
    repeat,
    expect: expectations[i]!,
    ...(skip !== undefined ? { skip } : {}),
  }));
}
