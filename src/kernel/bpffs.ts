/**
 * The emulated bpffs (`mount -t bpf bpf /sys/fs/bpf`): pins keep programs, maps and links alive
 * beyond the process that made them (kernel/bpf/inode.c). Pins are plain data (path → object)
 * in the XDP state; the errors are those of BPF_OBJ_PIN / BPF_OBJ_GET: a path outside a bpffs
 * mount is EINVAL... here, a path not under /sys/fs/bpf; an existing path EEXIST; a missing
 * parent directory ENOENT; a missing pin ENOENT.
 */
import { XdptsError } from '../util/errors';
import type { PinEntry, XdpState } from './xdp/state';

/** Where the emulated bpffs is mounted. */
export const BPFFS_ROOT = '/sys/fs/bpf';

/** A bpffs operation failed with an errno. */
export class BpffsError extends XdptsError {
  readonly errno: number;
  constructor(errno: number, code: string, message: string) {
    super(message, code);
    this.name = 'BpffsError';
    this.errno = errno;
  }
}

/** Normalises a path (collapses `//`, `.`, trailing `/`); must be absolute. */
export function normalisePath(path: string): string {
  if (!path.startsWith('/')) path = `${BPFFS_ROOT}/${path}`;
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

function parentOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** The pins of one kernel's XDP state. */
export class Bpffs {
  constructor(private readonly state: XdpState) {}

  private inFs(path: string): boolean {
    return path === BPFFS_ROOT || path.startsWith(BPFFS_ROOT + '/');
  }

  /** True when `path` is a directory of the bpffs (the mount root, a mkdir'ed one, or a parent of a pin). */
  isDir(path: string): boolean {
    const p = normalisePath(path);
    if (p === BPFFS_ROOT) return true;
    if (this.state.dirs.includes(p)) return true;
    return false;
  }

  /** mkdir -p under the mount. */
  mkdirp(path: string): void {
    const p = normalisePath(path);
    if (!this.inFs(p)) throw new BpffsError(22, 'EINVAL', `${p} is not on a bpf filesystem (mounted at ${BPFFS_ROOT})`);
    for (let d = p; d !== BPFFS_ROOT && d.length > BPFFS_ROOT.length; d = parentOf(d)) {
      if (this.state.pins[d]) throw new BpffsError(17, 'EEXIST', `${d} exists and is not a directory`);
      if (!this.state.dirs.includes(d)) this.state.dirs.push(d);
    }
  }

  /** BPF_OBJ_PIN: pins an object at `path`. */
  pin(path: string, entry: PinEntry): string {
    const p = normalisePath(path);
    if (!this.inFs(p) || p === BPFFS_ROOT) throw new BpffsError(22, 'EINVAL', `can't pin the object at ${p}: not on a bpf filesystem`);
    if (this.state.pins[p] || this.state.dirs.includes(p)) throw new BpffsError(17, 'EEXIST', `can't pin the object (${p}): File exists`);
    // bpftool then tries to mount a bpffs on the missing parent, and says so (observed).
    if (!this.isDir(parentOf(p)))
      throw new BpffsError(2, 'ENOENT', `can't mount BPF file system to pin the object (${p}): mount --make-private ${parentOf(p)} failed: No such file or directory`);
    this.state.pins[p] = { ...entry };
    return p;
  }

  /** BPF_OBJ_GET: the object pinned at `path`, or undefined. */
  get(path: string): PinEntry | undefined {
    return this.state.pins[normalisePath(path)];
  }

  /** unlink(2) of a pin; false when there was none. */
  unpin(path: string): boolean {
    const p = normalisePath(path);
    if (!this.state.pins[p]) return false;
    delete this.state.pins[p];
    return true;
  }

  /** rm -r of a directory and every pin below it. */
  removeTree(path: string): void {
    const p = normalisePath(path);
    for (const k of Object.keys(this.state.pins)) if (k === p || k.startsWith(p + '/')) delete this.state.pins[k];
    this.state.dirs = this.state.dirs.filter((d) => d !== p && !d.startsWith(p + '/'));
  }

  /** Every pin, sorted by path. */
  list(): [string, PinEntry][] {
    return Object.entries(this.state.pins).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Ids of every pinned object of a kind. */
  pinnedIds(kind: PinEntry['kind']): Set<number> {
    const s = new Set<number>();
    for (const e of Object.values(this.state.pins)) if (e.kind === kind) s.add(e.id);
    return s;
  }
}
