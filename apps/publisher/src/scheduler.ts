import { type FSWatcher, watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Coordination } from '@newsdata/coordinate';
import { isNewsDataError } from '@newsdata/errors';
import { discoverSources, type PublishResult, publish, readSource } from '@newsdata/publish';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { emptyState, readState, type SchedulerState, writeState } from './state.js';

export interface SchedulerOptions {
  /** Source files, directories or URLs (absolute paths). */
  sources: string[];
  out: string;
  cron: string;
  tz: string;
  keep: number;
  onInvalid: 'block' | 'quarantine';
  maxQuarantineShare: number;
  logger: Logger;
  lang?: 'en' | 'zh';
  /** Quiet period after the last file event before a run starts. Default 300 ms. */
  debounceMs?: number;
  /** Watch local sources for changes (default true). */
  watch?: boolean;
  /** Clock, for tests of the missed-tick count. */
  now?: () => Date;
  /**
   * Replicas sharing a release store through Redis: one replica runs each tick (node-cron's
   * distributed mode), runs at start and after file changes are elected the same way, and the switch
   * of `current` is fenced.
   */
  coordination?: Coordination;
  /** With `coordination`: node-cron's `distributedLease`, the time after which a dead replica is replaced. Default 30000 ms. */
  leaseMs?: number;
}

/** node-cron task name; with Redis it is part of every fire's key. */
const TASK = 'publish';

/**
 * The coordination key of a run the app starts itself (at start-up, after a file change): shaped like
 * node-cron's `<name>:<ISO time>` so that the same task lease covers it as covers the cron fires. A key
 * of another shape (`publish:watch-<time>`) got a lease of its own, and a file-change run could
 * overlap a tick run of another replica.
 */
export function electionKey(at: Date): string {
  return `${TASK}:${at.toISOString()}`;
}
/** A replica that dies while running is replaced after this long, unless `leaseMs` says otherwise. */
const LEASE_MS = 30_000;

/**
 * node-cron's own messages as pino lines instead of its coloured text. With a coordinator, node-cron
 * logs every fire that Redis refused (with a stack); the scheduler reports the outage once instead.
 */
function cronLogger(logger: Logger, coordinated: boolean) {
  const log = logger.child({ component: 'node-cron' });
  const text = (message: string | Error) => (message instanceof Error ? message.message : message);
  return {
    info: (message: string) => log.debug(message),
    // "task still running, new execution blocked by overlap prevention" is routine with noOverlap.
    warn: (message: string) => log.debug(message),
    debug: (message: string | Error, err?: Error) => log.debug({ err }, text(message)),
    error: (message: string | Error, err?: Error) => {
      if (coordinated && /coordinator/i.test(text(message))) log.debug({ err }, text(message));
      else log.error({ err }, text(message));
    },
  };
}

/** Why a run started. */
export type RunReason = 'start' | 'tick' | 'watch' | 'manual';

/** Ticks that node-cron would have fired after `since` and before `until`, counted up to `limit`. */
export function missedTicks(
  expression: string,
  tz: string,
  since: Date,
  until: Date,
  limit = 10_000,
): number {
  const task = cron.createTask(expression, () => undefined, { timezone: tz, name: 'newsdata-missed-ticks' });
  try {
    // With a seconds field the schedule can fire every second; otherwise checking each minute suffices.
    const step = expression.trim().split(/\s+/).length === 6 ? 1_000 : 60_000;
    let count = 0;
    let time = Math.floor(since.getTime() / step) * step + step;
    for (; time < until.getTime() && count < limit; time += step) {
      if (task.match(new Date(time))) count++;
    }
    return count;
  } finally {
    void task.destroy();
  }
}

/**
 * Republishes on a cron schedule (node-cron, `noOverlap`), on start, and within about a second of a
 * local source changing (a debounced file watcher; the tick stays the safety net). Remembers its runs
 * in `<out>/state.json` so that a restart knows what it missed and `/healthz` can tell.
 */
export class Scheduler {
  readonly options: SchedulerOptions;
  #task: ScheduledTask | undefined;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #pending: RunReason | undefined;
  #controller: AbortController | undefined;
  #stopped = false;
  /** Source hashes of the last attempt that failed: the same bytes are not retried on every tick. */
  #failedHashes: string | undefined;
  #state: SchedulerState = emptyState();
  /** Whether the last attempt to reach Redis failed; the outage is logged once, and its end. */
  #coordinatorDown = false;

  constructor(options: SchedulerOptions) {
    this.options = options;
  }

  get state(): SchedulerState {
    return this.#state;
  }

  /** The next scheduled tick, or null when stopped. */
  nextRun(): Date | null {
    return this.#task?.getNextRun() ?? null;
  }

  /**
   * Read the state, log the ticks missed while down, publish once (the catch-up), then start the
   * cron task and the watcher. Resolves after the first run.
   */
  async start(): Promise<void> {
    const { logger } = this.options;
    this.#state = (await readState(this.options.out)) ?? emptyState();
    const now = this.#now();
    if (this.#state.last_run) {
      const missed = missedTicks(this.options.cron, this.options.tz, new Date(this.#state.last_run), now);
      logger.info(
        {
          missed_ticks: missed,
          last_run: this.#state.last_run,
          cron: this.options.cron,
          tz: this.options.tz,
        },
        missed > 0
          ? `missed ${missed} scheduled run(s) while stopped; running one catch-up publish`
          : 'no scheduled run was missed',
      );
    }
    const coordinator = this.options.coordination?.coordinator;
    this.#task = cron.schedule(
      this.options.cron,
      () => {
        // node-cron only calls this after Redis elected this replica.
        if (coordinator) this.#coordinatorReached();
        return this.trigger('tick');
      },
      {
        timezone: this.options.tz,
        noOverlap: true,
        name: TASK,
        logger: cronLogger(logger, coordinator !== undefined),
        ...(coordinator
          ? { distributed: true, runCoordinator: coordinator, distributedLease: this.#leaseMs() }
          : {}),
      },
    );
    if (coordinator) {
      this.#task.on('execution:skipped', (context) => {
        if (context.reason === 'coordinator-error') this.#coordinatorFailed(coordinator.lastError);
        else this.#coordinatorReached();
      });
    }
    if (this.options.watch !== false) await this.#watch();
    logger.info(
      { cron: this.options.cron, tz: this.options.tz, next_run: this.nextRun() },
      'scheduler started',
    );
    await this.trigger('start');
  }

  /**
   * Ask for a run. A run already under way is not interrupted: one more run follows it, however many
   * requests came in meanwhile.
   */
  trigger(reason: RunReason): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#pending ??= reason;
      return this.#running;
    }
    this.#running = this.#elected(reason).finally(() => {
      this.#running = undefined;
      const next = this.#pending;
      this.#pending = undefined;
      if (next && !this.#stopped) void this.trigger(next);
    });
    return this.#running;
  }

  /** Stop the cron task and the watcher; wait for the run under way to finish. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    if (this.#task) await this.#task.destroy();
    this.#task = undefined;
    await this.#running;
    await this.options.coordination?.close();
  }

  /** Abandon the run under way (the release store's staging keeps that safe). */
  abort(): void {
    this.#controller?.abort();
  }

  #now(): Date {
    return this.options.now?.() ?? new Date();
  }

  #leaseMs(): number {
    return this.options.leaseMs ?? LEASE_MS;
  }

  /** Redis refused or timed out: log it at the first failure, not at every fire. */
  #coordinatorFailed(error: unknown): void {
    if (this.#coordinatorDown) return;
    this.#coordinatorDown = true;
    const code = isNewsDataError(error) ? error.code : 'COORDINATOR_UNAVAILABLE';
    this.options.logger.error(
      { code, redis: this.options.coordination?.connection.where, err: error },
      'cannot reach Redis: this replica publishes nothing until Redis answers again (it reconnects by itself)',
    );
  }

  #coordinatorReached(): void {
    if (!this.#coordinatorDown) return;
    this.#coordinatorDown = false;
    this.options.logger.info(
      { redis: this.options.coordination?.connection.where },
      'Redis answers again: elections resume',
    );
  }

  async #watch(): Promise<void> {
    const { logger } = this.options;
    const onEvent =
      (dir: string, only: Set<string> | null) => (_event: string, name: string | Buffer | null) => {
        const file = name === null ? null : String(name);
        if (only && file !== null && !only.has(file)) return;
        if (file !== null && !file.endsWith('.txt') && !file.endsWith('.meta.json')) return;
        clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
          logger.debug({ dir, file }, 'source changed on disk');
          void this.trigger('watch');
        }, this.options.debounceMs ?? 300);
      };
    // Watch directories, not files: editors save by writing a new file and renaming it over the old one.
    const dirs = new Map<string, Set<string> | null>();
    for (const spec of this.options.sources) {
      if (/^https?:\/\//i.test(spec)) continue;
      const stats = await stat(spec).catch(() => null);
      if (!stats) continue;
      if (stats.isDirectory()) dirs.set(spec, null);
      else {
        const dir = dirname(spec);
        if (dirs.has(dir) && dirs.get(dir) === null) continue;
        const names = dirs.get(dir) ?? new Set<string>();
        names.add(basename(spec));
        names.add(basename(spec).replace(/\.txt$/, '.meta.json'));
        dirs.set(dir, names);
      }
    }
    for (const [dir, only] of dirs) {
      try {
        const watcher = watch(dir, { persistent: false }, onEvent(dir, only));
        watcher.on('error', (error) =>
          logger.warn({ dir, err: error }, 'file watcher failed; the cron tick remains'),
        );
        this.#watchers.push(watcher);
      } catch (error) {
        logger.warn({ dir, err: error }, 'cannot watch the sources; changes are picked up on the next tick');
      }
    }
  }

  /** Hashes of the local sources and sidecars, or null when a URL source makes that check meaningless. */
  async #sourceHashes(): Promise<Record<string, string> | null> {
    const refs = await discoverSources(this.options.sources);
    const hashes: Record<string, string> = {};
    for (const ref of refs) {
      if (ref.kind === 'url') return null;
      const source = await readSource(ref);
      hashes[source.source_id] = source.sha256;
      if (source.metaSha256) hashes[`${source.source_id}.meta.json`] = source.metaSha256;
    }
    return hashes;
  }

  async #save(): Promise<void> {
    try {
      await writeState(this.options.out, this.#state);
    } catch (error) {
      this.options.logger.error({ err: error }, 'could not write state.json');
    }
  }

  /** Without Redis: run. With it: ticks were elected by node-cron already; other runs are elected here. */
  async #elected(reason: RunReason): Promise<void> {
    const coordination = this.options.coordination;
    if (!coordination || reason === 'tick') return this.#drain(reason);
    let outcome: { ran: boolean };
    try {
      outcome = await coordination.coordinator.run(electionKey(this.#now()), this.#leaseMs(), () =>
        this.#drain(reason),
      );
    } catch (error) {
      this.#coordinatorFailed(error);
      this.options.logger.warn(
        { reason, code: isNewsDataError(error) ? error.code : undefined },
        'the run is skipped: no replica may publish without Redis',
      );
      return;
    }
    this.#coordinatorReached();
    if (!outcome.ran)
      this.options.logger.info({ reason }, 'another replica is publishing; this one skips the run');
  }

  /**
   * Run, then the runs asked for meanwhile, all under the lease this replica holds. Releasing the
   * lease first and asking again would lose the follow-up run: node-cron releases a tick's lease only
   * after the tick's promise settles, so the follow-up's election would find the lease still taken.
   */
  async #drain(reason: RunReason): Promise<void> {
    await this.#run(reason);
    while (this.#pending !== undefined && !this.#stopped) {
      const next = this.#pending;
      this.#pending = undefined;
      await this.#run(next);
    }
  }

  /** publish(), under the fenced switch lock when replicas share the store. */
  async #publish(signal: AbortSignal): Promise<PublishResult> {
    const options = {
      sources: this.options.sources,
      out: this.options.out,
      keep: this.options.keep,
      onInvalid: this.options.onInvalid,
      maxQuarantineShare: this.options.maxQuarantineShare,
      lang: this.options.lang ?? 'en',
      logger: this.options.logger,
      signal,
      lock: 'wait' as const,
    };
    const coordination = this.options.coordination;
    if (!coordination) return publish(options);
    const result = await coordination.switchLock.withLock(
      (guard) => publish({ ...options, beforeSwitch: guard.beforeSwitch }),
      { waitMs: this.#leaseMs() },
    );
    const fenced = result.error?.code === 'SWITCH_FENCED';
    await coordination.status
      .recordRun({
        status:
          result.status === 'published' || result.status === 'unchanged'
            ? result.status
            : fenced
              ? 'fenced'
              : 'failed',
        ...(result.release_id ? { releaseId: result.release_id } : {}),
        ...(result.error ? { error: `${result.error.code}: ${result.error.message}` } : {}),
      })
      .catch((error: unknown) =>
        this.options.logger.warn({ err: error }, 'could not record the run in Redis'),
      );
    return result;
  }

  async #run(reason: RunReason): Promise<void> {
    const { logger } = this.options;
    const started = this.#now();
    let hashes: Record<string, string> | null = null;
    try {
      hashes = await this.#sourceHashes();
    } catch (error) {
      // Let publish() report it with its full context below.
      hashes = null;
      logger.debug({ err: error }, 'could not hash the sources before publishing');
    }
    const key = hashes ? JSON.stringify(hashes) : undefined;
    if (reason === 'tick' && key !== undefined) {
      const same = key === JSON.stringify(this.#state.source_hashes);
      if ((same && this.#state.last_error === null) || key === this.#failedHashes) {
        logger.debug({ reason }, 'sources unchanged since the last run; skipping');
        return;
      }
    }
    this.#state = { ...this.#state, last_run: started.toISOString() };
    await this.#save();
    const controller = new AbortController();
    this.#controller = controller;
    let result: PublishResult | undefined;
    let failure: { code: string; message: string } | undefined;
    let dataFault = false;
    try {
      result = await this.#publish(controller.signal);
    } catch (error) {
      dataFault = isNewsDataError(error) && error.fault === 'data';
      failure = {
        code: isNewsDataError(error) ? error.code : 'PUBLISH_FAILED',
        message: error instanceof Error ? error.message : String(error),
      };
    } finally {
      this.#controller = undefined;
    }
    const finished = this.#now().toISOString();
    if (result && (result.status === 'published' || result.status === 'unchanged')) {
      this.#failedHashes = undefined;
      this.#state = {
        ...this.#state,
        last_success: finished,
        last_error: null,
        current_release: result.release_id,
        source_hashes: hashes ?? Object.fromEntries(result.sources.map((s) => [s.source_id, s.sha256])),
      };
      // Saved before the log line, so that whoever reads the line finds the state on disk.
      await this.#save();
      logger.info(
        { reason, status: result.status, release_id: result.release_id, duration_ms: result.duration_ms },
        result.status === 'published' ? `published release ${result.release_id}` : 'nothing changed',
      );
    } else {
      if (result) dataFault = result.status === 'invalid' || result.error?.fault === 'data';
      // Bad data stays bad until the bytes change; a runtime fault (Redis away, a fenced switch, a full
      // disk) is retried on the next tick.
      if (key !== undefined && dataFault) this.#failedHashes = key;
      if (result) {
        const counts = result.report?.counts;
        failure = result.error
          ? { code: result.error.code, message: result.error.message }
          : {
              code: result.status === 'invalid' ? 'DATA_INVALID' : 'PUBLISH_FAILED',
              message:
                result.status === 'invalid'
                  ? `The sources did not validate (${counts?.errors ?? '?'} errors, ${counts?.warnings ?? '?'} warnings); the previous release stays current. The report is in ${this.options.out}/reports/latest-invalid.json.`
                  : `Publishing failed; the previous release stays current.`,
            };
      }
      const error = failure ?? { code: 'PUBLISH_FAILED', message: 'Publishing failed.' };
      this.#state = { ...this.#state, last_error: { time: finished, ...error } };
      await this.#save();
      logger.error(
        { reason, code: error.code, problems: result?.report?.problems?.slice(0, 5) },
        error.message,
      );
    }
  }
}
