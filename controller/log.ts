/**
 * The one way Ringmaster makes a logger, so every logger keeps secrets out
 * the same way: fields named like credentials are replaced by pino's `redact`,
 * and the user-info of every URL (`https://user:TOKEN@host/…`) is cut from
 * each line just before it is written, whatever field or message carries it.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import { redactUrls } from './source/mirror-remote.js';

/** Field paths whose values never reach a log line. */
export const REDACTED_PATHS: readonly string[] = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
];

/** What a logger is made of. */
export interface LoggerOptions {
  readonly level: string;
  /** Fields on every line (the controller adds its pid). */
  readonly base?: Record<string, unknown>;
}

/**
 * A pino logger writing JSON lines to `destination`, with credentials
 * redacted (see the module comment). Throws like pino on an unknown level.
 */
export function createLogger(options: LoggerOptions, destination: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      redact: [...REDACTED_PATHS],
      ...(options.base ? { base: options.base } : {}),
      // One pass over the finished line: cheaper than walking every object, and it sees messages and errors too.
      hooks: { streamWrite: redactUrls },
    },
    destination,
  );
}
