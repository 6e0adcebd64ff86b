/** The error of network operations: iproute2's own words and exit status. */
import { XdptsError } from '../util/index';

/**
 * A refused network operation, worded exactly as iproute2 (or ping) words it, with the exit
 * status the real tool uses (1, 2 or 255). `lines` may hold extra stderr lines (iproute2 prints
 * an empty line after some parse errors).
 */
export class NetError extends XdptsError {
  readonly exitStatus: number;
  constructor(message: string, exitStatus: number, code = 'net') {
    super(message, code);
    this.name = 'NetError';
    this.exitStatus = exitStatus;
  }
}
