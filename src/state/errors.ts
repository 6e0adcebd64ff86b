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
