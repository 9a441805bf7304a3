/**
 * The last time the controller's clock read, kept in the state folder
 * (`clock.json`), so that time never runs backwards across restarts. It
 * matters in a rehearsal, whose clock runs `--sim-speed` times faster than
 * the machine's: without it, a restart would start from the machine's time,
 * before the bake and keep times already recorded.
 */
import { join } from 'node:path';
import { ConfigurationError } from '../errors.js';
import { writeFileAtomic } from './atomic-file.js';
import { readJsonFile } from './json-file.js';

/** The file under `dir`. */
export function clockPath(dir: string): string {
  return join(dir, 'clock.json');
}

/** The time last recorded, or undefined when none was. Throws ConfigurationError for a damaged file. */
export async function loadClockTime(dir: string): Promise<Date | undefined> {
  const path = clockPath(dir);
  const stored = (await readJsonFile(path)) as { version?: unknown; now?: unknown } | undefined;
  if (stored === undefined) return undefined;
  const time = typeof stored.now === 'string' ? new Date(stored.now) : undefined;
  if (stored.version !== 1 || !time || Number.isNaN(time.getTime())) {
    throw new ConfigurationError(
      'StateUnreadable',
      `${path} is not the controller's clock (version 1); move it away, and the clock starts from the machine's time`,
    );
  }
  return time;
}

/** Records `now`; on disk before it returns. */
export async function saveClockTime(dir: string, now: Date): Promise<void> {
  await writeFileAtomic(clockPath(dir), `${JSON.stringify({ version: 1, now: now.toISOString() })}\n`);
}
