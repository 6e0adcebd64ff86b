/**
 * The `.BTF` and `.BTF.ext` that `clang -g` writes for an object, built from what an assembly
 * file says: its BTF-defined maps (`.map`), its functions, its `LICENSE`, and its `.loc` lines.
 * Hand-written assembly has no C types, so each function gets the signature its role implies:
 *
 * - a program (a global function in a program section) is `int NAME(struct xdp_md *ctx)` with
 *   global linkage — `void *ctx` for a section of another known program type — which is what
 *   libxdp's dispatcher slot `int prog0(struct xdp_md *ctx)` must match for a freplace load
 *   (kernel btf_check_func_type_match: global linkage, same arg count, int return, pointer to
 *   a struct of the same name);
 * - any other function (a bpf-to-bpf subprogram) is `static int NAME(void)`: static, so the
 *   kernel verifies it in its caller's context as it verifies hand-written code without BTF
 *   (btf_prepare_func_args is not fatal for static functions).
 *
 * Type ids, FUNC_PROTOs (one per function, not shared) and the string table follow LLVM's
 * BTFDebug (llvm/lib/Target/BPF/BTFDebug.cpp): the maps first (processGlobals for `.maps` at the
 * first function), then per function its argument types, the FUNC_PROTO, the return type and the
 * FUNC, then the section name and its line strings; the other globals (`LICENSE`) at the end of
 * the module, and the DATASECs last, sorted by name. `.rel.BTF`/`.rel.BTF.ext` are not written:
 * libbpf takes func/line offsets from the records and DATASEC offsets from the symbols.
 */
import { encodeBtfExt, BTF_VAR_GLOBAL_ALLOCATED, type BtfExt, type BtfFuncInfo, type BtfLineInfo, type BtfType } from '../btf/index';
import type { Endian } from '../util/index';
import { cTypeOf, C_INT, mapsDatasec, TypeVisitor, visitMaps, type CType, type MapDeclaration } from './maps-builder';

/** `BTF_FUNC_STATIC` / `BTF_FUNC_GLOBAL` (uapi linux/btf.h `enum btf_func_linkage`). */
const BTF_FUNC_STATIC = 0;
const BTF_FUNC_GLOBAL = 1;

/** One function of the object, in the order of the source. */
export interface FuncDeclaration {
  readonly name: string;
  readonly section: string;
  /** Byte offset of the function in its section. */
  readonly offset: number;
  /**
   * `xdp_md` / `void` for a program (`int NAME(struct xdp_md *ctx)` / `int NAME(void *ctx)`,
   * global linkage); `subprog` for `static int NAME(void)`.
   */
  readonly role: 'xdp_md' | 'void' | 'subprog';
}

/** One `.loc` line: where it applies and what it names. */
export interface LineDeclaration {
  readonly section: string;
  readonly offset: number;
  readonly file: string;
  /** The source line's text ('' when the source is not at hand). */
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

/** What {@link buildObjectBtf} describes. */
export interface ObjectBtfInput {
  readonly maps: readonly MapDeclaration[];
  readonly funcs: readonly FuncDeclaration[];
  readonly lines: readonly LineDeclaration[];
  /** The size of `char LICENSE[]` in section `license`, when the object has one. */
  readonly licenseSize?: number;
}

const U32 = cTypeOf('__u32')!;
/** `struct xdp_md` of uapi linux/bpf.h: six __u32 members. */
const XDP_MD: CType = {
  k: 'struct',
  name: 'xdp_md',
  size: 24,
  members: ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'].map((name, i) => ({ name, type: U32, bitOffset: i * 32 })),
};

/**
 * Builds `.BTF` (and `.BTF.ext` when there are functions) as clang -g would for `input`.
 * @throws ObjectError for a bad map declaration (as `buildMapsSection`).
 */
export function buildObjectBtf(input: ObjectBtfInput, endian: Endian): { btf: Uint8Array; btfExt?: Uint8Array } {
  const v = new TypeVisitor();
  const maps = visitMaps(v, input.maps);
  const ext: BtfExt = { funcInfo: new Map(), lineInfo: new Map(), coreRelos: new Map() };
  const funcs = [...input.funcs];
  for (const f of funcs) {
    const program = f.role !== 'subprog';
    // Argument types first (the subprogram's retained argument variables), then the prototype.
    const argType = program ? v.visit({ k: 'ptr', to: f.role === 'xdp_md' ? XDP_MD : { k: 'void' } }) : 0;
    const proto: BtfType = { kind: 'func_proto', returnType: 0, params: program ? [{ name: 'ctx', type: argType }] : [] };
    const protoId = v.b.add(proto);
    (proto as { returnType: number }).returnType = v.visit(C_INT);
    const id = v.b.add({ kind: 'func', name: f.name, type: protoId, linkage: program ? BTF_FUNC_GLOBAL : BTF_FUNC_STATIC });
    push(ext.funcInfo, f.section, { insnOff: f.offset, typeId: id });
    v.b.addString(f.section);
    for (const l of linesOf(input.lines, funcs, f)) {
      push(ext.lineInfo, f.section, { insnOff: l.offset, fileName: l.file, line: l.text, lineNum: l.line, lineCol: l.col });
      v.b.addString(l.file);
      v.b.addString(l.text);
    }
  }
  const secs: BtfType[] = [];
  if (input.maps.length > 0) secs.push(mapsDatasec(maps.vars));
  if (input.licenseSize !== undefined) {
    const arr = v.visit({ k: 'array', of: cTypeOf('char')!, n: input.licenseSize });
    const id = v.b.add({ kind: 'var', name: 'LICENSE', type: arr, linkage: BTF_VAR_GLOBAL_ALLOCATED });
    secs.push({ kind: 'datasec', name: 'license', size: 0, vars: [{ type: id, offset: 0, size: input.licenseSize }] });
  }
  // BTFDebug keeps DATASECs in a std::map: emitted in byte order of their names.
  secs.sort((a, b) => ((a as { name: string }).name < (b as { name: string }).name ? -1 : 1));
  for (const s of secs) v.b.add(s);
  if (funcs.length === 0) return { btf: v.b.encode(endian) };
  // The .BTF.ext strings are all interned above; encoding it first keeps the table final.
  const btfExt = encodeBtfExt(ext, (s) => v.b.stringOffset(s), endian);
  return { btf: v.b.encode(endian), btfExt };
}

/**
 * The line records of one function, sorted; the kernel wants one at every function's first
 * instruction (check_btf_line: "missing bpf_line_info for func#N"), so when the source put its
 * first `.loc` later, the nearest line before (else the first inside) is repeated there.
 */
function linesOf(lines: readonly LineDeclaration[], funcs: readonly FuncDeclaration[], f: FuncDeclaration): LineDeclaration[] {
  const inSection = lines.filter((l) => l.section === f.section).sort((a, b) => a.offset - b.offset);
  if (inSection.length === 0) return [];
  const end = Math.min(...funcs.filter((g) => g.section === f.section && g.offset > f.offset).map((g) => g.offset), Infinity);
  const mine = inSection.filter((l) => l.offset >= f.offset && l.offset < end);
  // Later records at one offset replace earlier ones (the last `.loc` before an instruction wins).
  const byOffset = new Map<number, LineDeclaration>();
  for (const l of mine) byOffset.set(l.offset, l);
  const out = [...byOffset.values()];
  if (out[0]?.offset !== f.offset) {
    const before = inSection.filter((l) => l.offset < f.offset).pop() ?? out[0] ?? inSection[0]!;
    out.unshift({ ...before, offset: f.offset });
  }
  return out;
}

function push<T extends BtfFuncInfo | BtfLineInfo>(m: Map<string, T[]>, sec: string, v: T): void {
  const list = m.get(sec);
  if (list) list.push(v);
  else m.set(sec, [v]);
}
