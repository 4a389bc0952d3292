import type { NewsDataError } from '@newsdata/errors';
import type { RedisConnection } from './connection.js';
import { attempt, coordinatorError } from './errors.js';
import type { HeldLease, RedisRunCoordinator } from './run-coordinator.js';

/** What a run ended with. */
export type RunOutcome = 'published' | 'unchanged' | 'failed' | 'fenced';

/** The last run any replica made, as stored in Redis. */
export interface RunRecord {
  replicaId: string;
  /** ISO time the run ended. */
  time: string;
  status: RunOutcome;
  /** The release it switched to (`published`) or found current (`unchanged`). */
  releaseId?: string;
  /** `code: message` of the failure (`failed`, `fenced`). */
  error?: string;
}

/** The replica part of `/healthz`. Never throws: a Redis fault is reported in `redis`. */
export interface ReplicaHealth {
  replicaId: string;
  redis: {
    /** The address without credentials. */
    url: string;
    up: boolean;
    /** The fault, while Redis is unavailable. */
    error?: { code: string; message: string };
  };
  /** Whether this replica holds a live lease of `task` right now. */
  holdsLease: boolean;
  /** The replica id that holds `task`'s lease (any replica), null when none; undefined when Redis is down. */
  leaseHolder?: string | null;
  /** Leases held by this replica. */
  leases: HeldLease[];
  /** The last run of any replica; undefined when Redis is down. */
  lastRun?: RunRecord | null;
}

export interface ReplicaStatusOptions {
  replicaId: string;
  /** Key prefix shared by all replicas of one deployment. Default `newsdata`. */
  prefix?: string;
  /** The coordinator whose leases to report. */
  coordinator?: RedisRunCoordinator;
  /** The task whose lease `holdsLease` and `leaseHolder` report. Default `publish`. */
  task?: string;
  /** How many run records `<prefix>:runs` keeps. Default 100. */
  keepRuns?: number;
}

/**
 * The state of this replica and of the deployment's runs, for `/healthz`. Runs are stored in Redis
 * (`<prefix>:last-run`, and the newest first in the list `<prefix>:runs`), so every replica reports
 * the last run of any replica.
 *
 * @example
 * await status.recordRun({ status: 'published', releaseId: '20240501T080000Z-3f2a' });
 * reply.send({ ...health, replica: await status.snapshot() });
 */
export class ReplicaStatus {
  readonly replicaId: string;
  private readonly prefix: string;
  private readonly coordinator: RedisRunCoordinator | undefined;
  private readonly task: string;
  private readonly keepRuns: number;

  constructor(
    private readonly connection: RedisConnection,
    options: ReplicaStatusOptions,
  ) {
    this.replicaId = options.replicaId;
    this.prefix = options.prefix ?? 'newsdata';
    this.coordinator = options.coordinator;
    this.task = options.task ?? 'publish';
    this.keepRuns = options.keepRuns ?? 100;
  }

  /** Store the end of a run made by this replica. Rejects with COORDINATOR_UNAVAILABLE when Redis is down. */
  async recordRun(run: Omit<RunRecord, 'replicaId' | 'time'> & { time?: Date }): Promise<RunRecord> {
    const { time = new Date(), ...rest } = run;
    const record: RunRecord = { replicaId: this.replicaId, time: time.toISOString(), ...rest };
    const json = JSON.stringify(record);
    await attempt('record the run', this.connection.where, () =>
      this.connection.redis
        .multi()
        .set(`${this.prefix}:last-run`, json)
        .lpush(`${this.prefix}:runs`, json)
        .ltrim(`${this.prefix}:runs`, 0, this.keepRuns - 1)
        .exec(),
    );
    return record;
  }

  /** The last run of any replica, or null before the first. */
  async lastRun(): Promise<RunRecord | null> {
    const json = await attempt('read the last run', this.connection.where, () =>
      this.connection.redis.get(`${this.prefix}:last-run`),
    );
    return json === null ? null : (JSON.parse(json) as RunRecord);
  }

  /** The newest `count` runs of any replica, newest first. */
  async recentRuns(count = 20): Promise<RunRecord[]> {
    const list = await attempt('read the recent runs', this.connection.where, () =>
      this.connection.redis.lrange(`${this.prefix}:runs`, 0, Math.max(0, count - 1)),
    );
    return list.map((json) => JSON.parse(json) as RunRecord);
  }

  /** This replica's state for `/healthz`; reports a Redis fault instead of throwing. */
  async snapshot(): Promise<ReplicaHealth> {
    const leases = this.coordinator?.held() ?? [];
    const health: ReplicaHealth = {
      replicaId: this.replicaId,
      redis: { url: this.connection.where, up: false },
      holdsLease: leases.some((lease) => !lease.lost && lease.task === this.task),
      leases,
    };
    try {
      const [lastRun, leaseHolder] = await Promise.all([
        this.lastRun(),
        this.coordinator ? this.coordinator.holder(this.task) : Promise.resolve(undefined),
      ]);
      health.redis.up = true;
      health.lastRun = lastRun;
      if (leaseHolder !== undefined) health.leaseHolder = leaseHolder;
    } catch (error) {
      const fault = coordinatorError(
        error,
        'read the replica status',
        this.connection.where,
      ) as NewsDataError;
      health.redis.error = { code: fault.code, message: fault.message };
    }
    return health;
  }
}
