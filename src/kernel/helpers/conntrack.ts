/**
 * The emulated kernel's connection tracking table and the conntrack kfuncs XDP programs call
 * (net/netfilter/nf_conntrack_bpf.c): bpf_xdp_ct_lookup, bpf_xdp_ct_alloc, bpf_ct_insert_entry,
 * bpf_ct_release, bpf_ct_set_timeout / bpf_ct_change_timeout, bpf_ct_set_status /
 * bpf_ct_change_status.
 *
 * An entry is the bytes of a `struct nf_conn` laid out as Linux 6.18's BTF says (timeout at 8,
 * zone at 12, the two tuples at 32 and 88, status at 128, mark at 168), exposed to the program
 * as its own memory region, so what the program reads and writes (mark) is the entry itself.
 * The table starts empty (no traffic is tracked by the emulated network), lives as long as the
 * kernel object (it is not saved between CLI commands), and has one namespace: a lookup naming
 * another namespace (netns_id >= 0) finds none (-ENONET). Entries expire after their timeout in
 * jiffies of the kernel's clock; a lookup or insertion never sees an expired one.
 */
import type { HelperCall, HelperFn } from '../../vm';
import { EBUSY, EEXIST, EINVAL, ENOENT, EPERM } from '../errno';
import { HZ, jiffiesAt, type KernelClock } from './clock';
import { ptrArg } from './context';

/** errno values only conntrack returns (include/uapi/asm-generic/errno.h). */
const ETIME = 62;
const ENONET = 64;
const EPROTO = 71;
const EAFNOSUPPORT = 97;

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const AF_INET = 2;
const AF_INET6 = 10;
/** `NF_BPF_CT_OPTS_SZ`; 12 is the size before ct_zone_id/ct_zone_dir. */
const NF_BPF_CT_OPTS_SZ = 16;
/** `NF_CT_DEFAULT_ZONE_DIR`: a zone that applies to both directions. */
const NF_CT_DEFAULT_ZONE_DIR = 3;

/** `enum ip_conntrack_status` bits the kfuncs test (include/uapi/linux/netfilter/nf_conntrack_common.h). */
const IPS_EXPECTED = 1 << 0;
const IPS_SEEN_REPLY = 1 << 1;
const IPS_ASSURED = 1 << 2;
const IPS_CONFIRMED = 1 << 3;
const IPS_DYING = 1 << 9;
const IPS_FIXED_TIMEOUT = 1 << 10;
/** `IPS_UNCHANGEABLE_MASK`: NAT_DONE, NAT, EXPECTED, CONFIRMED, DYING, SEQ_ADJUST, TEMPLATE, UNTRACKED, OFFLOAD, HW_OFFLOAD. */
const IPS_UNCHANGEABLE_MASK = 0x180 | 0x30 | 0x1 | 0x8 | 0x200 | 0x40 | 0x800 | 0x1000 | 0x8000 | 0x10000;
const IPS_MAX_BIT = 16;

/** Offsets in `struct nf_conn` and `struct nf_conntrack_tuple` (Linux 6.18 BTF). */
const NF_CONN_SIZE = 248;
const OFF = { timeout: 8, zoneId: 12, zoneDir: 15, tuple: [32, 88], status: 128, mark: 168 } as const;
const TUPLE = { srcIp: 0, srcPort: 16, l3num: 18, dstIp: 20, dstPort: 36, protonum: 38, dir: 39 } as const;

/** One direction of a connection, as `struct nf_conntrack_tuple` holds it. */
interface Tuple {
  family: number;
  src: Uint8Array;
  dst: Uint8Array;
  /** Ports in network byte order, as two bytes each. */
  sport: Uint8Array;
  dport: Uint8Array;
  proto: number;
}

/** A conntrack entry: the `struct nf_conn` bytes the program sees, and whether it is in the table. */
interface Entry {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly tuples: readonly [Tuple, Tuple];
  readonly zoneId: number;
  readonly zoneDir: number;
  confirmed: boolean;
}

const keyOf = (t: Tuple, zone: number): string =>
  `${t.family}/${t.proto}/${zone}/${[...t.src].join('.')}/${[...t.dst].join('.')}/${t.sport[0]}.${t.sport[1]}/${t.dport[0]}.${t.dport[1]}`;

/** `nf_ct_zone_id`: the zone id applies to a direction only if the zone's dir has that bit. */
const zoneFor = (id: number, dir: number, d: 0 | 1): number => (dir & (1 << d) ? id : 0);

/** The connection tracking table of one emulated kernel. */
export class ConntrackTable {
  private readonly byKey = new Map<string, { e: Entry; dir: 0 | 1 }>();
  private readonly entries = new Set<Entry>();
  /** Entries by the bytes exposed to programs (for the kfuncs that take an nf_conn). */
  readonly byBytes = new WeakMap<Uint8Array, Entry>();

  constructor(private readonly clock: KernelClock) {}

  /** `nfct_time_stamp`: the low 32 bits of jiffies. */
  now(): number {
    return Number(BigInt.asUintN(32, jiffiesAt(this.clock.bootNs())));
  }

  /** Entries in the table (confirmed, not expired). */
  get size(): number {
    this.expire();
    return this.entries.size;
  }

  private expire(): void {
    const now = this.now();
    // nf_ct_is_expired: (s32)(ct->timeout - nfct_time_stamp) <= 0.
    for (const e of this.entries) if (((e.view.getUint32(OFF.timeout, true) - now) | 0) <= 0) this.remove(e);
  }

  private remove(e: Entry): void {
    this.entries.delete(e);
    for (const d of [0, 1] as const) this.byKey.delete(keyOf(e.tuples[d], zoneFor(e.zoneId, e.zoneDir, d)));
  }

  /** `__nf_conntrack_find_get`: the entry holding `t` in either direction, and which. */
  find(t: Tuple, zoneId: number, zoneDir: number): { e: Entry; dir: 0 | 1 } | undefined {
    this.expire();
    for (const d of [0, 1] as const) {
      const hit = this.byKey.get(keyOf(t, zoneFor(zoneId, zoneDir, d)));
      if (hit && hit.dir === d) return hit;
    }
    return undefined;
  }

  /** `nf_conntrack_alloc`: a new unconfirmed entry (not yet in the table). */
  alloc(orig: Tuple, zoneId: number, zoneDir: number, timeoutJiffies: number): Entry {
    const bytes = new Uint8Array(NF_CONN_SIZE);
    const view = new DataView(bytes.buffer);
    const reply: Tuple = { ...orig, src: orig.dst, dst: orig.src, sport: orig.dport, dport: orig.sport };
    const e: Entry = { bytes, view, tuples: [orig, reply], zoneId, zoneDir, confirmed: false };
    view.setUint16(OFF.zoneId, zoneId, true);
    bytes[OFF.zoneDir] = zoneDir;
    [orig, reply].forEach((t, d) => {
      const at = OFF.tuple[d]!;
      bytes.set(t.src, at + TUPLE.srcIp);
      bytes.set(t.sport, at + TUPLE.srcPort);
      view.setUint16(at + TUPLE.l3num, t.family, true);
      bytes.set(t.dst, at + TUPLE.dstIp);
      bytes.set(t.dport, at + TUPLE.dstPort);
      bytes[at + TUPLE.protonum] = t.proto;
      bytes[at + TUPLE.dir] = d;
    });
    view.setUint32(OFF.timeout, timeoutJiffies >>> 0, true);
    this.byBytes.set(bytes, e);
    return e;
  }

  /** `bpf_ct_insert_entry` → `nf_conntrack_hash_check_insert`: 0, or -EEXIST when either tuple is taken. */
  insert(e: Entry): number {
    if (!e.confirmed) e.view.setUint32(OFF.timeout, (e.view.getUint32(OFF.timeout, true) + this.now()) >>> 0, true);
    setStatus(e, status(e) | IPS_CONFIRMED);
    this.expire();
    const keys = ([0, 1] as const).map((d) => keyOf(e.tuples[d], zoneFor(e.zoneId, e.zoneDir, d)));
    if (keys.some((k) => this.byKey.has(k))) return -EEXIST;
    e.confirmed = true;
    keys.forEach((k, d) => this.byKey.set(k, { e, dir: d as 0 | 1 }));
    this.entries.add(e);
    return 0;
  }

  /** `__nf_ct_set_timeout`: relative before insertion, from now after. */
  setTimeout(e: Entry, jiffies: number): void {
    const t = Math.min(jiffies, 0x7fffffff);
    e.view.setUint32(OFF.timeout, (e.confirmed ? this.now() + t : t) >>> 0, true);
  }
}

const status = (e: Entry): number => Number(e.view.getBigUint64(OFF.status, true) & 0xffffffffn);
const setStatus = (e: Entry, v: number): void => {
  const hi = e.view.getBigUint64(OFF.status, true) & ~0xffffffffn;
  e.view.setBigUint64(OFF.status, hi | BigInt(v >>> 0), true);
};

/** `nf_ct_change_status_common`: 0, or -EBUSY for a bit that may not change (or only be set). */
function changeStatus(e: Entry, want: number): number {
  const cur = status(e);
  const d = cur ^ want;
  if (d & (IPS_EXPECTED | IPS_CONFIRMED | IPS_DYING)) return -EBUSY;
  if (d & IPS_SEEN_REPLY && !(want & IPS_SEEN_REPLY)) return -EBUSY;
  if (d & IPS_ASSURED && !(want & IPS_ASSURED)) return -EBUSY;
  let v = cur;
  const on = want & ~IPS_UNCHANGEABLE_MASK;
  for (let bit = 0; bit < IPS_MAX_BIT; bit++) if (on & (1 << bit)) v |= 1 << bit;
  setStatus(e, v);
  return 0;
}

/** `msecs_to_jiffies` at the emulated HZ (rounding up). */
const msecsToJiffies = (ms: number): number => Math.ceil((ms * HZ) / 1000);

/** Guest memory of rN, `len` bytes, readable (and writable when `write`). */
function bytesArg(c: HelperCall, n: number, len: number, write: boolean): Uint8Array {
  const lo = c.args[2 * (n - 1)]! >>> 0;
  return c.mem.check(lo, c.args[2 * n - 1]!, len, write).subarray(lo, lo + len);
}

/** The entry an nf_conn argument points to (the verifier made sure it is one). */
function entryArg(t: ConntrackTable, c: HelperCall, n: number): Entry {
  const [lo, hi] = ptrArg(c, n);
  const r = c.mem.region(hi);
  const e = r && lo === 0 ? t.byBytes.get(r.u8) : undefined;
  if (!e) c.fault(`r${n} is not a struct nf_conn`);
  return e;
}

/** `bpf_nf_ct_tuple_parse` for the original direction: the tuple, or a negative errno. */
function parseTuple(b: Uint8Array, len: number, proto: number): Tuple | number {
  if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return -EPROTO;
  // struct bpf_sock_tuple: ipv4 {saddr, daddr, sport, dport} or ipv6 {saddr[4], daddr[4], sport, dport}.
  if (len === 12) return { family: AF_INET, src: b.slice(0, 4), dst: b.slice(4, 8), sport: b.slice(8, 10), dport: b.slice(10, 12), proto };
  if (len === 36) return { family: AF_INET6, src: b.slice(0, 16), dst: b.slice(16, 32), sport: b.slice(32, 34), dport: b.slice(34, 36), proto };
  return -EAFNOSUPPORT;
}

/**
 * The option checks shared by lookup and alloc (`__bpf_nf_ct_lookup`, `__bpf_nf_ct_alloc_entry`),
 * in the kernel's order: the tuple, or a negative errno.
 */
function parseArgs(c: HelperCall, lookup: boolean): { tuple: Tuple; zoneId: number; zoneDir: number; opts: Uint8Array } | number {
  const optsLen = c.u32(5);
  if (optsLen !== NF_BPF_CT_OPTS_SZ && optsLen !== 12) return -EINVAL;
  const opts = bytesArg(c, 4, optsLen, true);
  const ov = new DataView(opts.buffer, opts.byteOffset, opts.length);
  const netnsId = ov.getInt32(0, true);
  const l4proto = opts[8]!;
  const zoneId = ov.getUint16(10, true);
  let zoneDir = 0;
  if (optsLen === NF_BPF_CT_OPTS_SZ) {
    zoneDir = opts[12]!;
    if (opts[13] || opts[14] || opts[15]) return -EINVAL;
  } else if (zoneId) return -EINVAL;
  if (lookup && l4proto !== IPPROTO_TCP && l4proto !== IPPROTO_UDP) return -EPROTO;
  if (netnsId < -1) return -EINVAL;
  const tupleLen = c.u32(3);
  const tuple = parseTuple(bytesArg(c, 2, tupleLen, false), tupleLen, l4proto);
  if (typeof tuple === 'number') return tuple;
  if (netnsId >= 0) return -ENONET;
  if (optsLen === NF_BPF_CT_OPTS_SZ) {
    if (zoneDir === 0) {
      zoneDir = NF_CT_DEFAULT_ZONE_DIR;
      opts[12] = zoneDir;
    }
  } else zoneDir = NF_CT_DEFAULT_ZONE_DIR;
  return { tuple, zoneId, zoneDir, opts };
}

/** `bpf_ct_opts_result`: an error goes to opts->error (when opts reaches it) and r0 = NULL. */
function fail(c: HelperCall, err: number): void {
  if (c.u32(5) >= 8) {
    const o = bytesArg(c, 4, 8, true);
    new DataView(o.buffer, o.byteOffset, 8).setInt32(4, err, true);
  }
  c.ret(0);
}

/** The conntrack kfuncs of one table, by name. */
export function conntrackKfuncs(t: ConntrackTable): Record<string, HelperFn> {
  return {
    bpf_xdp_ct_lookup: (c) => {
      const a = parseArgs(c, true);
      if (typeof a === 'number') return fail(c, a);
      const hit = t.find(a.tuple, a.zoneId, a.zoneDir);
      if (!hit) return fail(c, -ENOENT);
      a.opts[9] = hit.dir;
      c.retPtr(0, c.mem.expose(hit.e.bytes, true));
    },
    bpf_xdp_ct_alloc: (c) => {
      const a = parseArgs(c, false);
      if (typeof a === 'number') return fail(c, a);
      const e = t.alloc(a.tuple, a.zoneId, a.zoneDir, 10 * HZ);
      c.retPtr(0, c.mem.expose(e.bytes, true));
    },
    bpf_ct_insert_entry: (c) => {
      const e = entryArg(t, c, 1);
      if (t.insert(e) < 0) return c.ret(0);
      c.retPtr(0, c.mem.expose(e.bytes, true));
    },
    bpf_ct_release: (c) => {
      entryArg(t, c, 1);
    },
    bpf_ct_set_timeout: (c) => {
      t.setTimeout(entryArg(t, c, 1), msecsToJiffies(c.u32(2)));
    },
    bpf_ct_change_timeout: (c) => {
      const e = entryArg(t, c, 1);
      if (status(e) & IPS_FIXED_TIMEOUT) return c.ret(-EPERM);
      t.setTimeout(e, msecsToJiffies(c.u32(2)));
      c.ret(status(e) & IPS_DYING ? -ETIME : 0);
    },
    bpf_ct_set_status: (c) => c.ret(changeStatus(entryArg(t, c, 1), c.u32(2))),
    bpf_ct_change_status: (c) => c.ret(changeStatus(entryArg(t, c, 1), c.u32(2))),
  };
}
