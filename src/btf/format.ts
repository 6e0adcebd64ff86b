/**
 * Prints a `Btf` the way `bpftool btf dump file X.o` prints it (bpftool's btf.c dump_btf_type,
 * raw format): one `[id] KIND 'name' ...` line per type, members/params/values indented by a tab.
 */
import { BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, type Btf, type BtfType } from './types';

const LINKAGE = ['static', 'global', 'extern'];

function intEncoding(enc: number): string {
  // bpftool btf_int_enc_str: exactly one flag is printed; combinations are UNKN.
  switch (enc) {
    case 0:
      return '(none)';
    case BTF_INT_SIGNED:
      return 'SIGNED';
    case BTF_INT_CHAR:
      return 'CHAR';
    case BTF_INT_BOOL:
      return 'BOOL';
    default:
      return 'UNKN';
  }
}

const quoted = (name: string): string => `'${name === '' ? '(anon)' : name}'`;
const linkage = (l: number): string => LINKAGE[l] ?? 'UNKN';

/** One type as bpftool prints it, without the trailing newline (may span several lines). */
export function formatBtfType(btf: Btf, id: number): string {
  const t: BtfType = btf.types[id]!;
  const head = (kind: string, name: string): string => `[${id}] ${kind} ${quoted(name)}`;
  switch (t.kind) {
    case 'void':
      return `[${id}] UNKN '(anon)'`;
    case 'int':
      return `${head('INT', t.name)} size=${t.size} bits_offset=${t.bitOffset} nr_bits=${t.bits} encoding=${intEncoding(t.encoding)}`;
    case 'ptr':
      return `${head('PTR', '')} type_id=${t.type}`;
    case 'const':
    case 'volatile':
    case 'restrict':
      return `${head(t.kind.toUpperCase(), '')} type_id=${t.type}`;
    case 'typedef':
      return `${head('TYPEDEF', t.name)} type_id=${t.type}`;
    case 'type_tag':
      return `${head('TYPE_TAG', t.name)} type_id=${t.type}`;
    case 'array':
      return `${head('ARRAY', '')} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case 'struct':
    case 'union': {
      let s = `${head(t.kind.toUpperCase(), t.name)} size=${t.size} vlen=${t.members.length}`;
      for (const m of t.members) {
        s += `\n\t${quoted(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}`;
        if (m.bitSize) s += ` bitfield_size=${m.bitSize}`;
      }
      return s;
    }
    case 'enum':
    case 'enum64': {
      let s = `${head(t.kind.toUpperCase(), t.name)} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`;
      // bpftool prints enum64 values with a C literal suffix: %lldLL / %lluULL.
      const sfx = t.kind === 'enum64' ? (t.signed ? 'LL' : 'ULL') : '';
      for (const v of t.values) s += `\n\t${quoted(v.name)} val=${v.value.toString()}${sfx}`;
      return s;
    }
    case 'fwd':
      return `${head('FWD', t.name)} fwd_kind=${t.union ? 'union' : 'struct'}`;
    case 'func':
      return `${head('FUNC', t.name)} type_id=${t.type} linkage=${linkage(t.linkage)}`;
    case 'func_proto': {
      let s = `${head('FUNC_PROTO', '')} ret_type_id=${t.returnType} vlen=${t.params.length}`;
      for (const p of t.params) s += `\n\t${quoted(p.name)} type_id=${p.type}`;
      return s;
    }
    case 'var':
      return `${head('VAR', t.name)} type_id=${t.type}, linkage=${linkage(t.linkage)}`;
    case 'datasec': {
      let s = `${head('DATASEC', t.name)} size=${t.size} vlen=${t.vars.length}`;
      for (const v of t.vars) {
        const vt = btf.types[v.type];
        const vk = vt ? (vt.kind === 'void' ? 'UNKN' : vt.kind.toUpperCase()) : 'UNKN';
        const vn = vt && 'name' in vt ? vt.name : '';
        s += `\n\ttype_id=${v.type} offset=${v.offset} size=${v.size} (${vk} ${quoted(vn)})`;
      }
      return s;
    }
    case 'float':
      return `${head('FLOAT', t.name)} size=${t.size}`;
    case 'decl_tag':
      return `${head('DECL_TAG', t.name)} type_id=${t.type} component_idx=${t.componentIdx}`;
  }
}

/** The whole dump, as `bpftool btf dump file X.o` prints it (each type on its line(s)). */
export function formatBtf(btf: Btf): string {
  let out = '';
  for (let id = 1; id < btf.types.length; id++) out += formatBtfType(btf, id) + '\n';
  return out;
}
