/**
 * BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): longest-prefix match over keys laid out as
 * `struct bpf_lpm_trie_key_u8 { __u32 prefixlen; __u8 data[]; }` (prefixlen in host order, data
 * in network order, most significant bit first).
 *
 * The trie is the kernel's own structure — path-compressed binary nodes, intermediate nodes
 * flagged and always with two children — so lookups, deletes and above all get_next_key (a
 * post-order walk: more specific prefixes before less specific ones) give the kernel's answers
 * and order. A replacing update keeps the node's value buffer (written in place).
 */
import { EEXIST, EINVAL, ENOENT, ENOSPC } from '../errno';
import { BPF_EXIST, BPF_NOEXIST } from './flags';
import {
  BpfMap,
  hex,
  readU32,
  snapArray,
  snapError,
  unhex,
  writeU32,
  type BytesOrErrno,
  type MapAttr,
  type MapElem,
  type MapEnv,
} from './map';

interface Node {
  prefixlen: number;
  /** Intermediate node (LPM_TREE_NODE_FLAG_IM): no value, exactly two children. */
  im: boolean;
  readonly data: Uint8Array;
  value: Uint8Array;
  child: [Node | null, Node | null];
}

/** A slot holding a node pointer: the root or a child of some node. */
interface Slot {
  get(): Node | null;
  set(n: Node | null): void;
}

/** Bit `index` of `data`, most significant bit of byte 0 first (extract_bit). */
function extractBit(data: Uint8Array, index: number): 0 | 1 {
  return ((data[index >> 3]! >> (7 - (index & 7))) & 1) as 0 | 1;
}

/** An LPM trie map. */
export class LpmTrieMap extends BpfMap {
  private root: Node | null = null;
  private nEntries = 0;
  private readonly dataSize: number;
  private readonly maxPrefixlen: number;

  constructor(id: number, attr: MapAttr, env: MapEnv) {
    super(id, attr, env);
    this.dataSize = attr.keySize - 4;
    this.maxPrefixlen = this.dataSize * 8;
  }

  get size(): number {
    return this.nEntries;
  }

  private readonly rootSlot: Slot = { get: () => this.root, set: (n) => (this.root = n) };

  private static childSlot(node: Node, bit: 0 | 1): Slot {
    return { get: () => node.child[bit], set: (n) => (node.child[bit] = n) };
  }

  /** longest_prefix_match: bits of `node` matching `key`, capped at both prefix lengths. */
  private match(node: Node, keyPrefixlen: number, key: Uint8Array): number {
    const limit = Math.min(node.prefixlen, keyPrefixlen);
    let n = 0;
    for (let i = 0; i < this.dataSize && n < limit; i++) {
      const diff = node.data[i]! ^ key[4 + i]!;
      if (diff === 0) {
        n += 8;
        continue;
      }
      n += Math.clz32(diff) - 24;
      break;
    }
    return Math.min(n, limit);
  }

  private keyData(key: Uint8Array): Uint8Array {
    return key.subarray(4, 4 + this.dataSize);
  }

  override lookupElem(key: Uint8Array): Uint8Array | null {
    const plen = readU32(key);
    if (plen > this.maxPrefixlen) return null;
    let found: Node | null = null;
    for (let node = this.root; node; ) {
      const m = this.match(node, plen, key);
      if (m === this.maxPrefixlen) {
        found = node;
        break;
      }
      if (m < node.prefixlen) break;
      if (!node.im) found = node;
      node = node.child[extractBit(key, 32 + node.prefixlen)];
    }
    return found ? found.value : null;
  }

  /** trie_check_add_elem: a new element needs BPF_EXIST unset and room. */
  private checkAdd(flags: number): number {
    if (flags === BPF_EXIST) return -ENOENT;
    if (this.nEntries === this.maxEntries) return -ENOSPC;
    this.nEntries++;
    return 0;
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const plen = readU32(key);
    if (plen > this.maxPrefixlen) return -EINVAL;
    const fresh = (): Node => ({
      prefixlen: plen,
      im: false,
      data: this.keyData(key).slice(),
      value: value.slice(0, this.valueSize),
      child: [null, null],
    });
    let slot = this.rootSlot;
    let node: Node | null;
    let m = 0;
    while ((node = slot.get())) {
      m = this.match(node, plen, key);
      if (node.prefixlen !== m || node.prefixlen === plen) break;
      slot = LpmTrieMap.childSlot(node, extractBit(key, 32 + node.prefixlen));
    }
    if (!node) {
      const r = this.checkAdd(flags);
      if (r) return r;
      slot.set(fresh());
      return 0;
    }
    if (node.prefixlen === m) {
      // The exact prefix is present (as an element or an intermediate node).
      // The kernel swaps in a new node holding the key's data bits (which may differ beyond
      // the prefix) with the old children; here the node takes that data in place.
      if (!node.im) {
        if (flags === BPF_NOEXIST) return -EEXIST;
        node.data.set(this.keyData(key));
        node.value.set(value.subarray(0, this.valueSize));
        return 0;
      }
      const r = this.checkAdd(flags);
      if (r) return r;
      node.data.set(this.keyData(key));
      node.im = false;
      node.value = value.slice(0, this.valueSize);
      return 0;
    }
    const r = this.checkAdd(flags);
    if (r) return r;
    const n = fresh();
    if (m === plen) {
      // The new prefix covers the node: insert it as the node's parent.
      n.child[extractBit(node.data, m)] = node;
      slot.set(n);
      return 0;
    }
    const im: Node = { prefixlen: m, im: true, data: node.data.slice(), value: new Uint8Array(0), child: [null, null] };
    if (extractBit(key, 32 + m)) im.child = [node, n];
    else im.child = [n, node];
    slot.set(im);
    return 0;
  }

  override deleteElem(key: Uint8Array): number {
    const plen = readU32(key);
    if (plen > this.maxPrefixlen) return -EINVAL;
    let trim = this.rootSlot;
    let trim2 = trim;
    let parent: Node | null = null;
    let node: Node | null;
    let m = 0;
    while ((node = trim.get())) {
      m = this.match(node, plen, key);
      if (node.prefixlen !== m || node.prefixlen === plen) break;
      parent = node;
      trim2 = trim;
      trim = LpmTrieMap.childSlot(node, extractBit(key, 32 + node.prefixlen));
    }
    if (!node || node.prefixlen !== plen || node.prefixlen !== m || node.im) return -ENOENT;
    this.nEntries--;
    if (node.child[0] && node.child[1]) {
      node.im = true; // two children: becomes an intermediate node
      return 0;
    }
    if (parent && parent.im && !node.child[0] && !node.child[1]) {
      // Remove the now useless intermediate parent too, promoting the sibling.
      trim2.set(node === parent.child[0] ? parent.child[1] : parent.child[0]);
      return 0;
    }
    trim.set(node.child[0] ?? node.child[1] ?? null);
    return 0;
  }

  private keyOf(node: Node): Uint8Array {
    const k = new Uint8Array(this.keySize);
    writeU32(k, 0, node.prefixlen);
    k.set(node.data, 4);
    return k;
  }

  /** The leftmost element in post-order below `root` (find_leftmost of trie_get_next_key). */
  private leftmost(root: Node | null): Node | null {
    let next: Node | null = null;
    for (let node = root; node; ) {
      if (node.im) node = node.child[0];
      else {
        next = node;
        node = node.child[0] ?? next.child[1];
      }
    }
    return next;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    if (!this.root) return -ENOENT;
    const plen = key ? readU32(key) : 0;
    if (!key || plen > this.maxPrefixlen) return this.keyOf(this.leftmost(this.root)!);
    const stack: Node[] = [];
    let node: Node | null = this.root;
    let m = 0;
    while (node) {
      stack.push(node);
      m = this.match(node, plen, key);
      if (node.prefixlen !== m || node.prefixlen === plen) break;
      node = node.child[extractBit(key, 32 + node.prefixlen)];
    }
    if (!node || node.prefixlen !== m || node.im) return this.keyOf(this.leftmost(this.root)!);
    // Exact node found: the next one in post-order.
    let cur = stack[stack.length - 1]!;
    for (let sp = stack.length - 1; sp > 0; sp--) {
      const parent = stack[sp - 1]!;
      if (parent.child[0] === cur && parent.child[1]) return this.keyOf(this.leftmost(parent.child[1])!);
      if (!parent.im) return this.keyOf(parent);
      cur = parent;
    }
    return -ENOENT;
  }

  override *elems(): Iterable<MapElem> {
    for (const k of [...this.keys()]) {
      const n = this.exact(k);
      if (n) yield { key: k, value: n.value };
    }
  }

  /** The element with exactly this prefix, for iteration. */
  private exact(key: Uint8Array): Node | null {
    const plen = readU32(key);
    for (let node = this.root; node; ) {
      const m = this.match(node, plen, key);
      if (node.prefixlen !== m) return null;
      if (node.prefixlen === plen) return node.im ? null : node;
      node = node.child[extractBit(key, 32 + node.prefixlen)];
    }
    return null;
  }

  protected snapshotData(): unknown {
    // Keys in post-order; re-inserting them rebuilds the same trie shape.
    return { entries: [...this.keys()].map((k) => [hex(k), hex(this.exact(k)!.value)]) };
  }

  restoreData(data: unknown): void {
    this.root = null;
    this.nEntries = 0;
    for (const e of snapArray((data as { entries?: unknown })?.entries, 'lpm entries')) {
      const [k, v] = snapArray(e, 'lpm entry');
      const r = this.updateElem(unhex(k, this.keySize, 'lpm key'), unhex(v, this.valueSize, 'lpm value'), 0);
      if (r) throw snapError(`lpm entry ${String(k)} cannot be inserted (${r})`);
    }
  }
}
