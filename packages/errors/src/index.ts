/**
 * Whose fault an error is. The CLI maps it to an exit code (DESIGN §6):
 * `data` → 2 (the input is wrong: fix the source), `runtime` → 3 (the environment is wrong: fix the
 * arguments, the path, the disk, the network).
 */
export type Fault = 'data' | 'runtime';

/** Where in an input an error was found, when known. Lines and columns are 1-based. */
export interface ErrorContext {
  file?: string;
  line?: number;
  column?: number;
  /** Byte offset in the input, for decoding errors. */
  offset?: number;
  [key: string]: unknown;
}

export interface NewsDataErrorOptions extends ErrorContext {
  cause?: unknown;
  fault?: Fault;
}

/**
 * The one error class of the toolkit. `code` is stable and SCREAMING_SNAKE (`SOURCE_NOT_DECODABLE`);
 * `message` says what failed, what was expected and what to do; `context` holds the position.
 *
 * Problems found in the data of a record are report entries, not exceptions; this is for what stops
 * a step from running at all.
 */
export class NewsDataError extends Error {
  override readonly name = 'NewsDataError';
  readonly code: string;
  readonly fault: Fault;
  readonly context: ErrorContext;

  constructor(code: string, message: string, options: NewsDataErrorOptions = {}) {
    const { cause, fault = 'runtime', ...context } = options;
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.fault = fault;
    this.context = context;
  }

  /** `file:line:column` when the error has a position, for editors and terminals. */
  get location(): string | undefined {
    const { file, line, column } = this.context;
    if (file === undefined) return undefined;
    if (line === undefined) return file;
    return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
  }

  toJSON(): { code: string; fault: Fault; message: string; context: ErrorContext } {
    return { code: this.code, fault: this.fault, message: this.message, context: this.context };
  }
}

/** Shorthand for an error that is the data's fault (exit code 2). */
export function dataError(code: string, message: string, options: Omit<NewsDataErrorOptions, 'fault'> = {}) {
  return new NewsDataError(code, message, { ...options, fault: 'data' });
}

/** Shorthand for an error that is the environment's fault (exit code 3). */
export function runtimeError(
  code: string,
  message: string,
  options: Omit<NewsDataErrorOptions, 'fault'> = {},
) {
  return new NewsDataError(code, message, { ...options, fault: 'runtime' });
}

export function isNewsDataError(value: unknown): value is NewsDataError {
  return value instanceof NewsDataError;
}

/** Exit codes shared by every CLI command (DESIGN §6). */
export const ExitCode = {
  ok: 0,
  warnings: 1,
  invalidData: 2,
  runtime: 3,
} as const;

/** The exit code for an error thrown out of a command: typed data errors → 2, everything else → 3. */
export function exitCodeFor(error: unknown): number {
  return isNewsDataError(error) && error.fault === 'data' ? ExitCode.invalidData : ExitCode.runtime;
}

/**
 * Wrap a Node system error (ENOENT, EACCES, ENOSPC…) into a runtime error whose message says what to do.
 */
export function fromSystemError(error: unknown, action: string, file?: string): NewsDataError {
  if (isNewsDataError(error)) return error;
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  const hint: Record<string, string> = {
    ENOENT: 'the path does not exist; check the spelling or create it',
    EACCES: 'permission denied; check the owner and mode of the path',
    EPERM: 'operation not permitted; check the owner and mode of the path',
    ENOSPC: 'the disk is full; free some space and run again',
    EISDIR: 'a directory was given where a file was expected',
    ENOTDIR: 'a file was given where a directory was expected',
    EMFILE: 'too many open files; raise the limit (ulimit -n)',
  };
  const reason = (errno && hint[errno]) ?? (error instanceof Error ? error.message : String(error));
  return runtimeError(
    errno ? `IO_${errno}` : 'IO_ERROR',
    `Could not ${action}${file ? ` ${file}` : ''}: ${reason}.`,
    {
      cause: error,
      ...(file === undefined ? {} : { file }),
    },
  );
}
