import { randomBytes } from 'node:crypto';
import type { NewsDataError } from '@newsdata/errors';
import type { RedisConnection } from './connection.js';
import { attempt } from './errors.js';

/**
 * node-cron 4's `RunCoordinator`, restated so that this package does not depend on node-cron.
 * node-cron calls `shouldRun(key, ttlMs)` on every fire of a `distributed` task, with
 * `key = "<task name>:<fire time ISO>"` and `ttlMs = distributedLease` (default 30000); it runs the
 * task only when the answer is true (a rejection skips the fire: fail-closed), then calls
 * `onComplete(key)` whether the task succeeded or failed.
 */
export interface RunCoordinator {
  shouldRun(key: string, ttlMs: number): boolean | Promise<boolean>;
  onComplete?(key: string): void | Promise<void>;
}

/** Structured log sink; pino's logger fits. */
export interface CoordinatorLogger {
  warn(fields: object, message: string): void;
}

export interface RunCoordinatorOptions {
  /** Id of this replica, stored as the lease holder. */
  replicaId: string;
  /** Key prefix shared by all replicas of one deployment. Default `newsdata`. */
  prefix?: string;
  /**
   * How long a decided fire is remembered, so that a replica whose clock or timer is late cannot run
   * it again after the winner finished. Default 1 hour; must exceed the clock skew between replicas.
   */
  tickRetentionMs?: number;
  /** Where to report a lease that could not be renewed or was lost. */
  logger?: CoordinatorLogger;
}

/** A lease this replica holds for a task. */
export interface HeldLease {
  /** node-cron's key, `<task>:<fire time>`, or the key given to {@link RedisRunCoordinator.run}. */
  key: string;
  task: string;
  since: Date;
  /** True once a renewal found the lease gone or taken: another replica may now run the task. */
  lost: boolean;
}

interface Holding {
  lease: HeldLease;
  leaseKey: string;
  value: string;
  timer: NodeJS.Timeout;
}

// Decides one fire atomically. A fire already decided (run, or skipped because the task was busy) is
// never decided again; otherwise the task lease is taken when free.
// KEYS: lease, tick. ARGV: holder value, lease ms, tick retention ms.
const ELECT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  return 1
end
redis.call('SET', KEYS[2], 'busy', 'PX', ARGV[3])
return 0
`;

// Compare-and-delete: only the holder releases its lease.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

// Compare-and-pexpire: only the holder extends its lease.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const TICK = /^(.*):(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)$/;

/** The task name in node-cron's coordination key `<name>:<ISO time>`, or the whole key. */
export function taskOf(key: string): string {
  return TICK.exec(key)?.[1] ?? key;
}

/**
 * A node-cron `RunCoordinator` backed by Redis: on each fire exactly one replica runs the task.
 *
 * Two keys per task: the fire `<prefix>:tick:<key>` is decided once (SET with a retention, never
 * deleted early), and the lease `<prefix>:lease:<task>` (`SET NX PX`) is held by the running replica,
 * renewed every third of its time while the run lasts, and deleted on completion by its holder only.
 * A fire that finds the lease held is skipped, so runs never overlap across replicas; a replica that
 * dies stops renewing, its lease expires after `ttlMs`, and the next fire elects another replica.
 * When Redis is unreachable `shouldRun` rejects with COORDINATOR_UNAVAILABLE, which node-cron treats
 * as "do not run" (fail-closed) and reports as an `execution:skipped` event with reason
 * `coordinator-error`.
 *
 * @example
 * const coordinator = new RedisRunCoordinator(connection, { replicaId: newReplicaId() });
 * cron.schedule('* * * * *', publishOnce, {
 *   name: 'publish', distributed: true, runCoordinator: coordinator, distributedLease: 30_000, noOverlap: true,
 * });
 */
export class RedisRunCoordinator implements RunCoordinator {
  readonly replicaId: string;
  readonly prefix: string;
  private readonly tickRetentionMs: number;
  private readonly logger: CoordinatorLogger | undefined;
  private readonly holdings = new Map<string, Holding>();
  /**
   * Why the last election failed (COORDINATOR_UNAVAILABLE…), cleared by the next one that reaches Redis.
   * node-cron's `execution:skipped` event (reason `coordinator-error`) does not carry the error; read it here.
   */
  lastError: NewsDataError | undefined;

  constructor(
    private readonly connection: RedisConnection,
    options: RunCoordinatorOptions,
  ) {
    this.replicaId = options.replicaId;
    this.prefix = options.prefix ?? 'newsdata';
    this.tickRetentionMs = options.tickRetentionMs ?? 60 * 60_000;
    this.logger = options.logger;
  }

  /** The Redis key of a task's lease; its value is `<replica id>#<run id>`. */
  leaseKey(task: string): string {
    return `${this.prefix}:lease:${task}`;
  }

  /**
   * Whether this replica runs the fire `key`. Resolves true for exactly one replica per key, and only
   * when no replica is running the same task; rejects with COORDINATOR_UNAVAILABLE when Redis is down.
   */
  async shouldRun(key: string, ttlMs: number): Promise<boolean> {
    const task = taskOf(key);
    if (this.holdings.has(key)) return false;
    const leaseKey = this.leaseKey(task);
    const value = `${this.replicaId}#${randomBytes(6).toString('hex')}`;
    const lease = Math.max(1, Math.round(ttlMs));
    let elected: unknown;
    try {
      elected = await this.connection.script(
        `elect a replica for ${key}`,
        ELECT,
        [leaseKey, `${this.prefix}:tick:${key}`],
        [value, lease, Math.max(this.tickRetentionMs, lease)],
      );
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error as NewsDataError;
      throw error;
    }
    if (elected !== 1) return false;
    const holding: Holding = {
      lease: { key, task, since: new Date(), lost: false },
      leaseKey,
      value,
      timer: setInterval(() => void this.renew(holding, lease), Math.max(1, Math.floor(lease / 3))),
    };
    // A lease renewal must not keep a process alive that has nothing else to do.
    holding.timer.unref();
    this.holdings.set(key, holding);
    return true;
  }

  /** Release the lease taken for `key`, if this replica still holds it. Never touches another holder's lease. */
  async onComplete(key: string): Promise<void> {
    const holding = this.holdings.get(key);
    if (holding === undefined) return;
    clearInterval(holding.timer);
    this.holdings.delete(key);
    await this.connection.script(`release the lease of ${key}`, RELEASE, [holding.leaseKey], [holding.value]);
  }

  /**
   * Run `fn` under the same election as a cron fire, for runs node-cron does not start itself (the run
   * at start-up, a run after a file change; node-cron's `task.execute()` bypasses the coordinator).
   * Resolves `{ ran: false }` when another replica already decided `key` or runs the task.
   *
   * @param key a fire key `<task>:<something unique to this trigger>`; the task is the part before
   *   an ISO time, else the whole key
   */
  async run<T>(
    key: string,
    ttlMs: number,
    fn: () => Promise<T>,
  ): Promise<{ ran: true; result: T } | { ran: false }> {
    if (!(await this.shouldRun(key, ttlMs))) return { ran: false };
    try {
      return { ran: true, result: await fn() };
    } finally {
      await this.onComplete(key).catch((error: unknown) => {
        this.logger?.warn({ key, error }, 'could not release the lease; it expires by itself');
      });
    }
  }

  /** The leases this replica holds now. */
  held(): HeldLease[] {
    return [...this.holdings.values()].map((holding) => ({ ...holding.lease }));
  }

  /** Whether this replica holds a live lease (for `task`, or for any task). */
  holds(task?: string): boolean {
    return this.held().some((lease) => !lease.lost && (task === undefined || lease.task === task));
  }

  /** The replica id holding `task`'s lease now, or null when nobody runs it. */
  async holder(task: string): Promise<string | null> {
    const value = await attempt(`read the lease of ${task}`, this.connection.where, () =>
      this.connection.redis.get(this.leaseKey(task)),
    );
    return value === null ? null : value.replace(/#[0-9a-f]+$/, '');
  }

  /** Stop renewing and release every lease this replica holds (for a graceful shutdown). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.holdings.keys()].map((key) => this.onComplete(key)));
  }

  private async renew(holding: Holding, leaseMs: number): Promise<void> {
    try {
      const renewed = await this.connection.script(
        `renew the lease of ${holding.lease.key}`,
        RENEW,
        [holding.leaseKey],
        [holding.value, leaseMs],
      );
      if (renewed !== 1 && !holding.lease.lost) {
        holding.lease.lost = true;
        clearInterval(holding.timer);
        this.logger?.warn(
          { key: holding.lease.key, replicaId: this.replicaId },
          'the lease expired or was taken over while the run was still going; another replica may start, and the fenced switch lock keeps this run from overwriting a newer release',
        );
      }
    } catch (error) {
      // Redis is away: the next renewal tries again; if the lease expires meanwhile, the fenced switch refuses.
      this.logger?.warn({ key: holding.lease.key, error }, 'could not renew the lease');
    }
  }
}
