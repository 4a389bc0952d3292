import { type ConnectionOptions, newReplicaId, RedisConnection } from './connection.js';
import { type CoordinatorLogger, RedisRunCoordinator } from './run-coordinator.js';
import { ReplicaStatus } from './status.js';
import { FencedSwitchLock } from './switch-lock.js';

export interface CoordinationOptions extends ConnectionOptions {
  /** `redis://host:port[/db]` or `rediss://…`, from `--redis` or `REDIS_URL`. */
  url: string;
  /** Key prefix shared by all replicas of one deployment. Default `newsdata`. */
  prefix?: string;
  /** Default: a new `<hostname>-<pid>-<random>`. */
  replicaId?: string;
  /** The node-cron task name whose lease `/healthz` reports. Default `publish`. */
  task?: string;
  /** Switch-lock time, renewed while held. Default 30000 ms. */
  switchLockTtlMs?: number;
  /** How long a decided fire is remembered. Default 1 hour. */
  tickRetentionMs?: number;
  logger?: CoordinatorLogger;
}

/** Everything a replica needs, on one connection. */
export interface Coordination {
  replicaId: string;
  connection: RedisConnection;
  coordinator: RedisRunCoordinator;
  switchLock: FencedSwitchLock;
  status: ReplicaStatus;
  /** Release the leases this replica holds and close the connection. */
  close(): Promise<void>;
}

/**
 * Connect a replica to Redis: one connection, one replica id, and the coordinator, switch lock and
 * status built on them. Does not wait for Redis: call `connection.ready()` to fail at start-up.
 *
 * @example
 * const coordination = createCoordination({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
 */
export function createCoordination(options: CoordinationOptions): Coordination {
  const { url, prefix, task, logger } = options;
  const replicaId = options.replicaId ?? newReplicaId();
  const connection = new RedisConnection(url, options);
  const coordinator = new RedisRunCoordinator(connection, {
    replicaId,
    ...(prefix === undefined ? {} : { prefix }),
    ...(options.tickRetentionMs === undefined ? {} : { tickRetentionMs: options.tickRetentionMs }),
    ...(logger === undefined ? {} : { logger }),
  });
  const switchLock = new FencedSwitchLock(connection, {
    replicaId,
    ...(prefix === undefined ? {} : { prefix }),
    ...(options.switchLockTtlMs === undefined ? {} : { ttlMs: options.switchLockTtlMs }),
    ...(logger === undefined ? {} : { logger }),
  });
  const status = new ReplicaStatus(connection, {
    replicaId,
    coordinator,
    ...(prefix === undefined ? {} : { prefix }),
    ...(task === undefined ? {} : { task }),
  });
  return {
    replicaId,
    connection,
    coordinator,
    switchLock,
    status,
    async close() {
      await coordinator.close();
      await connection.close();
    },
  };
}
