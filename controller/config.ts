import { ConfigurationError } from './errors.js';
import { DEFAULT_PARSE_LIMITS } from './model/parse.js';

/** Settings from the environment, read once at start. Flags of each command override them. */
export interface EnvConfig {
  /** Default repository folder (RINGMASTER_REPO, else the current folder). */
  readonly repo: string;
  /** Largest file read, in bytes (RINGMASTER_MAX_FILE_BYTES, default 1 MiB). */
  readonly maxFileBytes: number;
}

/** Parses the environment into a frozen EnvConfig. Throws ConfigurationError on a bad value. */
export function loadEnvConfig(env: Readonly<Record<string, string | undefined>>): EnvConfig {
  return Object.freeze({
    repo: env.RINGMASTER_REPO || '.',
    maxFileBytes: env.RINGMASTER_MAX_FILE_BYTES
      ? parsePositiveInt(env.RINGMASTER_MAX_FILE_BYTES, 'RINGMASTER_MAX_FILE_BYTES')
      : DEFAULT_PARSE_LIMITS.maxFileBytes,
  });
}

/** Parses a whole number above zero; `name` says where it came from in the error. */
export function parsePositiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigurationError('BadNumber', `${name} must be a whole number above 0, got "${text}"`);
  }
  return n;
}

/** Parses an ISO 8601 instant for --now. */
export function parseInstant(text: string, name: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new ConfigurationError(
      'BadTime',
      `${name} must be a date or time like 2026-12-24 or 2026-12-24T10:00:00Z, got "${text}"`,
    );
  }
  return d;
}
