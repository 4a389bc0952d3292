import { link, mkdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fromSystemError, runtimeError } from '@newsdata/errors';
import { errnoOf, randomName } from './fsutil.js';

/** Content of `<out>/.lock`. */
export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  started: string;
  /** Random token that tells this holder's lock file from any other. */
  token: string;
}

export interface LockOptions {
  /** Wait for the holder to finish (true) or fail at once with PUBLISH_LOCKED (false). Default false. */
  wait?: boolean;
  /** How long to wait before giving up with PUBLISH_LOCKED. Default 10 minutes. */
  timeoutMs?: number;
  /** A lock older than this is taken over even if its process seems alive. Default 2 hours. */
  staleMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
}

/**
 * Releases a lock taken by {@link acquireLock} (safe to call twice). `held()` says whether the lock
 * file is still this holder's, to check again right before the switch.
 */
export type ReleaseLock = (() => Promise<void>) & { readonly info: LockInfo; held(): Promise<boolean> };

const LOCK_FILE = '.lock';

/** The current holder of `<out>/.lock`, or null when the store is free. */
export async function readLock(out: string): Promise<LockInfo | null> {
  try {
    return parseLock(await readFile(join(out, LOCK_FILE), 'utf8'));
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw fromSystemError(error, 'read the lock', join(out, LOCK_FILE));
  }
}

function parseLock(text: string): LockInfo | null {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>;
    if (
      typeof value.pid === 'number' &&
      typeof value.hostname === 'string' &&
      typeof value.token === 'string'
    ) {
      return value as LockInfo;
    }
  } catch {
    // An unreadable lock is judged by its age alone.
  }
  return null;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errnoOf(error) !== 'ESRCH';
  }
}

/**
 * Take the one-publisher-per-store lock `<out>/.lock`. The lock file is written complete under a
 * temporary name and linked into place (an exclusive create, like O_EXCL, that never shows a
 * half-written file). A lock whose process is dead on this host, or that is older than `staleMs`, is
 * taken over; when two processes take over at once, only one wins.
 *
 * @example
 * const release = await acquireLock('public', { wait: false });
 * try { … } finally { await release(); }
 */
export async function acquireLock(out: string, options: LockOptions = {}): Promise<ReleaseLock> {
  const {
    wait = false,
    timeoutMs = 10 * 60_000,
    staleMs = 2 * 60 * 60_000,
    now = () => new Date(),
  } = options;
  const lockPath = join(out, LOCK_FILE);
  try {
    await mkdir(out, { recursive: true });
  } catch (error) {
    throw fromSystemError(error, 'create the output directory', out);
  }
  const info: LockInfo = {
    pid: process.pid,
    hostname: hostname(),
    started: now().toISOString(),
    token: randomName(),
  };
  const deadline = Date.now() + timeoutMs;
  let delay = 50;
  for (;;) {
    if (await tryCreate(lockPath, info)) return releaser(lockPath, info);
    const holderText = await readFile(lockPath, 'utf8').catch((error) => {
      if (errnoOf(error) === 'ENOENT') return null;
      throw fromSystemError(error, 'read the lock', lockPath);
    });
    if (holderText === null) continue; // released between our create and our read
    const holder = parseLock(holderText);
    if (await isStale(lockPath, holder, staleMs, now)) {
      await takeOver(lockPath, holderText);
      continue;
    }
    if (!wait || Date.now() >= deadline) {
      const who = holder
        ? `process ${holder.pid} on ${holder.hostname} since ${holder.started}`
        : 'an unknown process';
      throw runtimeError(
        'PUBLISH_LOCKED',
        `Another publisher holds ${lockPath}: ${who}. Wait for it to finish, or if that process is gone, ` +
          'remove the lock file.',
        { file: lockPath, holder },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

async function tryCreate(lockPath: string, info: LockInfo): Promise<boolean> {
  const temp = `${lockPath}.${info.token}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(info)}\n`, { flag: 'wx' });
    await link(temp, lockPath);
    return true;
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw fromSystemError(error, 'create the lock', lockPath);
  } finally {
    await rm(temp, { force: true });
  }
}

async function isStale(
  lockPath: string,
  holder: LockInfo | null,
  staleMs: number,
  now: () => Date,
): Promise<boolean> {
  if (holder) {
    if (holder.hostname === hostname() && holder.pid !== process.pid && !processIsAlive(holder.pid))
      return true;
    const started = Date.parse(holder.started);
    return Number.isFinite(started) && now().getTime() - started > staleMs;
  }
  const stats = await stat(lockPath).catch(() => null);
  return stats !== null && now().getTime() - stats.mtimeMs > staleMs;
}

/**
 * Move the stale lock aside by rename, which only one process can do to a given file. If the file we
 * moved is not the stale one we judged (another process already took over and made a fresh lock),
 * put it back with link, which does not overwrite.
 */
async function takeOver(lockPath: string, staleText: string): Promise<void> {
  const aside = `${lockPath}.stale-${randomName()}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return;
    throw fromSystemError(error, 'take over the stale lock', lockPath);
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  if (moved !== staleText) {
    await link(aside, lockPath).catch((error) => {
      if (errnoOf(error) !== 'EEXIST') throw fromSystemError(error, 'restore the lock', lockPath);
    });
  }
  await unlink(aside).catch(() => undefined);
}

function releaser(lockPath: string, info: LockInfo): ReleaseLock {
  let released = false;
  const held = async () => {
    const text = await readFile(lockPath, 'utf8').catch(() => null);
    return text !== null && parseLock(text)?.token === info.token;
  };
  const release = async () => {
    if (released) return;
    released = true;
    // Never remove a lock that is no longer ours (it was taken over as stale).
    if (await held()) await rm(lockPath, { force: true });
  };
  return Object.assign(release, { info, held });
}
