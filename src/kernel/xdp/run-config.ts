/**
 * libxdp's per-program run configuration in BTF (xdp-tools lib/libxdp/libxdp.c
 * `xdp_program__parse_btf` / `xdp_parse_run_config`): a DATASEC `.xdp_run_config` holding a VAR
 * `_<function name>` whose type is a struct written like a BTF map definition — each member a
 * pointer to an array whose element count is the value:
 *
 *   struct { __uint(priority, 10); __uint(XDP_DROP, 1); } _xdp_cfg_prog SEC(".xdp_run_config");
 *
 * `priority` sets the run priority; a member named after a verdict sets (value ≠ 0) or clears
 * (0) that chain-call bit on top of the defaults; any other member makes the load fail.
 */
import type { Btf, BtfType } from '../../btf/types';
import { ObjectError } from '../../util/errors';
import { actionNumber, DEFAULT_CHAIN_CALL_ACTIONS, DEFAULT_RUN_PRIO } from './actions';

/** A program's effective run configuration. */
export interface RunConfig {
  runPrio: number;
  chainCallActions: number;
}

/** The defaults: prio 50, chain on XDP_PASS. */
export function defaultRunConfig(): RunConfig {
  return { runPrio: DEFAULT_RUN_PRIO, chainCallActions: DEFAULT_CHAIN_CALL_ACTIONS };
}

function resolve(btf: Btf, id: number): BtfType | undefined {
  let t = btf.types[id];
  // Skip modifiers and typedefs, as btf__resolve_type does.
  for (let n = 0; t && n < 32; n++) {
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') t = btf.types[t.type];
    else break;
  }
  return t;
}

/** `__uint(name, N)` is `int (*name)[N]`: the N of a member, or undefined when it is not that shape. */
function uintMember(btf: Btf, typeId: number): number | undefined {
  const p = resolve(btf, typeId);
  if (!p || p.kind !== 'ptr') return undefined;
  const a = resolve(btf, p.type);
  if (!a || a.kind !== 'array') return undefined;
  return a.nelems;
}

/**
 * Reads the run configuration of program `funcName` from the object's BTF: the defaults with
 * the metadata applied, or the defaults when there is none. An unknown member is an ObjectError
 * (libxdp refuses the program with -EINVAL).
 */
export function readRunConfig(btf: Btf | undefined, funcName: string): RunConfig {
  const cfg = defaultRunConfig();
  if (!btf) return cfg;
  const sec = btf.types.find((t): t is Extract<BtfType, { kind: 'datasec' }> => t.kind === 'datasec' && t.name === '.xdp_run_config');
  if (!sec) return cfg;
  for (const v of sec.vars) {
    const varType = btf.types[v.type];
    if (!varType || varType.kind !== 'var' || varType.name !== `_${funcName}`) continue;
    const st = resolve(btf, varType.type);
    if (!st || st.kind !== 'struct') throw new ObjectError(`run config of ${funcName} in .xdp_run_config is not a struct`);
    for (const m of st.members) {
      const val = uintMember(btf, m.type);
      if (val === undefined) throw new ObjectError(`run config member '${m.name}' of ${funcName} is not a __uint() definition`);
      if (m.name === 'priority') {
        cfg.runPrio = val;
        continue;
      }
      const act = actionNumber(m.name);
      if (act === undefined) throw new ObjectError(`Invalid run config member '${m.name}' of ${funcName}`);
      if (val) cfg.chainCallActions |= 1 << act;
      else cfg.chainCallActions &= ~(1 << act);
    }
    break;
  }
  return cfg;
}
