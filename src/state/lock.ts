/**
 * An exclusive, cross-process lock on the state directory: a lock file created with O_EXCL
 * holding `pid hostname time`. A lock whose owner process is gone (or that is older than
 * `staleMs` and unreadable) is broken, so a killed command never wedges the state.
 */
import { closeSync, lstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync, constants } from 'node:fs';
import { hostname } from 'node:os';
import { StateError } from './errors';

/** How long to wait for the lock before giving up, and when a lock file counts as stale. */
export interface LockOptions {
  /** Give up after this many milliseconds (default 30 s). */
  timeoutMs?: number;
  /** A lock file whose owner cannot be checked is broken after this age (default 60 s). */
  staleMs?: number;
}

/** A held lock; `release()` removes the lock file (idempotent). */
export interface HeldLock {
  readonly path: string;
  release(): void;
}

/** A lock file's content as `acquireLock` writes it: `pid hostname time`. */
const LOCK_LINE = /^\d+ \S+ \d+\n?$/;

/**
 * An owner writes its line right after creating the file, so an empty or malformed lock older
 * than this was not written by xdpts (or its writer died in between): it is broken at once.
 */
const ODD_LOCK_MS = 250;

/** Removes whatever stands at a lock path when it is not a regular file (`xdpts reset` recovers from anything). */
export function clearOddLock(path: string): void {
  try {
    if (!lstatSync(path).isFile()) rmSync(path, { recursive: true, force: true });
  } catch {
    /* nothing there */
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps synchronously (the lock is taken before any async work of a command begins). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function ownerAlive(content: string): boolean | undefined {
  const [pidText, host] = content.trim().split(/\s+/);
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (host !== undefined && host !== hostname()) return undefined;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a stale lock file atomically: rename it away first so two breakers cannot both win. */
function breakStale(path: string, seen: string): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return; // somebody else broke or released it
  }
  let now = '';
  try {
    now = readFileSync(aside, 'utf8');
  } catch {
    /* gone */
  }
  if (now !== seen) {
    // We moved a fresh lock taken between our read and rename: put it back.
    try {
      renameSync(aside, path);
    } catch {
      /* ignore */
    }
    return;
  }
  rmSync(aside, { force: true });
}

/**
 * Takes the lock at `path`, waiting (with a small backoff) while another live process holds it.
 * Throws StateError when the timeout expires.
 */
export function acquireLock(path: string, options: LockOptions = {}): HeldLock {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = options.staleMs ?? 60_000;
  const start = Date.now();
  let delay = 1;
  for (;;) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      writeSync(fd, `${process.pid} ${hostname()} ${Date.now()}\n`);
      closeSync(fd);
      let released = false;
      return {
        path,
        release(): void {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new StateError(`cannot create lock file ${path}: ${(e as Error).message}`, path, 'EACCES');
    }
    let content = '';
    try {
      if (!lstatSync(path).isFile()) {
        throw new StateError(`the lock path ${path} is not a lock file (something else stands there); run \`xdpts reset\` or remove it`, path, 'EISDIR');
      }
      content = readFileSync(path, 'utf8');
    } catch (e) {
      if (e instanceof StateError) throw e;
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // released meanwhile: retry at once
      throw new StateError(`cannot read the lock file ${path}: ${(e as Error).message}`, path, 'EACCES');
    }
    const alive = ownerAlive(content);
    let age = 0;
    try {
      age = Date.now() - statSync(path).mtimeMs;
    } catch {
      continue;
    }
    const odd = !LOCK_LINE.test(content) && age > ODD_LOCK_MS;
    if (alive === false || odd || (alive === undefined && age > staleMs && content !== '')) {
      breakStale(path, content);
      continue;
    }
    if (Date.now() - start > timeoutMs) {
      throw new StateError(
        `the state is locked by another xdpts command (${path}: ${content.trim() || 'no owner'}); if none is running, remove the lock file`,
        path,
        'EBUSY',
      );
    }
    sleepSync(delay);
    delay = Math.min(delay * 2, 20);
  }
}
