/** Errors of the state store. */
import { XdptsError } from '../util/index';

/**
 * A state directory that cannot be used: corrupt JSON, a snapshot written by a newer xdpts, or a
 * lock that cannot be taken. The message names the file and says how to get out (`xdpts reset`).
 */
export class StateError extends XdptsError {
  /** The file the problem is in. */
  readonly file: string;
  constructor(message: string, file: string, code = 'state') {
    super(message, code);
    this.name = 'StateError';
    this.file = file;
  }
}

/**
 * The error for a state whose parts passed the shape check but still could not be rebuilt (a
 * value out of range, a reference to nothing): it names the file and the way out. A StateError
 * is passed through as it is.
 */
export function damagedState(file: string, cause: unknown): StateError {
  if (cause instanceof StateError) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new StateError(`the state file ${file} is damaged (${why}); run \`xdpts reset\` to start from a fresh state`, file, 'ECORRUPT');
}
