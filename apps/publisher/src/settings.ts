import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { AppConfig } from '@newsdata/contract';
import { runtimeError } from '@newsdata/errors';
import { validateSchema } from '@newsdata/validate';
import cron from 'node-cron';
import { type EnvironmentSettings, environmentVariables } from './env.js';

/** Everything the commands need, after flags, environment, config file and defaults are merged. */
export interface Settings {
  /** Absolute paths or http(s) URLs. */
  sources: string[];
  /** Absolute path of the release store. */
  out: string;
  cron: string;
  tz: string;
  port: number;
  host: string;
  keep: number;
  onInvalid: 'block' | 'quarantine';
  maxQuarantineShare: number;
  redis: string | undefined;
  /**
   * With Redis: how long a replica's lease on a run lasts without renewal (renewed every third of it
   * while the run goes on), so a replica that dies mid-run is replaced after at most this long.
   */
  leaseMs: number;
  logLevel: NonNullable<AppConfig['log_level']>;
  /** Title of the data set on the catalog page and prefix of download names; empty: from the data. */
  publication: string | undefined;
}

/** Command-line flags as commander hands them over (all optional, all strings). */
export interface Flags {
  source?: string[];
  out?: string;
  cron?: string;
  tz?: string;
  port?: string;
  host?: string;
  keep?: string;
  onInvalid?: string;
  maxQuarantineShare?: string;
  redis?: string;
  lease?: string;
  logLevel?: string;
  publication?: string;
  config?: string;
}

export const defaults = {
  sources: ['data/sources'],
  out: 'public',
  cron: '* * * * *',
  tz: 'Asia/Shanghai',
  port: 8080,
  host: '127.0.0.1',
  keep: 30,
  onInvalid: 'block',
  maxQuarantineShare: 0.05,
  leaseMs: 30_000,
  logLevel: 'info',
} as const;

const CONFIG_FILE = 'newsdata.config.json';
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function badSetting(what: string, value: string, expected: string, where: string): never {
  throw runtimeError(
    'BAD_SETTING',
    `${what} ${JSON.stringify(value)} (${where}) is not valid: ${expected}.`,
    {
      setting: what,
    },
  );
}

/** Resolve a path or leave a URL alone. */
function place(value: string, base: string): string {
  if (/^https?:\/\//i.test(value)) return value;
  return isAbsolute(value) ? value : resolve(base, value);
}

/**
 * Read `newsdata.config.json` (or the file named by `--config` / `NEWSDATA_CONFIG`) and check it
 * against `schemas/config.schema.json`. A missing default file is fine; a missing named file is not.
 */
export function readConfigFile(named: string | undefined, base: string): { config: AppConfig; dir: string } {
  const file = resolve(base, named ?? CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (named === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT')
      return { config: {}, dir: base };
    throw runtimeError(
      'CONFIG_UNREADABLE',
      `Could not read the config file ${file}: ${(error as Error).message}; check --config.`,
      { file, cause: error },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw runtimeError(
      'CONFIG_NOT_JSON',
      `The config file ${file} is not JSON (${(error as Error).message}); fix its syntax.`,
      { file, cause: error },
    );
  }
  const problems = validateSchema('config', value);
  if (problems.length > 0) {
    const list = problems.map((problem) => `${problem.field ?? '/'}: ${problem.message}`).join('; ');
    throw runtimeError(
      'CONFIG_INVALID',
      `The config file ${file} does not match schemas/config.schema.json: ${list}. Fix those entries.`,
      { file },
    );
  }
  return { config: value as AppConfig, dir: dirname(file) };
}

function integer(value: string, what: string, where: string, min: number, max: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    badSetting(what, value, `expected a whole number from ${min} to ${max}`, where);
  }
  return number;
}

function checkTimeZone(tz: string, where: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    badSetting('time zone', tz, 'expected an IANA zone such as Asia/Shanghai or UTC', where);
  }
  return tz;
}

/**
 * Merge the settings: flags win over the environment, which wins over the config file, which wins
 * over the defaults. Relative paths from flags and the environment are resolved against `env.base`
 * (the directory the user ran `pnpm` in); those from the config file against the file's directory.
 *
 * @example resolveSettings({ source: ['data/sources'], port: '8081' }, readEnvironment())
 */
export function resolveSettings(flags: Flags, env: EnvironmentSettings): Settings {
  const { config, dir } = readConfigFile(flags.config ?? env.config, env.base);
  const from = <T>(flag: T | undefined, fromEnv: T | undefined, fromFile: T | undefined) =>
    flag !== undefined
      ? { value: flag, where: 'flag' }
      : fromEnv !== undefined
        ? { value: fromEnv, where: 'environment' }
        : fromFile !== undefined
          ? { value: fromFile, where: 'config file' }
          : undefined;

  const sources = flags.source?.length
    ? flags.source.map((s) => place(s, env.base))
    : env.sources?.length
      ? env.sources.map((s) => place(s, env.base))
      : config.sources?.length
        ? config.sources.map((s) => place(s, dir))
        : defaults.sources.map((s) => place(s, env.base));

  const out =
    flags.out !== undefined
      ? place(flags.out, env.base)
      : env.out !== undefined
        ? place(env.out, env.base)
        : config.out !== undefined
          ? place(config.out, dir)
          : place(defaults.out, env.base);

  const cronSetting = from(flags.cron, env.cron, config.cron);
  const cronExpression = cronSetting?.value ?? defaults.cron;
  if (!cron.validate(cronExpression)) {
    badSetting(
      'cron expression',
      cronExpression,
      `expected 5 or 6 fields such as "* * * * *" (every minute) or "0 */2 * * *"`,
      cronSetting?.where ?? 'default',
    );
  }

  const tzSetting = from(flags.tz, env.tz, config.tz);
  const tz = checkTimeZone(tzSetting?.value ?? defaults.tz, tzSetting?.where ?? 'default');

  const portSetting = from<string | number>(flags.port, env.port, config.port);
  const port =
    portSetting === undefined
      ? defaults.port
      : integer(String(portSetting.value), 'port', portSetting.where, 0, 65535);

  const hostSetting = from(flags.host, env.host, config.host);
  const keepSetting = from<string | number>(flags.keep, env.keep, config.keep);
  const keep =
    keepSetting === undefined
      ? defaults.keep
      : integer(String(keepSetting.value), 'keep', keepSetting.where, 2, 100_000);

  const invalidSetting = from<string>(flags.onInvalid, env.onInvalid, config.on_invalid);
  const onInvalid = invalidSetting?.value ?? defaults.onInvalid;
  if (onInvalid !== 'block' && onInvalid !== 'quarantine') {
    badSetting('on-invalid policy', onInvalid, 'expected block or quarantine', invalidSetting?.where ?? '');
  }

  const shareSetting = from<string | number>(
    flags.maxQuarantineShare,
    undefined,
    config.max_quarantine_share,
  );
  const maxQuarantineShare =
    shareSetting === undefined ? defaults.maxQuarantineShare : Number(shareSetting.value);
  if (!(maxQuarantineShare >= 0 && maxQuarantineShare <= 1)) {
    badSetting('max quarantine share', String(shareSetting?.value), 'expected a number from 0 to 1', 'flag');
  }

  const redisSetting = from(flags.redis, env.redis, config.redis);
  if (redisSetting && !/^rediss?:\/\//.test(redisSetting.value)) {
    badSetting('Redis URL', redisSetting.value, 'expected redis://host:port', redisSetting.where);
  }

  const leaseSetting = from(flags.lease, env.lease, undefined);
  const leaseMs =
    leaseSetting === undefined
      ? defaults.leaseMs
      : integer(leaseSetting.value, 'lease (ms)', leaseSetting.where, 1_000, 3_600_000);

  const levelSetting = from<string>(flags.logLevel, env.logLevel, config.log_level);
  const logLevel = (levelSetting?.value ?? defaults.logLevel) as Settings['logLevel'];
  if (!logLevels.includes(logLevel)) {
    badSetting('log level', logLevel, `expected one of ${logLevels.join(', ')}`, levelSetting?.where ?? '');
  }

  return {
    sources,
    out,
    cron: cronExpression,
    tz,
    port,
    host: hostSetting?.value ?? defaults.host,
    keep,
    onInvalid,
    maxQuarantineShare,
    redis: redisSetting?.value,
    leaseMs,
    logLevel,
    publication: from(flags.publication, env.publication, config.publication)?.value,
  };
}

/** For help texts: which environment variable sets what. */
export const environmentHelp = Object.entries(environmentVariables)
  .map(([key, name]) => `  ${name.padEnd(22)} ${key}`)
  .join('\n');
