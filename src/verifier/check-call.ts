/**
 * Calls and exits (kernel/bpf/verifier.c `check_helper_call`, `check_func_arg`,
 * `check_map_func_compatibility`, `check_func_call`, `prepare_func_exit`): helper arguments by
 * their prototype (src/isa/helper-protos.ts), return values, reference tracking for ringbuf
 * reservations, and bpf-to-bpf frames.
 */
import { type Instruction, helperName, HELPER_NAMES } from '../isa';
import { type HelperArg, notEmulatedMessage, protoModelled, xdpHelperProto } from '../isa/helper-protos';
import { BPF_MAP_TYPE } from '../object/types';
import { readReg } from './check-alu';
import { BPF_MAX_VAR_SIZ, checkAlignment, checkHelperMem, checkPtrOffReg } from './check-mem';
import { spilledReg } from './check-stack';
import { type Env, reject } from './env';
import { innerMapLookup, isMapInMap } from './map-in-map';
import { markChainPrecision, markSlotPrecise } from './precision';
import { regTypeStr } from './print';
import { acquirePointer, checkReferenceLeak, releaseReference, sockArgOk } from './refs';
import { type Reg, copyReg, isConst, notInit, pointer, unknownScalar } from './reg-state';
import { MAX_CALL_FRAMES, curFrame, newFrame } from './state';
import { tnumIsConst } from './tnum';

const T = BPF_MAP_TYPE;

/** `check_map_func_compatibility`, both directions, for the helpers xdpts implements. */
function mapFuncCompatible(mapType: number, fn: string): boolean {
  const mapSide: Record<number, string[]> = {
    [T.PROG_ARRAY]: ['tail_call'],
    [T.PERF_EVENT_ARRAY]: ['perf_event_read', 'perf_event_output', 'skb_output', 'perf_event_read_value', 'xdp_output'],
    [T.RINGBUF]: ['ringbuf_output', 'ringbuf_reserve', 'ringbuf_query', 'ringbuf_reserve_dynptr', 'ringbuf_submit_dynptr', 'ringbuf_discard_dynptr'],
    [T.DEVMAP]: ['redirect_map', 'map_lookup_elem'],
    [T.DEVMAP_HASH]: ['redirect_map', 'map_lookup_elem'],
    [T.CPUMAP]: ['redirect_map'],
    [T.XSKMAP]: ['redirect_map', 'map_lookup_elem'],
    [T.QUEUE]: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
    [T.BLOOM_FILTER]: ['map_peek_elem', 'map_push_elem'],
    [T.STACK]: ['map_peek_elem', 'map_pop_elem', 'map_push_elem'],
    [T.ARRAY_OF_MAPS]: ['map_lookup_elem'],
    [T.HASH_OF_MAPS]: ['map_lookup_elem'],
    [T.USER_RINGBUF]: ['user_ringbuf_drain'],
    [T.STACK_TRACE]: ['get_stackid'],
    [T.CGROUP_ARRAY]: ['skb_under_cgroup', 'current_task_under_cgroup'],
    [T.CGROUP_STORAGE]: ['get_local_storage'],
    [T.PERCPU_CGROUP_STORAGE]: ['get_local_storage'],
    [T.SK_STORAGE]: ['sk_storage_get', 'sk_storage_delete', 'kptr_xchg'],
    [T.INODE_STORAGE]: ['inode_storage_get', 'inode_storage_delete', 'kptr_xchg'],
    [T.TASK_STORAGE]: ['task_storage_get', 'task_storage_delete', 'kptr_xchg'],
    [T.CGRP_STORAGE]: ['cgrp_storage_get', 'cgrp_storage_delete', 'kptr_xchg'],
  };
  const allowed = mapSide[mapType];
  if (allowed && !allowed.includes(fn)) return false;
  const fnSide: Record<string, number[]> = {
    tail_call: [T.PROG_ARRAY],
    perf_event_read: [T.PERF_EVENT_ARRAY],
    perf_event_output: [T.PERF_EVENT_ARRAY],
    perf_event_read_value: [T.PERF_EVENT_ARRAY],
    ringbuf_output: [T.RINGBUF],
    ringbuf_reserve: [T.RINGBUF],
    ringbuf_query: [T.RINGBUF],
    redirect_map: [T.DEVMAP, T.DEVMAP_HASH, T.CPUMAP, T.XSKMAP],
    map_peek_elem: [T.QUEUE, T.STACK, T.BLOOM_FILTER],
    map_pop_elem: [T.QUEUE, T.STACK],
    map_push_elem: [T.QUEUE, T.STACK, T.BLOOM_FILTER],
    map_lookup_percpu_elem: [T.PERCPU_ARRAY, T.PERCPU_HASH, T.LRU_PERCPU_HASH],
  };
  const need = fnSide[fn];
  return !need || need.includes(mapType);
}

/** `compatible_reg_types` text after `expected=` for an argument type. */
function expected(arg: HelperArg): string {
  switch (arg.type) {
    case 'ARG_CONST_MAP_PTR': return 'map_ptr';
    case 'ARG_PTR_TO_CTX': return 'ctx';
    case 'ARG_PTR_TO_RINGBUF_MEM': return 'ringbuf_mem';
    case 'ARG_PTR_TO_FUNC': return 'func';
    case 'ARG_PTR_TO_STACK_OR_NULL': return 'fp';
    case 'ARG_CONST_SIZE': case 'ARG_CONST_SIZE_OR_ZERO': case 'ARG_CONST_ALLOC_SIZE_OR_ZERO': return 'scalar';
    case 'ARG_PTR_TO_CONST_STR': case 'ARG_PTR_TO_TIMER': return 'map_value';
    case 'ARG_PTR_TO_SPIN_LOCK': return 'map_value, ptr_';
    case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON': return 'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_';
    case 'ARG_PTR_TO_SOCK_COMMON': return 'sock_common, sock, tcp_sock, xdp_sock';
    default: return 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';
  }
}

/** The kernel's `check_reg_type` failure. */
function typeError(idx: number, regno: number, r: Reg, arg: HelperArg): never {
  reject(`R${regno} type=${regTypeStr(r)} expected=${expected(arg)}`, idx);
}

const isNullConst = (r: Reg): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/**
 * `get_constant_map_key`: the key of an array lookup when the stack holds it as known zero
 * bytes or as a spilled constant of exactly the key's size.
 */
function stackConstKey(env: Env, r: Reg, size: number): bigint | undefined {
  if (!env.privileged || r.type !== 'PTR_TO_STACK' || !tnumIsConst(r.varOff)) return undefined;
  const f = env.cur.frames[r.frameno] ?? curFrame(env.cur);
  const slot = -(Number(BigInt.asIntN(64, r.varOff.value)) + r.off) - 1;
  const spi = slot >> 3;
  let zeros = 0;
  for (let j = slot & 7; j >= 0 && f.stack[spi * 8 + j] === '0'; j--) zeros++;
  if (zeros >= size) return 0n;
  const sp = spilledReg(f, spi);
  if (!sp || sp.type !== 'SCALAR_VALUE') return undefined;
  let spilled = 0;
  for (let j = slot & 7; j >= 0 && f.stack[spi * 8 + j] === 'r'; j--) spilled++;
  if (spilled !== size || !tnumIsConst(sp.varOff)) return undefined;
  // The lookup's result depends on the key's value: the spilled constant must stay precise.
  markSlotPrecise(env, f.frameno, spi);
  return sp.varOff.value;
}

/**
 * `check_reg_const_str`: a NUL-terminated string at a constant offset into a read-only map value
 * (a `.rodata` constant), as bpf_snprintf's and bpf_strncmp's format/string arguments need.
 */
function checkConstStr(env: Env, idx: number, regno: number, r: Reg, arg: HelperArg): void {
  if (r.type !== 'PTR_TO_MAP_VALUE' || r.maybeNull) typeError(idx, regno, r, arg);
  const m = env.maps[r.map]!;
  if (!m.readOnly) reject(`R${regno} does not point to a readonly map'`, idx);
  if (!tnumIsConst(r.varOff)) reject(`R${regno} is not a constant address'`, idx);
  const off = r.off + Number(r.varOff.value);
  checkHelperMem(env, idx, regno, 1, false, false, false);
  const init = m.initialValue;
  if (init && init.subarray(off).indexOf(0) < 0) reject('string is not zero-terminated', idx);
}

/**
 * `process_spin_lock`: the argument points at the map value's `struct bpf_spin_lock` with a
 * constant offset; one lock at a time, unlocked through the same value pointer.
 */
function processSpinLock(env: Env, idx: number, regno: number, r: Reg, arg: HelperArg, lock: boolean): void {
  if (r.type !== 'PTR_TO_MAP_VALUE' || r.maybeNull) typeError(idx, regno, r, arg);
  if (!tnumIsConst(r.varOff)) {
    reject(`R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`, idx);
  }
  const m = env.maps[r.map]!;
  if (!m.keyTypeId && !m.valueTypeId) reject(`map '${m.name}' has to have BTF in order to use bpf_spin_lock`, idx);
  if (m.spinLockOff === undefined) reject(`map '${m.name}' has no valid bpf_spin_lock`, idx);
  const off = Number(BigInt.asIntN(64, r.varOff.value)) + r.off;
  if (off !== m.spinLockOff) reject(`off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${m.spinLockOff}`, idx);
  if (lock) {
    if (env.cur.lock) reject('Locking two bpf_spin_locks are not allowed', idx);
    env.cur.lock = { map: r.map, id: r.id };
    return;
  }
  if (!env.cur.lock) reject('bpf_spin_unlock without taking a lock', idx);
  if (env.cur.lock.map !== r.map || env.cur.lock.id !== r.id) reject('bpf_spin_unlock of different lock', idx);
  delete env.cur.lock;
}

/** A helper call that runs a callback: where it starts and how its frame is set up. */
export interface CallbackCall {
  target: number;
  kind: 'loop' | 'for_each';
  map: number;
}

/**
 * Checks a helper call against its prototype and applies its effects (`check_helper_call`).
 * Returns the callback to verify for bpf_loop / bpf_for_each_map_elem (effects not applied).
 */
export function checkHelperCall(env: Env, idx: number, i: Instruction): CallbackCall | undefined {
  const id = i.imm;
  const name = helperName(id);
  // get_helper_proto: id 0 is in range but no program type has it.
  if (id === 0) reject('program of this type cannot use helper bpf_unspec#0', idx, 'EINVAL');
  if (id < 0 || id >= HELPER_NAMES.length || name === undefined) {
    reject(`invalid func unknown#${id}`, idx, 'EINVAL');
  }
  // do_check, before check_helper_call: only bpf_spin_unlock while a lock is held.
  if (env.cur.lock && name !== 'spin_unlock') reject('function calls are not allowed while holding a lock', idx, 'EINVAL');
  const proto = xdpHelperProto(id, env.privileged);
  if (!proto) reject(`program of this type cannot use helper bpf_${name}#${id}`, idx, 'EINVAL');
  if (proto.gplOnly && !env.gpl) reject('cannot call GPL-restricted function from non-GPL compatible program', idx, 'EINVAL');
  if (proto.mightSleep) reject('helper call might sleep in a non-sleepable prog', idx, 'EINVAL');
  // A helper the kernel offers but whose types xdpts cannot check: named, not mis-verified.
  if (!protoModelled(proto)) reject(`xdpts: ${notEmulatedMessage(id)}`, idx, 'EOPNOTSUPP');
  const regs = curFrame(env.cur).regs;
  let mapIdx = -1;
  let allocSize = 0;
  let releaseId = 0;
  let constKey: bigint | undefined;
  for (let a = 0; a < proto.args.length; a++) {
    const arg = proto.args[a]!;
    const regno = a + 1;
    const r = readReg(env, idx, regno);
    const memArg = arg.type === 'ARG_PTR_TO_MEM' || arg.type === 'ARG_PTR_TO_MAP_KEY' || arg.type === 'ARG_PTR_TO_MAP_VALUE' ||
      arg.type === 'ARG_PTR_TO_UNINIT_MAP_VALUE';
    if (memArg && (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META') && !proto.pktAccess) {
      reject('helper access to the packet is not allowed', idx);
    }
    switch (arg.type) {
      case 'ARG_ANYTHING':
        if (r.type !== 'SCALAR_VALUE' && !env.privileged) reject(`R${regno} leaks addr into helper function`, idx);
        break;
      case 'ARG_CONST_MAP_PTR':
        if (r.type !== 'CONST_PTR_TO_MAP' || r.maybeNull) typeError(idx, regno, r, arg);
        mapIdx = r.map;
        if (name === 'tail_call' && env.maps[mapIdx]!.type !== T.PROG_ARRAY) reject('expected prog array map for tail call', idx);
        {
          const m = env.maps[mapIdx]!;
          if (!mapFuncCompatible(m.type, name!)) reject(`cannot pass map_type ${m.type} into func bpf_${name}#${id}`, idx, 'EINVAL');
        }
        break;
      case 'ARG_PTR_TO_CTX':
        if (r.type !== 'PTR_TO_CTX') typeError(idx, regno, r, arg);
        checkPtrOffReg(env, idx, regno, r);
        break;
      case 'ARG_PTR_TO_MAP_KEY':
      case 'ARG_PTR_TO_MAP_VALUE':
      case 'ARG_PTR_TO_UNINIT_MAP_VALUE': {
        if (!['PTR_TO_STACK', 'PTR_TO_PACKET', 'PTR_TO_PACKET_META', 'PTR_TO_MAP_KEY', 'PTR_TO_MAP_VALUE'].includes(r.type) || r.maybeNull) {
          typeError(idx, regno, r, arg);
        }
        if (mapIdx < 0) reject('invalid map_ptr to access map->key', idx);
        const m = env.maps[mapIdx]!;
        const size = arg.type === 'ARG_PTR_TO_MAP_KEY' ? m.keySize : m.valueSize;
        if (arg.type === 'ARG_PTR_TO_MAP_KEY') constKey = stackConstKey(env, r, size);
        // resolve_map_arg_type: a bloom filter's peek reads the value it tests.
        const out = arg.type === 'ARG_PTR_TO_UNINIT_MAP_VALUE' && !(m.type === T.BLOOM_FILTER && name === 'map_peek_elem');
        checkHelperMem(env, idx, regno, size, out, out, false);
        break;
      }
      case 'ARG_PTR_TO_MEM': {
        const next = proto.args[a + 1];
        // A NULL for a nullable argument skips the type check only: its size is still checked
        // (check_helper_mem_access lets NULL through with a size of 0 alone).
        // check_reg_type: a nullable argument takes a pointer that may be NULL as well.
        if (arg.maybeNull && isNullConst(r)) markChainPrecision(env, regno);
        else if (r.type === 'SCALAR_VALUE' || r.type === 'CONST_PTR_TO_MAP' || r.type === 'PTR_TO_CTX' || r.type === 'PTR_TO_PACKET_END' || r.type === 'PTR_TO_FUNC' || (r.maybeNull && !arg.maybeNull)) {
          typeError(idx, regno, r, arg);
        }
        if (!next) break;
        const sz = readReg(env, idx, regno + 1);
        if (sz.type !== 'SCALAR_VALUE') reject(`R${regno + 1} type=${regTypeStr(sz)} expected=scalar`, idx);
        const zeroOk = next.type === 'ARG_CONST_SIZE_OR_ZERO';
        if (sz.smin < 0n) reject(`R${regno + 1} min value is negative, either use unsigned or 'var &= const'`, idx);
        if (sz.umin === 0n && !zeroOk) reject(`R${regno + 1} invalid zero-sized read: u64=[${sz.umin},${sz.umax}]`, idx);
        if (sz.umax >= BigInt(BPF_MAX_VAR_SIZ)) {
          reject(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`, idx);
        }
        checkHelperMem(env, idx, regno, Number(sz.umax), !arg.rdonly, !!arg.uninit, zeroOk || sz.umin === 0n);
        markChainPrecision(env, regno + 1);
        a++;
        break;
      }
      case 'ARG_PTR_TO_FIXED_SIZE_MEM':
        if (r.type === 'SCALAR_VALUE' || r.type === 'CONST_PTR_TO_MAP' || r.type === 'PTR_TO_CTX' || r.type === 'PTR_TO_PACKET_END' || r.type === 'PTR_TO_FUNC' || (r.maybeNull && !arg.maybeNull)) {
          typeError(idx, regno, r, arg);
        }
        checkHelperMem(env, idx, regno, arg.size ?? 0, !arg.rdonly, !!arg.uninit, false);
        // check_func_arg: the access first, then the alignment of a MEM_ALIGNED argument.
        if (arg.aligned) checkAlignment(idx, r, 0, arg.size ?? 1, true);
        break;
      case 'ARG_PTR_TO_SPIN_LOCK':
        processSpinLock(env, idx, regno, r, arg, name === 'spin_lock');
        break;
      case 'ARG_PTR_TO_CONST_STR':
        checkConstStr(env, idx, regno, r, arg);
        break;
      case 'ARG_CONST_ALLOC_SIZE_OR_ZERO':
        if (!isConst(r)) reject(`R${regno} is not a known constant'`, idx);
        allocSize = Number(r.varOff.value);
        markChainPrecision(env, regno);
        break;
      case 'ARG_PTR_TO_RINGBUF_MEM':
        if (!(r.type === 'PTR_TO_MEM' && r.ringbuf && !r.maybeNull)) typeError(idx, regno, r, arg);
        if (r.off !== 0 || !tnumIsConst(r.varOff) || r.varOff.value !== 0n) {
          reject(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`, idx);
        }
        if (!r.refObjId) reject(`R${regno} must be referenced when passed to release func`, idx);
        releaseId = r.refObjId;
        break;
      case 'ARG_PTR_TO_FUNC':
        if (r.type !== 'PTR_TO_FUNC') typeError(idx, regno, r, arg);
        break;
      case 'ARG_PTR_TO_BTF_ID_SOCK_COMMON':
      case 'ARG_PTR_TO_SOCK_COMMON':
        if (!sockArgOk(r)) typeError(idx, regno, r, arg);
        if (arg.release) {
          if (!r.refObjId) reject(`R${regno} must be referenced when passed to release function`, idx);
          releaseId = r.refObjId;
        }
        break;
      case 'ARG_PTR_TO_STACK_OR_NULL':
        if (!(r.type === 'PTR_TO_STACK' || isNullConst(r))) typeError(idx, regno, r, arg);
        if (isNullConst(r)) markChainPrecision(env, regno);
        break;
      default:
        break;
    }
  }
  if (name === 'tail_call') checkReferenceLeak(env, idx, 'tail_call');
  if (name === 'tail_call' && isConst(regs[3]!) && regs[3]!.varOff.value < BigInt(env.maps[mapIdx]!.maxEntries)) {
    // record_func_key: a constant index makes the tail call direct; it must stay precise.
    markChainPrecision(env, 3);
  }
  if (name === 'loop') {
    // A zero flags argument is relied upon (loop inlining), and R1 decides when iteration ends.
    if (isNullConst(regs[4]!)) markChainPrecision(env, 4);
    markChainPrecision(env, 1);
  }
  if (proto.args.some((x) => x.type === 'ARG_PTR_TO_FUNC')) {
    // The callback is verified as a frame of its own, entered from this call and re-entered
    // until its entry states converge (see the walk in verifier.ts), like the kernel's
    // push_callback_call.
    return { target: regs[2]!.frameno, kind: name === 'loop' ? 'loop' : 'for_each', map: mapIdx };
  }
  if (releaseId) releaseReference(env, idx, releaseId);
  for (let k = 1; k <= 5; k++) regs[k] = notInit();
  env.scratched.regs.add(0);
  switch (proto.ret) {
    case 'RET_INTEGER': regs[0] = unknownScalar(); break;
    case 'RET_VOID': regs[0] = notInit(); break;
    case 'RET_PTR_TO_MAP_VALUE_OR_NULL': {
      // Since 6.14 the kernel elides the null check of an array lookup with a constant key
      // inside max_entries (`can_elide_value_nullness`, `get_constant_map_key`).
      const m = env.maps[mapIdx]!;
      if (isMapInMap(m.type)) {
        regs[0] = innerMapLookup(env, idx, mapIdx);
        break;
      }
      const elide = (m.type === T.ARRAY || m.type === T.PERCPU_ARRAY) && constKey !== undefined && constKey < BigInt(m.maxEntries);
      regs[0] = elide ? pointer('PTR_TO_MAP_VALUE', { map: mapIdx }) : pointer('PTR_TO_MAP_VALUE', { maybeNull: true, map: mapIdx, id: ++env.idGen });
      break;
    }
    case 'RET_PTR_TO_RINGBUF_MEM_OR_NULL':
      regs[0] = acquirePointer(env, idx, 'PTR_TO_MEM', { ringbuf: true, memSize: allocSize });
      break;
    case 'RET_PTR_TO_SOCKET_OR_NULL':
      regs[0] = acquirePointer(env, idx, 'PTR_TO_SOCKET');
      break;
    case 'RET_PTR_TO_SOCK_COMMON_OR_NULL':
      regs[0] = acquirePointer(env, idx, 'PTR_TO_SOCK_COMMON');
      break;
  }
  applyHelperReturn(env, proto.changesPktData === true);
  return undefined;
}

/** The caller-side effects of any helper call that returns an integer (used after callbacks too). */
export function applyHelperReturn(env: Env, changesPktData: boolean): void {
  if (changesPktData) {
    // clear_all_pkt_pointers: every packet pointer is invalidated (an unknown scalar for root).
    for (const f of env.cur.frames) {
      for (let k = 0; k < f.regs.length; k++) {
        const t = f.regs[k]!.type;
        if (t === 'PTR_TO_PACKET' || t === 'PTR_TO_PACKET_END' || t === 'PTR_TO_PACKET_META') f.regs[k] = unknownScalar();
      }
      for (let k = 0; k < f.spills.length; k++) {
        const t = f.spills[k]?.type;
        if (t === 'PTR_TO_PACKET' || t === 'PTR_TO_PACKET_END' || t === 'PTR_TO_PACKET_META') f.spills[k] = unknownScalar();
      }
    }
  }
}

/**
 * Enters a callback frame (`set_loop_callback_state`, `set_map_elem_callback_state`): bpf_loop
 * passes (index, ctx), bpf_for_each_map_elem (map, key, value, ctx).
 */
export function enterCallback(env: Env, idx: number, cb: CallbackCall): void {
  const s = env.cur;
  if (s.frames.length >= MAX_CALL_FRAMES) reject(`the call stack of ${s.frames.length + 1} frames is too deep`, idx, 'E2BIG');
  const caller = curFrame(s);
  const callee = newFrame(s.frames.length, idx, cb.target);
  callee.inCallback = true;
  if (cb.kind === 'loop') {
    callee.regs[1] = unknownScalar();
    callee.regs[2] = copyReg(caller.regs[3]!);
  } else {
    callee.regs[1] = copyReg(caller.regs[1]!);
    callee.regs[2] = pointer('PTR_TO_MAP_KEY', { map: cb.map });
    callee.regs[3] = pointer('PTR_TO_MAP_VALUE', { map: cb.map });
    callee.regs[4] = copyReg(caller.regs[3]!);
  }
  s.frames.push(callee);
}

/** `check_func_call`: enter the callee frame of a bpf-to-bpf call; returns the target. */
export function enterSubprog(env: Env, idx: number, target: number): void {
  const s = env.cur;
  if (s.frames.length >= MAX_CALL_FRAMES) {
    reject(`the call stack of ${s.frames.length + 1} frames is too deep`, idx, 'E2BIG');
  }
  const caller = curFrame(s);
  const callee = newFrame(s.frames.length, idx, target);
  for (let k = 1; k <= 5; k++) callee.regs[k] = copyReg(caller.regs[k]!);
  for (let k = 0; k <= 5; k++) caller.regs[k] = k === 0 ? caller.regs[0]! : caller.regs[k]!;
  s.frames.push(callee);
}

/** `prepare_func_exit`: leave a subprogram frame; returns the instruction to resume at. */
export function exitSubprog(env: Env, idx: number): number {
  const s = env.cur;
  // A callback's result decides whether iteration goes on: it must stay precise.
  const top = curFrame(s);
  if (top.inCallback && top.regs[0]!.type === 'SCALAR_VALUE') markChainPrecision(env, 0);
  const callee = s.frames.pop()!;
  const caller = curFrame(s);
  const d = env.stackDepth.get(callee.subprog) ?? 0;
  if (callee.depth > d) env.stackDepth.set(callee.subprog, callee.depth);
  const r0 = callee.regs[0]!;
  if (r0.type === 'PTR_TO_STACK') reject('cannot return stack pointer to the caller', idx, 'EINVAL');
  if (callee.inCallback) {
    // prepare_func_exit for callbacks: R0 must be a scalar in [0, 1]; the caller then
    // re-executes the call instruction (another iteration, or the continuation after it).
    if (r0.type !== 'SCALAR_VALUE') reject('R0 not a scalar value', idx);
    if (r0.smin < 0n || r0.smax > 1n) {
      let m = 'At callback return the register R0 has';
      if (r0.smin > -(1n << 63n)) m += ` smin=${r0.smin}`;
      if (r0.smax < (1n << 63n) - 1n) m += ` smax=${r0.smax}`;
      if (r0.smin === -(1n << 63n) && r0.smax === (1n << 63n) - 1n) m += ' unknown scalar value';
      reject(`${m} should have been in [0, 1]`, idx, 'EINVAL');
    }
    return callee.callsite;
  }
  caller.regs[0] = copyReg(r0);
  for (let k = 1; k <= 5; k++) caller.regs[k] = notInit();
  return callee.callsite + 1;
}
