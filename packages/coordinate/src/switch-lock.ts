import { randomBytes } from 'node:crypto';
import { runtimeError } from '@newsdata/errors';
import type { RedisConnection } from './connection.js';
import { attempt, CoordinateErrorCode } from './errors.js';
import type { CoordinatorLogger } from './run-coordinator.js';

export interface SwitchLockOptions {
  /** Id of this replica, stored as the lock holder. */
  replicaId: string;
  /** Key prefix shared by all replicas of one deployment. Default `newsdata`. */
  prefix?: string;
  /** Lock time; renewed every third of it while held. Default 30000 ms. */
  ttlMs?: number;
  /** Where to report a lock that could not be renewed or was lost. */
  logger?: CoordinatorLogger;
}

export interface AcquireOptions {
  /** Wait up to this long for a busy lock before failing with SWITCH_LOCK_BUSY. Default 0: fail at once. */
  waitMs?: number;
}

/**
 * A held switch lock. Pass `beforeSwitch` to `publish({ beforeSwitch })`: it resolves only while this
 * holder's fencing token is still the highest one granted, and records it as the last switched token.
 */
export interface SwitchGuard {
  /** The fencing token: greater than every token granted before it. */
  readonly token: number;
  /** True once a renewal found the lock gone or taken by another replica. */
  readonly lost: boolean;
  /**
   * Check the fence right before the atomic switch of `<out>/current`; rejects with SWITCH_FENCED
   * (the staged release must then be discarded) or COORDINATOR_UNAVAILABLE. An arrow function, so it
   * can be passed around unbound.
   */
  beforeSwitch: () => Promise<void>;
  /** Stop renewing and delete the lock if this holder still has it; safe to call twice. */
  release: () => Promise<void>;
}

/** Why a switch was refused. */
export type FenceRefusal = 'superseded' | 'stale' | 'lock-lost';

// Take the lock when free and grant the next fencing token. KEYS: lock, fence. ARGV: holder, ttl.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('INCR', KEYS[2])}
end
return {0, redis.call('GET', KEYS[1]) or ''}
`;

// The fence. KEYS: lock, fence, switched. ARGV: holder, token.
const CHECK = `
local top = tonumber(redis.call('GET', KEYS[2]) or '0')
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local token = tonumber(ARGV[2])
if token < top then return {0, 'superseded', top, last} end
if token <= last then return {0, 'stale', top, last} end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {0, 'lock-lost', top, last} end
redis.call('SET', KEYS[3], ARGV[2])
return {1, 'ok', top, last}
`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

const refusalText: Record<FenceRefusal, string> = {
  superseded: 'a newer fencing token was granted to another publisher after this one',
  stale: 'a release with the same or a newer fencing token was already switched',
  'lock-lost':
    'this publisher no longer holds the switch lock (it expired while the process was paused or Redis was away)',
};

/**
 * A Redis lock around the release switch, with a fencing token.
 *
 * `acquire()` takes `<prefix>:switch` (`SET NX PX`, renewed while held) and grants a token with
 * `INCR <prefix>:fence`. Right before the switch, `beforeSwitch()` runs one Lua script that refuses
 * unless the token is still the highest granted, is newer than `<prefix>:switched` (the last switched
 * token), and the lock is still this holder's; on success it records the token as switched. So a
 * replica paused past its lock time cannot overwrite a release switched by a newer holder.
 *
 * @example
 * const guard = await switchLock.acquire();
 * try {
 *   await publish({ sources, out, beforeSwitch: guard.beforeSwitch });
 * } finally {
 *   await guard.release();
 * }
 */
export class FencedSwitchLock {
  readonly replicaId: string;
  readonly prefix: string;
  private readonly ttlMs: number;
  private readonly logger: CoordinatorLogger | undefined;
  private readonly keys: { lock: string; fence: string; switched: string };

  constructor(
    private readonly connection: RedisConnection,
    options: SwitchLockOptions,
  ) {
    this.replicaId = options.replicaId;
    this.prefix = options.prefix ?? 'newsdata';
    this.ttlMs = options.ttlMs ?? 30_000;
    this.logger = options.logger;
    this.keys = {
      lock: `${this.prefix}:switch`,
      fence: `${this.prefix}:fence`,
      switched: `${this.prefix}:switched`,
    };
  }

  /**
   * Take the switch lock and a new fencing token. Rejects with SWITCH_LOCK_BUSY when another replica
   * holds it (after `waitMs`), or COORDINATOR_UNAVAILABLE when Redis is down.
   */
  async acquire(options: AcquireOptions = {}): Promise<SwitchGuard> {
    const { waitMs = 0 } = options;
    const deadline = Date.now() + waitMs;
    const holder = `${this.replicaId}#${randomBytes(6).toString('hex')}`;
    for (;;) {
      const [taken, detail] = (await this.connection.script(
        'take the release-switch lock',
        ACQUIRE,
        [this.keys.lock, this.keys.fence],
        [holder, this.ttlMs],
      )) as [number, number | string];
      if (taken === 1) return this.guard(holder, Number(detail));
      if (Date.now() >= deadline) {
        const other = String(detail).replace(/#[0-9a-f]+$/, '');
        throw runtimeError(
          CoordinateErrorCode.switchLockBusy,
          `The release switch is locked by replica ${other || '(unknown)'}; wait for its publish to finish (the lock expires ${this.ttlMs} ms after that replica stops renewing it).`,
          { holder: other, redis: this.connection.where },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, deadline - Date.now()))));
    }
  }

  /** Run `fn` while holding the lock, and release it afterwards whatever happens. */
  async withLock<T>(fn: (guard: SwitchGuard) => Promise<T>, options: AcquireOptions = {}): Promise<T> {
    const guard = await this.acquire(options);
    try {
      return await fn(guard);
    } finally {
      await guard.release().catch((error: unknown) => {
        this.logger?.warn({ error }, 'could not release the switch lock; it expires by itself');
      });
    }
  }

  /** The last fencing token whose release was switched, or 0 when none was. */
  async lastSwitched(): Promise<number> {
    const value = await attempt('read the last switched token', this.connection.where, () =>
      this.connection.redis.get(this.keys.switched),
    );
    return value === null ? 0 : Number(value);
  }

  private guard(holder: string, token: number): SwitchGuard {
    const { connection, keys, ttlMs, logger } = this;
    let lost = false;
    let released = false;
    const timer = setInterval(
      async () => {
        try {
          const renewed = await connection.script(
            'renew the switch lock',
            RENEW,
            [keys.lock],
            [holder, ttlMs],
          );
          if (renewed !== 1 && !released) {
            lost = true;
            clearInterval(timer);
            logger?.warn(
              { token },
              'the switch lock expired or was taken over; this publish will not switch',
            );
          }
        } catch (error) {
          logger?.warn({ token, error }, 'could not renew the switch lock');
        }
      },
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    timer.unref();
    return {
      token,
      get lost() {
        return lost;
      },
      beforeSwitch: async () => {
        const [ok, reason, top, last] = (await connection.script(
          `check fencing token ${token} before the switch`,
          CHECK,
          [keys.lock, keys.fence, keys.switched],
          [holder, token],
        )) as [number, string, number, number];
        if (ok === 1) return;
        const refusal = reason as FenceRefusal;
        throw runtimeError(
          CoordinateErrorCode.switchFenced,
          `Refused to switch the release with fencing token ${token}: ${refusalText[refusal]} (highest granted ${top}, last switched ${last}). The staged release is discarded; the next run publishes from the current sources.`,
          { token, highest: top, lastSwitched: last, reason: refusal, redis: connection.where },
        );
      },
      release: async () => {
        if (released) return;
        released = true;
        clearInterval(timer);
        await connection.script('release the switch lock', RELEASE, [keys.lock], [holder]);
      },
    };
  }
}
