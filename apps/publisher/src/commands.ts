import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { TOOL, tableNames } from '@newsdata/contract';
import type { Coordination } from '@newsdata/coordinate';
import { ExitCode, exitCodeFor, isNewsDataError } from '@newsdata/errors';
import { publish, validateSources } from '@newsdata/publish';
import { exitCodeForReport, formatReport } from '@newsdata/validate';
import { SingleBar } from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { readEnvironment, stderrIsTerminal } from './env.js';
import { createLogger } from './logger.js';
import { environmentHelp, type Flags, resolveSettings, type Settings } from './settings.js';

type Lang = 'en' | 'zh';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function settingsFrom(flags: Flags): Settings {
  return resolveSettings(flags, readEnvironment());
}

/** Print an error the way every command does: what failed, where, and what to do. */
function report(error: unknown): number {
  const code = exitCodeFor(error);
  if (isNewsDataError(error)) {
    const where = error.location ?? (error.context.file as string | undefined);
    const offset = error.context.offset === undefined ? '' : ` (byte offset ${error.context.offset})`;
    process.stderr.write(`error ${error.code}${where ? ` at ${where}` : ''}${offset}: ${error.message}\n`);
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  return code;
}

function summarizeChanges(
  changes:
    | { tables: Record<string, { added: string[]; removed: string[]; changed: string[] } | undefined> }
    | null
    | undefined,
): string {
  if (!changes) return '';
  return tableNames
    .map((table) => {
      const c = changes.tables[table];
      return c ? `${table} +${c.added.length} -${c.removed.length} ~${c.changed.length}` : '';
    })
    .filter(Boolean)
    .join(', ');
}

/** Stop on SIGINT/SIGTERM after the work under way; a second signal ends the process at once. */
function onSignals(logger: Logger, stop: () => Promise<void>, abort: () => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(
        { signal },
        'second signal: exiting now; the publish under way is abandoned (its staging is discarded)',
      );
      abort();
      process.exit(ExitCode.runtime);
    }
    stopping = true;
    logger.info(
      { signal },
      'stopping: letting the publish under way finish (send the signal again to exit at once)',
    );
    stop().then(
      () => process.exit(ExitCode.ok),
      (error) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(ExitCode.runtime);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

async function runValidate(flags: Flags & { report?: string; lang: Lang; failOn: 'error' | 'warning' }) {
  const settings = settingsFrom(flags);
  const { report: result } = await validateSources({ sources: settings.sources, lang: flags.lang });
  process.stdout.write(formatReport(result, { lang: flags.lang, color: process.stdout.isTTY === true }));
  if (flags.report) {
    const file = resolve(readEnvironment().base, flags.report);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`report written to ${file}\n`);
  }
  return exitCodeForReport(result, { failOn: flags.failOn });
}

async function runPublish(flags: Flags & { lang: Lang }) {
  const settings = settingsFrom(flags);
  const terminal = stderrIsTerminal();
  // On a terminal the progress bar speaks; JSON logs only for warnings and worse.
  const logger = createLogger(terminal ? 'warn' : settings.logLevel);
  const bar = terminal
    ? new SingleBar({ stream: process.stderr, format: 'publishing [{bar}] {value}/{total} sources' })
    : undefined;
  let started = false;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  const result = await publish({
    sources: settings.sources,
    out: settings.out,
    keep: settings.keep,
    onInvalid: settings.onInvalid,
    maxQuarantineShare: settings.maxQuarantineShare,
    lang: flags.lang,
    logger,
    signal: controller.signal,
    lock: 'fail',
    onProgress: (done: number, total: number) => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
  }).finally(() => {
    if (started) bar?.stop();
  });
  switch (result.status) {
    case 'published':
      if (result.repaired) {
        process.stdout.write(
          `the current release ${result.previous_release_id} was damaged (${result.repaired.join(', ')} missing or not the size its manifest says); rebuilt from the sources\n`,
        );
      }
      process.stdout.write(
        `published release ${result.release_id} (previous: ${result.previous_release_id ?? 'none'}) in ${result.duration_ms} ms to ${settings.out}\n` +
          `changes: ${summarizeChanges(result.changes) || 'first release'}\n`,
      );
      return ExitCode.ok;
    case 'unchanged':
      process.stdout.write(
        `nothing changed: release ${result.release_id} stays current in ${settings.out}\n`,
      );
      return ExitCode.ok;
    case 'invalid':
      process.stdout.write(
        formatReport(result.report, { lang: flags.lang, color: process.stdout.isTTY === true }),
      );
      process.stdout.write(
        `not published: the data is invalid; release ${result.previous_release_id ?? '(none)'} stays current. Report: ${settings.out}/reports/latest-invalid.json\n`,
      );
      return ExitCode.invalidData;
    default:
      process.stdout.write('publish failed; the previous release stays current\n');
      return ExitCode.runtime;
  }
}

/** With `--redis`: connect this replica (Redis must answer now) and name it in every log line. */
async function joinReplicas(
  settings: Settings,
  base: Logger,
): Promise<{ logger: Logger; coordination?: Coordination }> {
  if (!settings.redis) return { logger: base };
  const { createCoordination, newReplicaId } = await import('@newsdata/coordinate');
  const replicaId = newReplicaId();
  // Every line names its replica, so that logs gathered from several machines still tell who did what.
  const logger = base.child({ replica: replicaId });
  // The switch lock lasts as long as the run lease: a replica that dies holding both frees both together.
  const coordination = createCoordination({
    url: settings.redis,
    replicaId,
    logger,
    switchLockTtlMs: settings.leaseMs,
  });
  try {
    await coordination.connection.ready();
  } catch (error) {
    await coordination.close().catch(() => undefined);
    throw error;
  }
  logger.info(
    { redis: coordination.connection.where, lease_ms: settings.leaseMs },
    'coordinating through Redis',
  );
  return { logger, coordination };
}

async function runSchedule(flags: Flags, withServer: boolean) {
  const settings = settingsFrom(flags);
  // The scheduler, the server and the Redis client are loaded by the commands that use them: together
  // they take longer to load than a small publish takes to run.
  const [{ Scheduler }, { serve }] = await Promise.all([import('./scheduler.js'), import('./server.js')]);
  const { logger, coordination } = await joinReplicas(settings, createLogger(settings.logLevel));
  const scheduler = new Scheduler({ ...settings, logger, ...(coordination ? { coordination } : {}) });
  let app: FastifyInstance | undefined;
  onSignals(
    logger,
    async () => {
      await scheduler.stop();
      await app?.close();
    },
    () => scheduler.abort(),
  );
  if (withServer) {
    const started = await serve({
      ...settings,
      logger,
      nextRun: () => scheduler.nextRun(),
      ...(coordination ? { replica: () => coordination.status.snapshot() } : {}),
    });
    app = started.app;
    logger.info({ url: started.url, out: settings.out }, `serving ${settings.out} at ${started.url}`);
  }
  await scheduler.start();
  return new Promise<number>(() => undefined);
}

async function runServe(flags: Flags) {
  const settings = settingsFrom(flags);
  const logger = createLogger(settings.logLevel);
  const { serve } = await import('./server.js');
  const { app, url } = await serve({ ...settings, logger });
  logger.info({ url, out: settings.out }, `serving ${settings.out} at ${url}`);
  onSignals(
    logger,
    () => app.close(),
    () => undefined,
  );
  return new Promise<number>(() => undefined);
}

const sourceOption = () =>
  new Option(
    '-s, --source <path|url>',
    'a source file, a directory of sources, or an http(s) URL (repeatable; default data/sources)',
  ).argParser(collect);
const configOption = () =>
  new Option('--config <file>', 'config file (default newsdata.config.json in the current directory)');
const outOption = () => new Option('-o, --out <dir>', 'release store directory (default public)');
const langOption = () =>
  new Option('--lang <lang>', 'language of the report').choices(['en', 'zh']).default('en');
const publishOptions = (command: Command) =>
  command
    .addOption(new Option('--keep <n>', 'releases to keep (default 30)'))
    .addOption(
      new Option('--on-invalid <policy>', 'block (default) or quarantine').choices(['block', 'quarantine']),
    )
    .addOption(
      new Option(
        '--max-quarantine-share <share>',
        'under quarantine, the largest share of rejected rows (default 0.05)',
      ),
    );
const scheduleOptions = (command: Command) =>
  command
    .addOption(new Option('--cron <expr>', 'node-cron schedule (default "* * * * *": every minute)'))
    .addOption(new Option('--tz <zone>', 'IANA time zone of the schedule (default Asia/Shanghai)'))
    .addOption(new Option('--redis <url>', 'redis:// URL: replicas sharing the store coordinate through it'))
    .addOption(
      new Option(
        '--lease <ms>',
        'with --redis: a replica that dies mid-run is replaced after this long (default 30000)',
      ),
    )
    .addOption(new Option('--log-level <level>', 'pino log level (default info)'));
const serveOptions = (command: Command) =>
  command
    .addOption(new Option('-p, --port <n>', 'TCP port (default 8080; 0 picks a free one)'))
    .addOption(new Option('--host <address>', 'address to listen on (default 127.0.0.1)'))
    .addOption(
      new Option('--publication <title>', 'title of the catalog and prefix of download names, e.g. 大连日报'),
    );

/** The `newsdata` command line. Exported for tests; `main` runs it on `process.argv`. */
export function program(done: (code: number) => void): Command {
  const root = new Command('newsdata')
    .description('Turn Chinese newspaper pages into validated open data, republished on change.')
    .version(TOOL.version)
    .showHelpAfterError(false)
    .addHelpText(
      'after',
      `\nEnvironment variables (flags win over them; they win over the config file):\n${environmentHelp}\n\nExit codes: 0 ok, 1 warnings only (with --fail-on warning), 2 invalid data, 3 runtime error.`,
    );
  const wrap =
    <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      try {
        done(await action(...args));
      } catch (error) {
        done(report(error));
      }
    };

  root
    .command('validate')
    .description('parse, extract and validate the sources; publish nothing')
    .addOption(sourceOption())
    .addOption(configOption())
    .option('--report <file>', 'also write the report as JSON to this file')
    .addOption(langOption())
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 on warnings too')
        .choices(['error', 'warning'])
        .default('error'),
    )
    .action(wrap((options) => runValidate(options)));

  publishOptions(
    root
      .command('publish')
      .description('publish a release if the sources changed')
      .addOption(sourceOption())
      .addOption(outOption())
      .addOption(configOption())
      .addOption(langOption()),
  ).action(wrap((options) => runPublish(options)));

  publishOptions(
    scheduleOptions(
      root
        .command('schedule')
        .description('publish now, on a cron schedule, and when a local source changes')
        .addOption(sourceOption())
        .addOption(outOption())
        .addOption(configOption()),
    ),
  ).action(wrap((options) => runSchedule(options, false)));

  serveOptions(
    root
      .command('serve')
      .description('serve the release store over HTTP: catalog page, downloads, feed, health')
      .addOption(outOption())
      .addOption(configOption())
      .addOption(new Option('--log-level <level>', 'pino log level (default info)')),
  ).action(wrap((options) => runServe(options)));

  publishOptions(
    serveOptions(
      scheduleOptions(
        root
          .command('start')
          .description(
            'schedule + serve (defaults: sources data/sources, out public, every minute, port 8080)',
          )
          .addOption(sourceOption())
          .addOption(outOption())
          .addOption(configOption()),
      ),
    ),
  ).action(wrap((options) => runSchedule(options, true)));

  root.exitOverride();
  for (const command of root.commands) command.exitOverride();
  root.configureOutput({
    outputError: (text, write) =>
      write(
        `${text.trimEnd()}\nRun "pnpm cli --help" (or "pnpm cli <command> --help") for the commands and flags.\n`,
      ),
  });
  return root;
}

/** Run the CLI: commander's own errors (unknown flag, missing value) exit 3, help and version exit 0. */
export async function main(argv: string[] = process.argv): Promise<void> {
  const finish = (code: number) => {
    process.exitCode = code;
  };
  try {
    await program(finish).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      const ok = ['commander.helpDisplayed', 'commander.version'].includes(error.code);
      finish(ok ? ExitCode.ok : ExitCode.runtime);
      return;
    }
    finish(report(error));
  }
}
