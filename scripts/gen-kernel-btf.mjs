// Regenerates src/object/kernel-btf.ts: a small raw BTF blob with the kernel types XDP programs
// touch, cut from this machine's /sys/kernel/btf/vmlinux (raw BTF, kernel
// Documentation/bpf/btf.rst). It is the target BTF xdpts's CO-RE relocations resolve against,
// as libbpf resolves them against vmlinux BTF (tools/lib/bpf/relo_core.c).
// Usage: node scripts/gen-kernel-btf.mjs [/sys/kernel/btf/vmlinux]
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = process.argv[2] ?? '/sys/kernel/btf/vmlinux';
const bundled = await build({ entryPoints: [join(root, 'src/btf/index.ts')], bundle: true, platform: 'node', format: 'esm', write: false, logLevel: 'warning' });
const btfMod = await import('data:text/javascript;base64,' + Buffer.from(bundled.outputFiles[0].text).toString('base64'));
const { decodeBtf, referencedTypes, encodeBtf } = btfMod;

const vmlinux = decodeBtf(new Uint8Array(readFileSync(src)));
const STRUCTS = ['xdp_md', 'ethhdr', 'vlan_hdr', 'iphdr', 'ipv6hdr', 'in6_addr', 'tcphdr', 'udphdr', 'icmphdr', 'icmp6hdr', 'arphdr', 'bpf_fib_lookup'];
const ENUMS = ['xdp_action', 'bpf_map_type'];
const roots = [];
const find = (name, kinds) => vmlinux.types.findIndex((t) => kinds.includes(t.kind) && t.name === name);
for (const n of STRUCTS) {
  const id = find(n, ['struct']);
  if (id > 0) roots.push(id);
  else process.stderr.write(`note: struct ${n} not in ${src}, skipped\n`);
}
for (const n of ENUMS) {
  const id = find(n, ['enum', 'enum64']);
  if (id > 0) roots.push(id);
  else process.stderr.write(`note: enum ${n} not in ${src}, skipped\n`);
}
// Transitive closure over referenced types, in id order so the blob is deterministic.
const keep = new Set();
const work = [...roots];
while (work.length) {
  const id = work.pop();
  if (id === 0 || keep.has(id)) continue;
  keep.add(id);
  work.push(...referencedTypes(vmlinux.types[id]));
}
// Kernel objects kfuncs hand out (conntrack's struct nf_conn): what they hold by value, with the
// structs their pointer members point to cut to forward declarations (else the closure is vmlinux).
const OBJECTS = ['nf_conn', 'nf_conn___init', 'bpf_ct_opts'];
const MODIFIERS = ['typedef', 'volatile', 'const', 'restrict', 'type_tag'];
const cut = new Set();
const objWork = OBJECTS.map((n) => find(n, ['struct'])).filter((id) => id > 0);
while (objWork.length) {
  const id = objWork.pop();
  if (id === 0 || keep.has(id)) continue;
  const t = vmlinux.types[id];
  if (t.kind === 'ptr') {
    let to = t.type;
    while (to && MODIFIERS.includes(vmlinux.types[to].kind)) {
      keep.add(to);
      to = vmlinux.types[to].type;
    }
    const k = to ? vmlinux.types[to].kind : 'void';
    if ((k === 'struct' || k === 'union') && !keep.has(to)) cut.add(to);
    else if (to) objWork.push(to);
    keep.add(id);
    continue;
  }
  cut.delete(id);
  keep.add(id);
  objWork.push(...referencedTypes(t));
}
for (const id of cut) if (keep.has(id)) cut.delete(id);
for (const id of cut) keep.add(id);
const ids = [...keep].sort((a, b) => a - b);
const newId = new Map(ids.map((id, k) => [id, k + 1]));
const re = (id) => (id === 0 ? 0 : newId.get(id));
const remap = (t) => {
  switch (t.kind) {
    case 'ptr': case 'typedef': case 'volatile': case 'const': case 'restrict': case 'type_tag': case 'func': case 'var': case 'decl_tag':
      return { ...t, type: re(t.type) };
    case 'array':
      return { ...t, type: re(t.type), indexType: re(t.indexType) };
    case 'struct': case 'union':
      return { ...t, members: t.members.map((m) => ({ ...m, type: re(m.type) })) };
    case 'func_proto':
      return { ...t, returnType: re(t.returnType), params: t.params.map((p) => ({ ...p, type: re(p.type) })) };
    case 'datasec':
      return { ...t, vars: t.vars.map((v) => ({ ...v, type: re(v.type) })) };
    default:
      return t;
  }
};
const fwd = (t) => ({ kind: 'fwd', name: t.name, union: t.kind === 'union' });
const small = { types: [{ kind: 'void' }, ...ids.map((id) => (cut.has(id) ? fwd(vmlinux.types[id]) : remap(vmlinux.types[id])))] };
const blob = encodeBtf(small, 'le');
const b64 = Buffer.from(blob).toString('base64');
const lines = b64.match(/.{1,100}/g).map((l) => `  '${l}' +`).join('\n');
const idLines = [0, ...ids].join(', ').match(/.{1,96}(, |$)/g).map((l) => `  ${l.trim()}`).join('\n');
const out = `/**
 * The emulated kernel's BTF: the types XDP programs touch and what they reference,
 * ${small.types.length - 1} types, ${blob.length} bytes of raw little-endian BTF. CO-RE relocations resolve against it
 * as libbpf resolves them against /sys/kernel/btf/vmlinux (relo_core.c).
 * structs: ${STRUCTS.join(', ')};
 * enums: ${ENUMS.join(', ')};
 * kernel objects (their pointer members' structs as forward declarations): ${OBJECTS.join(', ')}.
 *
 * GENERATED by \`node scripts/gen-kernel-btf.mjs\` from ${src} of Linux ${release()}; do not edit.
 */
import { decodeBtf, type Btf } from '../btf/index';

/**
 * Per type id of the blob (index 0 = void), the id the type has in the kernel's vmlinux BTF:
 * what BPF_CORE_TYPE_ID_TARGET relocates to (libbpf gives the vmlinux id).
 */
export const KERNEL_BTF_VMLINUX_IDS: readonly number[] = [
${idLines}
];

/** The raw BTF blob, base64. */
export const KERNEL_BTF_BASE64 =
${lines.slice(0, -2)};

let cached: Btf | undefined;

/** The emulated kernel's BTF ("vmlinux"), decoded once. */
export function kernelBtf(): Btf {
  cached ??= decodeBtf(Uint8Array.from(atob(KERNEL_BTF_BASE64), (c) => c.charCodeAt(0)));
  return cached;
}
`;
writeFileSync(join(root, 'src/object/kernel-btf.ts'), out);
process.stdout.write(`src/object/kernel-btf.ts: ${small.types.length - 1} types, ${blob.length} bytes\n`);
