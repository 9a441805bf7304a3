/**
 * The lines of a DurableMap's log (`<snapshot>.log`): one JSON object per
 * line that sets one key, `{"k":key,"v":value}`, or deletes it, `{"k":key}`.
 */
import { basename } from 'node:path';
import { ConfigurationError } from '../errors.js';

/** A log line as read. */
export interface LogLine {
  readonly k: string;
  /** Absent: the key was deleted. */
  readonly v?: unknown;
}

/** The line that sets `key` to `value` (as written), or deletes it when `value` is undefined; newline included. */
export function formatLine(key: string, value: unknown): string {
  return `${JSON.stringify(value === undefined ? { k: key } : { k: key, v: value })}\n`;
}

/** How many whole lines `text` holds. */
export function lineCount(text: string): number {
  let n = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) n++;
  return n;
}

/** A log line as written: an object with the key `k` (text) and, unless the key was deleted, `v`; nothing else. */
export function parseLine(line: string): LogLine | undefined {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
  const { k, ...rest } = record as Record<string, unknown>;
  if (typeof k !== 'string' || Object.keys(rest).some((key) => key !== 'v')) return undefined;
  return record as LogLine;
}

/**
 * A ConfigurationError for line `line` of the log of the snapshot `path`,
 * which does not parse although it is not the last: a crash tears only the
 * last line, so this is damage, and a change reported as done may be lost.
 */
export function damagedLine(path: string, line: number): ConfigurationError {
  const log = `${path}.log`;
  return new ConfigurationError(
    'StateUnreadable',
    `${log}:${line}: line ${line} is damaged: it is not a change Ringmaster wrote, and only the last line can be torn by a crash; ` +
      `restore ${basename(path)} and ${basename(log)} from a backup, or move both away to start afresh and put right what the controller then finds with ringmaster recover`,
  );
}
