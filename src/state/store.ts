/**
 * The state store: one directory (`XDPTS_STATE_DIR`) holding `state.json`, a versioned snapshot
 * `{version, kernel, net}` of plain data, so the emulated kernel and network survive between
 * commands. Every command runs its whole read-modify-write under one exclusive lock, and writes
 * are atomic (temporary file, fsync, rename, fsync of the directory), so parallel commands lose
 * nothing and a crash leaves either the old or the new snapshot, never half of one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StateError } from './errors';
import { acquireLock, clearOddLock, type LockOptions } from './lock';

/** The snapshot format version this xdpts writes; a newer one on disk is refused. */
export const STATE_VERSION = 1;

/** The snapshot: the kernel part is opaque here (owned by src/kernel), the net part by src/net. */
export interface StateSnapshot {
  version: number;
  /** Whatever plain-data object the emulated kernel hands out, or null before first use. */
  kernel: unknown;
  /** The emulated network's plain data, or null before first use. */
  net: unknown;
}

/** The state directory: `XDPTS_STATE_DIR`, else `$XDG_STATE_HOME/xdpts`, else `~/.local/state/xdpts`. */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env['XDPTS_STATE_DIR'];
  if (explicit) return explicit;
  const xdg = env['XDG_STATE_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'state'), 'xdpts');
}

/** A fresh, empty snapshot. */
export function emptySnapshot(): StateSnapshot {
  return { version: STATE_VERSION, kernel: null, net: null };
}

/** Says what is wrong with a snapshot (a path and the problem), or undefined when it is usable. */
export type SnapshotCheck = (snapshot: StateSnapshot) => string | undefined;

/** Options of one state transaction. */
export interface TransactionOptions {
  /** Read only: the snapshot is not written back. */
  readonly?: boolean;
}

/** The store over one directory. */
export class StateStore {
  /** The directory. */
  readonly dir: string;
  /** The snapshot file. */
  readonly file: string;
  /** The lock file. */
  readonly lockFile: string;
  private readonly lockOptions: LockOptions;
  private readonly validate: SnapshotCheck | undefined;

  /**
   * `validate` says what is wrong with a snapshot's parts (the kernel's and the network's shape
   * checks); a transaction on a snapshot it finds fault with is refused before it starts, so a
   * damaged state is never worked on nor silently rewritten.
   */
  constructor(dir: string = defaultStateDir(), lockOptions: LockOptions = {}, validate?: SnapshotCheck) {
    this.dir = dir;
    this.file = join(dir, 'state.json');
    this.lockFile = join(dir, 'state.lock');
    this.lockOptions = lockOptions;
    this.validate = validate;
  }

  /** Reads the snapshot and refuses it when `validate` finds it damaged. */
  private readChecked(): StateSnapshot {
    const snap = this.read();
    const problem = this.validate?.(snap);
    if (problem) {
      throw new StateError(`the state file ${this.file} is damaged (${problem}); run \`xdpts reset\` to start from a fresh state`, this.file, 'ECORRUPT');
    }
    return snap;
  }

  private ensureDir(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw new StateError(`cannot create the state directory ${this.dir}: ${(e as Error).message}`, this.dir, 'EACCES');
    }
  }

  /** Reads the snapshot (a fresh one when the file does not exist). Not locked: use `withState`. */
  read(): StateSnapshot {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptySnapshot();
      throw new StateError(`cannot read the state file ${this.file}: ${(e as Error).message}`, this.file, 'EACCES');
    }
    return parseSnapshot(text, this.file);
  }

  /** Writes the snapshot atomically: temporary file + fsync + rename + directory fsync. */
  write(snapshot: StateSnapshot): void {
    this.ensureDir();
    const body = JSON.stringify({ ...snapshot, version: STATE_VERSION });
    const tmp = `${this.file}.tmp.${process.pid}`;
    try {
      const fd = openSync(tmp, 'w', 0o644);
      try {
        writeSync(fd, body);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      try {
        const dfd = openSync(this.dir, 'r');
        try {
          fsyncSync(dfd);
        } finally {
          closeSync(dfd);
        }
      } catch {
        // Some filesystems refuse fsync on a directory; the rename is still atomic.
      }
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new StateError(`cannot write the state file ${this.file}: ${(e as Error).message}`, this.file, 'EIO');
    }
  }

  /**
   * Runs `fn` on the snapshot under the exclusive lock, then writes the (possibly mutated)
   * snapshot back unless `readonly`. The lock is held for the whole read-modify-write, even
   * while `fn` awaits, so 16 parallel commands incrementing one counter lose nothing.
   */
  async withState<T>(fn: (snapshot: StateSnapshot) => T | Promise<T>, options: TransactionOptions = {}): Promise<T> {
    this.ensureDir();
    const lock = acquireLock(this.lockFile, this.lockOptions);
    try {
      const snap = this.readChecked();
      const result = await fn(snap);
      if (!options.readonly) this.write(snap);
      return result;
    } finally {
      lock.release();
    }
  }

  /** The synchronous twin of `withState`, for callers with no async work. */
  withStateSync<T>(fn: (snapshot: StateSnapshot) => T, options: TransactionOptions = {}): T {
    this.ensureDir();
    const lock = acquireLock(this.lockFile, this.lockOptions);
    try {
      const snap = this.readChecked();
      const result = fn(snap);
      if (!options.readonly) this.write(snap);
      return result;
    } finally {
      lock.release();
    }
  }

  /**
   * Removes the snapshot (under the lock): the way out of a corrupt or newer-version state. It
   * always recovers: whatever stands at the snapshot's path (a directory too) is removed, and so
   * is a lock path that is not a lock file.
   */
  reset(): void {
    this.ensureDir();
    clearOddLock(this.lockFile);
    const lock = acquireLock(this.lockFile, this.lockOptions);
    try {
      rmSync(this.file, { force: true, recursive: true });
    } finally {
      lock.release();
    }
  }
}

/** Parses and validates snapshot text; a StateError names the file and suggests `xdpts reset`. */
export function parseSnapshot(text: string, file: string): StateSnapshot {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new StateError(
      `the state file ${file} is corrupt (${(e as Error).message}); run \`xdpts reset\` to start from a fresh state`,
      file,
      'ECORRUPT',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateError(`the state file ${file} is corrupt (not a JSON object); run \`xdpts reset\` to start from a fresh state`, file, 'ECORRUPT');
  }
  const obj = value as Record<string, unknown>;
  const version = obj['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new StateError(`the state file ${file} is corrupt (no valid "version"); run \`xdpts reset\` to start from a fresh state`, file, 'ECORRUPT');
  }
  if (version > STATE_VERSION) {
    throw new StateError(
      `the state file ${file} was written by a newer xdpts (state version ${version}, this xdpts reads up to ${STATE_VERSION}); upgrade xdpts or run \`xdpts reset\``,
      file,
      'EVERSION',
    );
  }
  return { version, kernel: obj['kernel'] ?? null, net: obj['net'] ?? null };
}
