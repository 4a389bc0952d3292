import pino, { type Logger } from 'pino';

/**
 * JSON lines on stderr (stdout is for the human summary). Synchronous, so that the last lines are not
 * lost when a second signal ends the process at once.
 */
export function createLogger(level: string): Logger {
  return pino(
    { level, base: { name: 'newsdata' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: true }),
  );
}
