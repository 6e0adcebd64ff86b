/** Public surface of src/state: the persistent store of the emulated kernel and network. */
export { StateError } from './errors';
export { acquireLock, type HeldLock, type LockOptions } from './lock';
export {
  STATE_VERSION,
  StateStore,
  defaultStateDir,
  emptySnapshot,
  parseSnapshot,
  type StateSnapshot,
  type TransactionOptions,
} from './store';
