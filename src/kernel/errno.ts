/**
 * Linux errno values the emulated kernel returns (include/uapi/asm-generic/errno-base.h,
 * errno.h, and the kernel-internal ENOTSUPP = 524 of include/linux/errno.h that map ops such as
 * the ring buffer's lookup return to user space).
 */
import { MapError } from '../util';

/** EPERM: Operation not permitted. */
export const EPERM = 1;
/** ENOENT: No such file or directory. */
export const ENOENT = 2;
/** E2BIG: Argument list too long. */
export const E2BIG = 7;
/** EBADF: Bad file descriptor. */
export const EBADF = 9;
/** EAGAIN: Resource temporarily unavailable. */
export const EAGAIN = 11;
/** ENOMEM: Cannot allocate memory. */
export const ENOMEM = 12;
/** EFAULT: Bad address. */
export const EFAULT = 14;
/** EBUSY: Device or resource busy. */
export const EBUSY = 16;
/** EEXIST: File exists. */
export const EEXIST = 17;
/** ENODEV: No such device. */
export const ENODEV = 19;
/** EINVAL: Invalid argument. */
export const EINVAL = 22;
/** ENOSPC: No space left on device. */
export const ENOSPC = 28;
/** ERANGE: Numerical result out of range. */
export const ERANGE = 34;
/** ELOOP: Too many levels of symbolic links. */
export const ELOOP = 40;
/** EOVERFLOW: Value too large for defined data type. */
export const EOVERFLOW = 75;
/** ENOTSOCK: Socket operation on non-socket. */
export const ENOTSOCK = 88;
/** EOPNOTSUPP: Operation not supported. */
export const EOPNOTSUPP = 95;
/** ENOTSUPP: Unknown error 524. */
export const ENOTSUPP = 524;

const NAMES: Record<number, string> = {
  [EPERM]: 'EPERM',
  [ENOENT]: 'ENOENT',
  [E2BIG]: 'E2BIG',
  [EBADF]: 'EBADF',
  [EAGAIN]: 'EAGAIN',
  [ENOMEM]: 'ENOMEM',
  [EFAULT]: 'EFAULT',
  [EBUSY]: 'EBUSY',
  [EEXIST]: 'EEXIST',
  [ENODEV]: 'ENODEV',
  [EINVAL]: 'EINVAL',
  [ENOSPC]: 'ENOSPC',
  [ERANGE]: 'ERANGE',
  [ELOOP]: 'ELOOP',
  [EOVERFLOW]: 'EOVERFLOW',
  [ENOTSOCK]: 'ENOTSOCK',
  [EOPNOTSUPP]: 'EOPNOTSUPP',
  [ENOTSUPP]: 'ENOTSUPP',
};

/** Messages as strerror(3) prints them (bpftool shows these), ENOTSUPP as the kernel names it. */
const MESSAGES: Record<number, string> = {
  [EPERM]: 'Operation not permitted',
  [ENOENT]: 'No such file or directory',
  [E2BIG]: 'Argument list too long',
  [EBADF]: 'Bad file descriptor',
  [EAGAIN]: 'Resource temporarily unavailable',
  [ENOMEM]: 'Cannot allocate memory',
  [EFAULT]: 'Bad address',
  [EBUSY]: 'Device or resource busy',
  [EEXIST]: 'File exists',
  [ENODEV]: 'No such device',
  [EINVAL]: 'Invalid argument',
  [ENOSPC]: 'No space left on device',
  [ERANGE]: 'Numerical result out of range',
  [ELOOP]: 'Too many levels of symbolic links',
  [EOVERFLOW]: 'Value too large for defined data type',
  [ENOTSOCK]: 'Socket operation on non-socket',
  [EOPNOTSUPP]: 'Operation not supported',
  [ENOTSUPP]: 'Unknown error 524',
};

/** The name of a (positive) errno value, e.g. `ENOENT`; `E<n>` for unknown ones. */
export function errnoName(errno: number): string {
  return NAMES[Math.abs(errno)] ?? `E${Math.abs(errno)}`;
}

/** The strerror(3) text of a (positive or negative) errno value. */
export function errnoMessage(errno: number): string {
  return MESSAGES[Math.abs(errno)] ?? `Unknown error ${Math.abs(errno)}`;
}

/** Makes the MapError of a failed operation: `errno` positive or negative, `what` the operation. */
export function mapErrno(errno: number, what: string): MapError {
  return new MapError(errnoName(errno), `${what}: ${errnoMessage(errno)} (${errnoName(errno)})`);
}
