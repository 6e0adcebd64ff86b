/**
 * Pinning maps and programs in the emulated bpffs (BPF_OBJ_PIN, unlink of the pin), which lives
 * in the shared state: a pin made here is what `xdpts map show`/`bpftool`-style commands of the
 * CLI see, and it keeps the object alive after this process closes its handles.
 */
import type { PinEntry } from '../kernel';
import { XdptsError } from '../util/errors';
import { collect } from './gc';
import type { Host } from './host';

/** Pin operations of one state directory. */
export class PinService {
  /** Paths this process pinned, by object (the handle's `pinned`). */
  private readonly mine = new Map<string, string>();

  constructor(private readonly host: Host) {}

  /** BPF_OBJ_PIN of object `id` at `path` (absolute under /sys/fs/bpf, or relative to it). */
  pin(kind: PinEntry['kind'], id: number, path: string): string {
    const p = this.host.write((t) => {
      const exists = kind === 'map' ? t.kernel.map(id) : t.kernel.program(id);
      if (!exists) throw new XdptsError(`${kind} id ${id} no longer exists`, 'ENOENT');
      return t.xdp().bpffs.pin(path, { kind, id });
    });
    this.mine.set(`${kind}:${id}`, p);
    return p;
  }

  /**
   * Removes the pin at `path` (it must pin this object); the object is freed if that was its
   * last reference.
   */
  unpin(kind: PinEntry['kind'], id: number, path: string): void {
    this.host.write((t) => {
      const fs = t.xdp().bpffs;
      const e = fs.get(path);
      if (!e || e.kind !== kind || e.id !== id) throw new XdptsError(`${path} does not pin ${kind} id ${id}`, 'ENOENT');
      fs.unpin(path);
      collect(t, this.host.stateDir, kind === 'prog' ? [id] : [], kind === 'map' ? [id] : []);
    });
    this.mine.delete(`${kind}:${id}`);
  }

  /** The path this process pinned the object at, else the first pin of it in the state. */
  pinnedPath(kind: PinEntry['kind'], id: number): string | undefined {
    const own = this.mine.get(`${kind}:${id}`);
    return this.host.read((t) => {
      const fs = t.xdp().bpffs;
      if (own !== undefined) {
        const e = fs.get(own);
        if (e && e.kind === kind && e.id === id) return own;
      }
      return fs.list().find(([, e]) => e.kind === kind && e.id === id)?.[0];
    });
  }
}
