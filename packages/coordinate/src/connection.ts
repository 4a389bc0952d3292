import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { runtimeError } from '@newsdata/errors';
import { Redis } from 'ioredis';
import { attempt, CoordinateErrorCode, coordinatorError } from './errors.js';

/** How a replica talks to Redis. Every limit is there so that a dead Redis is noticed in seconds, not minutes. */
export interface ConnectionOptions {
  /** Give up connecting after this long. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** A command without an answer after this long fails with COORDINATOR_UNAVAILABLE. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Upper bound of the wait between reconnection attempts while Redis is down. Default 1000 ms. */
  maxReconnectDelayMs?: number;
}

/**
 * A new replica id: `<hostname>-<pid>-<6 hex>`, unique even when two replicas share a host and a
 * recycled pid.
 */
export function newReplicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** The URL without its password, for messages and /healthz. */
function redact(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

/**
 * One fail-fast Redis connection shared by the coordinator, the switch lock and the status.
 *
 * Commands are never queued while Redis is away (`enableOfflineQueue: false`, no retries per
 * request), so a replica learns at once that it may not run; the client keeps reconnecting in the
 * background and work resumes as soon as Redis answers again.
 *
 * @example
 * const connection = new RedisConnection('redis://127.0.0.1:6379');
 * await connection.ready(); // throws COORDINATOR_UNAVAILABLE when Redis is down
 */
export class RedisConnection {
  readonly redis: Redis;
  /** The address without credentials, e.g. `redis://127.0.0.1:6379`. */
  readonly where: string;
  /** The last connection error, cleared when the connection is ready again. */
  lastError: Error | undefined;

  constructor(url: string, options: ConnectionOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (error) {
      throw runtimeError(
        CoordinateErrorCode.urlInvalid,
        `The Redis address "${url}" is not a URL; expected redis://host:port (or rediss:// for TLS).`,
        { cause: error },
      );
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw runtimeError(
        CoordinateErrorCode.urlInvalid,
        `The Redis address "${redact(parsed)}" uses ${parsed.protocol}; expected redis://host:port (or rediss:// for TLS).`,
      );
    }
    this.where = redact(parsed);
    const { connectTimeoutMs = 2000, commandTimeoutMs = 2000, maxReconnectDelayMs = 1000 } = options;
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: connectTimeoutMs,
      commandTimeout: commandTimeoutMs,
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxReconnectDelayMs),
    });
    // Without a listener ioredis prints every failed reconnection; the state is reported by `up` instead.
    this.redis.on('error', (error: Error) => {
      this.lastError = error;
    });
    this.redis.on('ready', () => {
      this.lastError = undefined;
    });
  }

  /** Whether the connection is ready for commands right now. */
  get up(): boolean {
    return this.redis.status === 'ready';
  }

  /** Wait until Redis answers a PING, or fail with COORDINATOR_UNAVAILABLE after `timeoutMs` (default 3000). */
  async ready(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.up) {
        try {
          await this.redis.ping();
          return;
        } catch (error) {
          if (Date.now() >= deadline) throw coordinatorError(error, 'reach Redis', this.where);
        }
      }
      if (Date.now() >= deadline) {
        throw coordinatorError(this.lastError ?? new Error('not connected'), 'reach Redis', this.where);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Run a Lua script by its SHA1, loading it on the first use or after a Redis restart (NOSCRIPT). */
  async script(action: string, lua: string, keys: string[], args: Array<string | number>): Promise<unknown> {
    return attempt(action, this.where, async () => {
      const sha = scriptSha(lua);
      try {
        return await this.redis.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
          return await this.redis.eval(lua, keys.length, ...keys, ...args);
        }
        throw error;
      }
    });
  }

  /** Close the connection (pending commands fail); safe to call twice. */
  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    try {
      await this.redis.quit();
    } catch {
      // Already gone: a quit that cannot be sent leaves nothing to close but the socket.
      this.redis.disconnect();
    }
  }
}

const shas = new Map<string, string>();
function scriptSha(lua: string): string {
  let sha = shas.get(lua);
  if (sha === undefined) {
    sha = createHash('sha1').update(lua).digest('hex');
    shas.set(lua, sha);
  }
  return sha;
}
