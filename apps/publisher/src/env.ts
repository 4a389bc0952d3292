/**
 * The one module that reads `process.env`. Everything else receives plain values, so that tests can
 * pass an environment of their own and nothing reads the environment behind the caller's back.
 */

/** Settings as they come from the environment: strings, unchecked. */
export interface EnvironmentSettings {
  /** `NEWSDATA_SOURCES`: comma separated files, directories or URLs. */
  sources?: string[];
  out?: string;
  cron?: string;
  tz?: string;
  port?: string;
  host?: string;
  keep?: string;
  onInvalid?: string;
  redis?: string;
  lease?: string;
  logLevel?: string;
  publication?: string;
  config?: string;
  /** The directory relative paths are resolved against: where the user ran `pnpm`. */
  base: string;
}

/** Names of the environment variables, for help texts and the README. */
export const environmentVariables = {
  sources: 'NEWSDATA_SOURCES',
  out: 'NEWSDATA_OUT',
  cron: 'NEWSDATA_CRON',
  tz: 'NEWSDATA_TZ',
  port: 'PORT',
  host: 'HOST',
  keep: 'NEWSDATA_KEEP',
  onInvalid: 'NEWSDATA_ON_INVALID',
  redis: 'REDIS_URL',
  lease: 'NEWSDATA_LEASE_MS',
  logLevel: 'LOG_LEVEL',
  publication: 'NEWSDATA_PUBLICATION',
  config: 'NEWSDATA_CONFIG',
} as const;

/**
 * Read the publisher's settings from an environment (default `process.env`). Empty values count as
 * unset. `base` is `INIT_CWD` (set by pnpm to the directory the user ran it in; pnpm itself runs root
 * scripts from the repository root) or else the process's working directory.
 */
export function readEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): EnvironmentSettings {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const settings: EnvironmentSettings = { base: get('INIT_CWD') ?? cwd };
  for (const [key, name] of Object.entries(environmentVariables)) {
    const value = get(name);
    if (value === undefined) continue;
    if (key === 'sources') {
      settings.sources = value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
    } else {
      (settings as unknown as Record<string, string>)[key] = value;
    }
  }
  return settings;
}

/** Whether stderr is a terminal (for the progress bar and human-readable logs). */
export function stderrIsTerminal(): boolean {
  return process.stderr.isTTY === true;
}
