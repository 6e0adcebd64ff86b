/**
 * The LRU machinery of LRU_HASH / LRU_PERCPU_HASH maps, transcribed in behaviour from the
 * kernel's kernel/bpf/bpf_lru_list.c so that the same operations evict the same elements:
 *
 * - Every preallocated element has a node. Nodes live on an active, an inactive or a free list,
 *   or (common LRU) on a CPU's local free stack or pending list.
 * - A program lookup sets the node's reference bit; rotations give referenced nodes a second
 *   chance (back to active) and demote the others (active → inactive).
 * - Taking a free node (`pop_free`) refills the CPU's local free stack with `target_free`
 *   nodes from the global free list, shrinking the inactive list (evicting unreferenced
 *   elements from the hash table) when the free list runs out, then stealing from other CPUs.
 * - With BPF_F_NO_COMMON_LRU each CPU has its own list of max_entries / ncpus nodes.
 *
 * Lists are intrusive circular doubly-linked lists with a sentinel head, as in the kernel, so
 * that orders (list_add at the head, reverse walks from the tail) match exactly. User-space
 * calls run on CPU 0 of the emulation.
 */

/** `enum bpf_lru_list_type`. */
const ACTIVE = 0;
const INACTIVE = 1;
const FREE = 2;
const LOCAL_FREE = 3;
const LOCAL_PENDING = 4;
const LOCAL_FREE_TARGET = 128;
const LOCAL_NR_SCANS = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET = 4;
const PERCPU_NR_SCANS = PERCPU_FREE_TARGET;

class Link {
  prev: Link = this;
  next: Link = this;
}

/** One element's LRU node (`struct bpf_lru_node`). */
export class LruNode extends Link {
  type = FREE;
  ref = 0;
  pendingFree = 0;
  cpu = 0;
  /** The hash-table key of the element using this node ('' while free). */
  owner = '';
  constructor(readonly index: number) {
    super();
  }
}

function listDel(n: Link): void {
  n.prev.next = n.next;
  n.next.prev = n.prev;
  n.prev = n;
  n.next = n;
}
function listAdd(n: Link, head: Link): void {
  n.next = head.next;
  n.prev = head;
  head.next.prev = n;
  head.next = n;
}
function listMove(n: Link, head: Link): void {
  listDel(n);
  listAdd(n, head);
}
/** Nodes from tail to head, safe against moving the current one. */
function* reverse(head: Link): Generator<LruNode> {
  for (let n = head.prev, t = n.prev; n !== head; n = t, t = n.prev) yield n as LruNode;
}
/** Nodes from head to tail, safe against moving the current one. */
function* forward(head: Link): Generator<LruNode> {
  for (let n = head.next, t = n.next; n !== head; n = t, t = n.next) yield n as LruNode;
}

/** `struct bpf_lru_list`. */
class LruList {
  readonly lists: [Link, Link, Link] = [new Link(), new Link(), new Link()];
  readonly counts = [0, 0];
  nextInactiveRotation: Link = this.lists[INACTIVE];
}

/** `struct bpf_lru_locallist`: a CPU's free stack (llist) and pending list. */
class LocalList {
  readonly free: LruNode[] = []; // top of the llist = last element
  readonly pending = new Link();
  constructor(public nextSteal: number) {}
}

/** Plain-data form of the LRU state (node indexes per list, head to tail). */
export interface LruSnapshot {
  readonly nodes: readonly [type: number, ref: number, cpu: number, owner: string][];
  readonly lists: readonly (readonly number[])[][];
  readonly rotation: readonly number[];
  readonly local: readonly { free: number[]; pending: number[]; nextSteal: number }[];
}

/** `struct bpf_lru` with its callback into the hash table. */
export class BpfLru {
  readonly nodes: LruNode[] = [];
  private readonly percpu: boolean;
  private readonly ncpus: number;
  private readonly nrScans: number;
  private readonly targetFree: number;
  /** Common LRU: one list; per-CPU LRU: one list per CPU. */
  private readonly lruLists: LruList[];
  private readonly locals: LocalList[];
  /** htab_lru_map_delete_node: removes the node's element from the table; false if not there. */
  private readonly delFromHtab: (node: LruNode) => boolean;

  constructor(nrElems: number, ncpus: number, percpu: boolean, delFromHtab: (node: LruNode) => boolean) {
    this.percpu = percpu;
    this.ncpus = ncpus;
    this.delFromHtab = delFromHtab;
    this.nrScans = percpu ? PERCPU_NR_SCANS : LOCAL_NR_SCANS;
    this.lruLists = Array.from({ length: percpu ? ncpus : 1 }, () => new LruList());
    this.locals = percpu ? [] : Array.from({ length: ncpus }, (_, c) => new LocalList(c));
    for (let i = 0; i < nrElems; i++) this.nodes.push(new LruNode(i));
    if (!percpu) {
      for (const n of this.nodes) listAdd(n, this.lruLists[0]!.lists[FREE]);
      this.targetFree = Math.min(Math.max(Math.floor(Math.floor(nrElems / ncpus) / 2), 1), LOCAL_FREE_TARGET);
    } else {
      // bpf_percpu_lru_populate: max_entries / ncpus nodes per CPU.
      this.targetFree = 0;
      const per = Math.floor(nrElems / ncpus);
      let i = 0;
      for (let cpu = 0; cpu < ncpus && i < nrElems; cpu++) {
        do {
          const n = this.nodes[i++]!;
          n.cpu = cpu;
          listAdd(n, this.lruLists[cpu]!.lists[FREE]);
        } while (i < nrElems && i % per !== 0);
      }
    }
  }

  /** bpf_lru_node_set_ref. */
  static setRef(n: LruNode): void {
    n.ref = 1;
  }

  private countInc(l: LruList, type: number): void {
    if (type < 2) l.counts[type]!++;
  }
  private countDec(l: LruList, type: number): void {
    if (type < 2) l.counts[type]!--;
  }

  private moveToFree(l: LruList, n: LruNode, freeList: Link, type: number): void {
    if (n === l.nextInactiveRotation) l.nextInactiveRotation = l.nextInactiveRotation.prev;
    this.countDec(l, n.type);
    n.type = type;
    n.pendingFree = 0;
    listMove(n, freeList);
  }

  private moveIn(l: LruList, n: LruNode, type: number): void {
    this.countInc(l, type);
    n.type = type;
    n.ref = 0;
    n.pendingFree = 0;
    listMove(n, l.lists[type as 0 | 1 | 2]);
  }

  private move(l: LruList, n: LruNode, type: number): void {
    if (n.type !== type) {
      this.countDec(l, n.type);
      this.countInc(l, type);
      n.type = type;
    }
    n.ref = 0;
    if (n === l.nextInactiveRotation) l.nextInactiveRotation = l.nextInactiveRotation.prev;
    listMove(n, l.lists[type as 0 | 1 | 2]);
  }

  private rotateActive(l: LruList): void {
    const active = l.lists[ACTIVE];
    const first = active.next;
    let i = 0;
    for (const n of reverse(active)) {
      this.move(l, n, n.ref ? ACTIVE : INACTIVE);
      if (++i === this.nrScans || n === first) break;
    }
  }

  private rotateInactive(l: LruList): void {
    const inactive = l.lists[INACTIVE];
    if (inactive.next === inactive) return;
    let last = l.nextInactiveRotation.next;
    if (last === inactive) last = last.next;
    let cur = l.nextInactiveRotation;
    let next: Link = inactive;
    let i = 0;
    while (i < this.nrScans) {
      if (cur === inactive) {
        cur = cur.prev;
        continue;
      }
      next = cur.prev;
      const n = cur as LruNode;
      if (n.ref) this.move(l, n, ACTIVE);
      if (cur === last) break;
      cur = next;
      i++;
    }
    l.nextInactiveRotation = next;
  }

  private shrinkInactive(l: LruList, tgt: number, freeList: Link, type: number): number {
    let shrunk = 0;
    let i = 0;
    for (const n of reverse(l.lists[INACTIVE])) {
      if (n.ref && !n.pendingFree) this.move(l, n, ACTIVE);
      else if (n.pendingFree || this.delFromHtab(n)) {
        this.moveToFree(l, n, freeList, type);
        if (++shrunk === tgt) break;
      }
      if (++i === this.nrScans) break;
    }
    return shrunk;
  }

  private rotate(l: LruList): void {
    if (l.counts[INACTIVE]! < l.counts[ACTIVE]!) this.rotateActive(l);
    this.rotateInactive(l);
  }

  private shrink(l: LruList, tgt: number, freeList: Link, type: number): number {
    const n = this.shrinkInactive(l, tgt, freeList, type);
    if (n) return n;
    const inactive = l.lists[INACTIVE];
    const force = inactive.next !== inactive ? inactive : l.lists[ACTIVE];
    for (const node of reverse(force)) {
      if (node.pendingFree || this.delFromHtab(node)) {
        this.moveToFree(l, node, freeList, type);
        return 1;
      }
    }
    return 0;
  }

  private flushLocal(l: LruList, loc: LocalList): void {
    for (const n of reverse(loc.pending)) this.moveIn(l, n, n.pendingFree ? FREE : n.ref ? ACTIVE : INACTIVE);
  }

  private popFreeToLocal(loc: LocalList): void {
    const l = this.lruLists[0]!;
    this.flushLocal(l, loc);
    this.rotate(l);
    const tmp = new Link();
    let nfree = 0;
    for (const n of forward(l.lists[FREE])) {
      this.moveToFree(l, n, tmp, LOCAL_FREE);
      if (++nfree === this.targetFree) break;
    }
    if (nfree < this.targetFree) this.shrink(l, this.targetFree - nfree, tmp, LOCAL_FREE);
    for (const n of forward(tmp)) {
      listDel(n);
      loc.free.push(n);
    }
  }

  private addPending(loc: LocalList, cpu: number, n: LruNode): void {
    n.cpu = cpu;
    n.type = LOCAL_PENDING;
    n.pendingFree = 0;
    n.ref = 0;
    listAdd(n, loc.pending);
  }

  private popPending(loc: LocalList): LruNode | null {
    for (const force of [false, true]) {
      for (const n of reverse(loc.pending)) {
        if ((!n.ref || force) && (n.pendingFree || this.delFromHtab(n))) {
          listDel(n);
          return n;
        }
      }
    }
    return null;
  }

  /** bpf_lru_pop_free: a node for a new element on `cpu`, evicting if needed; null if none. */
  popFree(cpu: number): LruNode | null {
    if (this.percpu) {
      const l = this.lruLists[cpu]!;
      this.rotate(l);
      const free = l.lists[FREE];
      if (free.next === free) this.shrink(l, PERCPU_FREE_TARGET, free, FREE);
      if (free.next === free) return null;
      const n = free.next as LruNode;
      n.ref = 0;
      this.move(l, n, INACTIVE);
      return n;
    }
    const loc = this.locals[cpu]!;
    let n = loc.free.pop() ?? null;
    if (!n) {
      this.popFreeToLocal(loc);
      n = loc.free.pop() ?? null;
    }
    if (n) {
      this.addPending(loc, cpu, n);
      return n;
    }
    const first = loc.nextSteal;
    let steal = first;
    do {
      const s = this.locals[steal]!;
      n = s.free.pop() ?? this.popPending(s);
      steal = (steal + 1) % this.ncpus;
    } while (!n && steal !== first);
    loc.nextSteal = steal;
    if (!n) return null;
    this.addPending(loc, cpu, n);
    return n;
  }

  /** bpf_lru_push_free: the node's element went away. */
  pushFree(n: LruNode): void {
    n.owner = '';
    if (this.percpu) {
      this.move(this.lruLists[n.cpu]!, n, FREE);
      return;
    }
    if (n.type === LOCAL_PENDING) {
      n.type = LOCAL_FREE;
      n.ref = 0;
      listDel(n);
      this.locals[n.cpu]!.free.push(n);
      return;
    }
    this.move(this.lruLists[0]!, n, FREE);
  }

  /** The whole state as plain data. */
  toSnapshot(): LruSnapshot {
    const ids = (head: Link) => [...forward(head)].map((n) => n.index);
    return {
      nodes: this.nodes.map((n) => [n.type, n.ref, n.cpu, n.owner]),
      lists: this.lruLists.map((l) => l.lists.map(ids)),
      rotation: this.lruLists.map((l) => (l.nextInactiveRotation === l.lists[INACTIVE] ? -1 : (l.nextInactiveRotation as LruNode).index)),
      local: this.locals.map((c) => ({ free: c.free.map((n) => n.index), pending: ids(c.pending), nextSteal: c.nextSteal })),
    };
  }

  /** Restores {@link toSnapshot} output; false when it does not fit this LRU's shape. */
  restore(s: LruSnapshot): boolean {
    if (!s || !Array.isArray(s.nodes) || s.nodes.length !== this.nodes.length || s.lists?.length !== this.lruLists.length) return false;
    if (!Array.isArray(s.local) || s.local.length !== this.locals.length) return false;
    const node = (i: unknown): LruNode => {
      const n = typeof i === 'number' ? this.nodes[i] : undefined;
      if (!n) throw new RangeError(`bad LRU node index ${String(i)}`);
      return n;
    };
    try {
      for (const n of this.nodes) listDel(n);
      s.nodes.forEach(([type, ref, cpu, owner], i) => Object.assign(this.nodes[i]!, { type, ref, cpu, owner, pendingFree: 0 }));
      this.lruLists.forEach((l, li) => {
        l.counts[0] = l.counts[1] = 0;
        l.lists.forEach((head, t) => {
          for (const i of [...(s.lists[li]![t] ?? [])].reverse()) listAdd(node(i), head);
          if (t < 2) l.counts[t] = (s.lists[li]![t] ?? []).length;
        });
        const r = s.rotation[li];
        l.nextInactiveRotation = r === undefined || r < 0 ? l.lists[INACTIVE] : node(r);
      });
      this.locals.forEach((c, ci) => {
        const sc = s.local[ci]!;
        c.free.length = 0;
        c.free.push(...sc.free.map(node));
        for (const i of [...sc.pending].reverse()) listAdd(node(i), c.pending);
        c.nextSteal = sc.nextSteal;
      });
      return true;
    } catch {
      return false;
    }
  }
}
