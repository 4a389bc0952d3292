export { type ConnectionOptions, newReplicaId, RedisConnection } from './connection.js';
export { type Coordination, type CoordinationOptions, createCoordination } from './coordination.js';
export { CoordinateErrorCode, coordinatorError } from './errors.js';
export {
  type CoordinatorLogger,
  type HeldLease,
  RedisRunCoordinator,
  type RunCoordinator,
  type RunCoordinatorOptions,
  taskOf,
} from './run-coordinator.js';
export {
  type ReplicaHealth,
  ReplicaStatus,
  type ReplicaStatusOptions,
  type RunOutcome,
  type RunRecord,
} from './status.js';
export {
  type AcquireOptions,
  FencedSwitchLock,
  type FenceRefusal,
  type SwitchGuard,
  type SwitchLockOptions,
} from './switch-lock.js';
