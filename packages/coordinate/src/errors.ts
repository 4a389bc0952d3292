import { NewsDataError, runtimeError } from '@newsdata/errors';

/** Error codes thrown by this package. All are runtime faults (exit code 3). */
export const CoordinateErrorCode = {
  /** Redis cannot be reached (refused, timed out, disconnected): nothing is run or switched. */
  unavailable: 'COORDINATOR_UNAVAILABLE',
  /** Redis answered with an error (WRONGTYPE, NOPERM, OOM…): the server or its data is misconfigured. */
  replyError: 'COORDINATOR_REPLY_ERROR',
  /** The `--redis` / `REDIS_URL` value is not a redis:// or rediss:// URL. */
  urlInvalid: 'COORDINATOR_URL_INVALID',
  /** Another replica holds the release-switch lock. */
  switchLockBusy: 'SWITCH_LOCK_BUSY',
  /** The switch was refused: a newer fencing token was granted, or this holder lost its lock. */
  switchFenced: 'SWITCH_FENCED',
} as const;

/**
 * True for errors that mean "Redis is not there" (as opposed to Redis answering with an error):
 * ioredis rejects with a plain Error when the socket is closed, the offline queue is off, the
 * command timed out or the retries ran out; Redis error replies are `ReplyError`s.
 */
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Wrap whatever a Redis command threw into a typed error. Typed errors pass through unchanged.
 *
 * @param action what was being done, for the message ("elect a replica for publish:2024-05-01T08:00:00.000Z")
 * @param where the Redis address, without credentials
 */
export function coordinatorError(error: unknown, action: string, where: string): NewsDataError {
  if (error instanceof NewsDataError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isReplyError(error)) {
    return runtimeError(
      CoordinateErrorCode.replyError,
      `Redis at ${where} refused to ${action}: ${reason}. Check the server's configuration (maxmemory, ACL) and that no other program uses the same key prefix.`,
      { cause: error, redis: where },
    );
  }
  return runtimeError(
    CoordinateErrorCode.unavailable,
    `Could not ${action}: Redis at ${where} is unavailable (${reason}). This replica publishes nothing until Redis answers again; check that redis-server is running and that --redis / REDIS_URL points at it.`,
    { cause: error, redis: where },
  );
}

/** Run one Redis operation and turn any failure into a typed coordinator error. */
export async function attempt<T>(action: string, where: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw coordinatorError(error, action, where);
  }
}
