/**
 * File-descriptor bookkeeping of this process. The kernel frees a map or program when its last
 * reference goes: a file descriptor, a pin, an attachment, a program using the map. Pins and
 * attachments live in the shared state (every process sees them); descriptors are per process,
 * so they are counted here, per state directory, and checked when something might be freed.
 */

/** Counts of open handles by object, per state directory. */
const open = new Map<string, Map<string, number>>();

function key(kind: 'map' | 'prog', id: number): string {
  return `${kind}:${id}`;
}

function table(dir: string): Map<string, number> {
  let t = open.get(dir);
  if (!t) open.set(dir, (t = new Map()));
  return t;
}

/** Records a new open handle (an fd) on object `id` of state directory `dir`. */
export function acquire(dir: string, kind: 'map' | 'prog', id: number): void {
  const t = table(dir);
  t.set(key(kind, id), (t.get(key(kind, id)) ?? 0) + 1);
}

/** Drops one handle; returns true when it was the process's last one on that object. */
export function release(dir: string, kind: 'map' | 'prog', id: number): boolean {
  const t = table(dir);
  const n = (t.get(key(kind, id)) ?? 0) - 1;
  if (n > 0) {
    t.set(key(kind, id), n);
    return false;
  }
  t.delete(key(kind, id));
  return true;
}

/** True while this process holds a handle on the object. */
export function isHeld(dir: string, kind: 'map' | 'prog', id: number): boolean {
  return (open.get(dir)?.get(key(kind, id)) ?? 0) > 0;
}

/** Ids of the objects of a kind this process holds in `dir`. */
export function heldIds(dir: string, kind: 'map' | 'prog'): Set<number> {
  const s = new Set<number>();
  for (const [k, n] of open.get(dir) ?? []) if (n > 0 && k.startsWith(`${kind}:`)) s.add(Number(k.slice(kind.length + 1)));
  return s;
}

/**
 * A handle: one counted reference on an object, released once. `raw` views and typed views
 * made from one detach share a Fd, as two Go values share one descriptor.
 */
export class Fd {
  private closedFlag = false;

  constructor(
    readonly dir: string,
    readonly kind: 'map' | 'prog',
    readonly id: number,
    private readonly onLast: () => void,
  ) {
    acquire(dir, kind, id);
    // An in-memory kernel dies with the process: nothing to release at exit, and holding the
    // handle here would keep a test's whole kernel alive until then.
    if (dir.startsWith('memory:')) return;
    live.add(this);
    onExit(closeAllFds);
  }

  /** True once closed. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /** Closes the handle (idempotent); the last one of the process runs the free check. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    live.delete(this);
    if (release(this.dir, this.kind, this.id)) this.onLast();
  }
}

/** The open handles of this process. */
const live = new Set<Fd>();

/** The kernel closes every fd of an exiting process: programs first, then maps. */
function closeAllFds(): void {
  for (const kind of ['prog', 'map'] as const)
    for (const fd of [...live])
      if (fd.kind === kind) {
        try {
          fd.close();
        } catch {
          // The state may be gone (a removed directory): nothing left to free.
        }
      }
}

/** Exit work in registration order, run by one `exit` listener. */
const exitWork = new Set<() => void>();

/**
 * Runs `fn` (once, however often it is registered) when the process exits, as the kernel
 * releases a process's fds and links when it exits. `exit` listeners must be synchronous, and
 * every transaction here is. A process killed by a signal it does not handle runs none of this.
 */
export function onExit(fn: () => void): void {
  if (exitWork.size === 0)
    process.on('exit', () => {
      for (const w of exitWork) w();
    });
  exitWork.add(fn);
}
