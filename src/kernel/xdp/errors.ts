/**
 * Errors of XDP attach operations: an errno and the kernel's extack message (what iproute2
 * prints after `Error: `), e.g. EBUSY "XDP program already attached." (net/core/dev.c
 * `dev_xdp_attach`).
 */
import { XdptsError } from '../../util/errors';

/** errno names used by the XDP code. */
const ERRNO_NAMES: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 7: 'E2BIG', 13: 'EACCES', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 95: 'EOPNOTSUPP' };

/** strerror(3) texts of those errnos (glibc wording), for `Couldn't attach ...: <text>(-N)`. */
export const STRERROR: Record<number, string> = {
  1: 'Operation not permitted',
  2: 'No such file or directory',
  7: 'Argument list too long',
  13: 'Permission denied',
  16: 'Device or resource busy',
  17: 'File exists',
  19: 'No such device',
  22: 'Invalid argument',
  95: 'Operation not supported',
};

/** An XDP operation the kernel refused. */
export class XdpError extends XdptsError {
  /** Positive errno (EBUSY = 16...). */
  readonly errno: number;
  /** The extack message, without `Error: `. */
  readonly extack: string;
  constructor(errno: number, extack: string) {
    super(extack || STRERROR[errno] || `errno ${errno}`, ERRNO_NAMES[errno] ?? `E${errno}`);
    this.name = 'XdpError';
    this.errno = errno;
    this.extack = extack;
  }
}
