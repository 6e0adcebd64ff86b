/**
 * BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c): no keys, values
 * pushed and popped (FIFO for a queue, LIFO for a stack). Pushing onto a full map is E2BIG
 * unless BPF_EXIST is given, which drops the oldest value; BPF_NOEXIST or any other flag is
 * EINVAL; popping or peeking an empty map is ENOENT. From user space an update pushes, a lookup
 * peeks, a lookup-and-delete pops; delete and get_next_key are EINVAL.
 */
import { E2BIG, EINVAL, ENOENT } from '../errno';
import { BPF_EXIST, BPF_NOEXIST } from './flags';
import { BpfMap, hex, snapArray, snapError, unhex, type BytesOrErrno, type MapAttr, type MapEnv } from './map';

/** A queue (FIFO) or stack (LIFO) map. */
export class QueueStackMap extends BpfMap {
  /** Values from oldest to newest. */
  private values: Uint8Array[] = [];
  private readonly lifo: boolean;

  constructor(id: number, attr: MapAttr, env: MapEnv, lifo: boolean) {
    super(id, attr, env);
    this.lifo = lifo;
  }

  get size(): number {
    return this.values.length;
  }

  override pushElem(value: Uint8Array, flags: number): number {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -EINVAL;
    if (this.values.length >= this.maxEntries) {
      if (!(flags & BPF_EXIST)) return -E2BIG;
      this.values.shift(); // the kernel advances the tail: the oldest value goes
    }
    this.values.push(value.slice(0, this.valueSize));
    return 0;
  }

  override popElem(): BytesOrErrno {
    const v = this.lifo ? this.values.pop() : this.values.shift();
    return v ?? -ENOENT;
  }

  override peekElem(): BytesOrErrno {
    const v = this.lifo ? this.values[this.values.length - 1] : this.values[0];
    return v ? v.slice() : -ENOENT;
  }

  override updateElem(): number {
    return -EINVAL;
  }

  override deleteElem(): number {
    return -EINVAL;
  }

  override getNextKey(): BytesOrErrno {
    return -EINVAL;
  }

  protected override sysLookup(): BytesOrErrno {
    return this.peekElem();
  }

  protected override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.pushElem(value, flags);
  }

  protected override sysLookupAndDelete(_key: Uint8Array, flags: number): BytesOrErrno {
    if (flags) return -EINVAL;
    return this.popElem();
  }

  protected snapshotData(): unknown {
    return { values: this.values.map(hex) };
  }

  restoreData(data: unknown): void {
    const vs = snapArray((data as { values?: unknown })?.values, 'queue values');
    if (vs.length > this.maxEntries) throw snapError(`${vs.length} values in a map of ${this.maxEntries}`);
    this.values = vs.map((v, i) => unhex(v, this.valueSize, `value ${i}`));
  }
}
