/** Public surface of src/state: the persistent store of the emulated kernel and network. */
export { StateError, damagedState } from './errors';
export { acquireLock, clearOddLock, type HeldLock, type LockOptions } from './lock';
export {
  STATE_VERSION,
  StateStore,
  defaultStateDir,
  emptySnapshot,
  parseSnapshot,
  type SnapshotCheck,
  type StateSnapshot,
  type TransactionOptions,
} from './store';
