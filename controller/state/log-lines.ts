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

/** The whole lines of a stretch of the log, read (see readLines). */
export interface LinesRead {
  /** The changes, in order. */
  readonly records: LogLine[];
  /** Bytes up to and including the last newline: what the next read starts after. */
  readonly bytes: number;
  /** Lines those bytes hold (a skipped torn line included). */
  readonly lines: number;
  /** Whether the stretch ends in a torn line: one cut short (left unread) or a last line that does not parse. */
  readonly tornTail: boolean;
}

/**
 * The changes of `chunk`, a stretch of the log of the snapshot `path` that
 * starts at line `firstLine` (counting from 1) and ends where the log ends
 * now. `parse` reads one line (undefined: it does not parse). The last line
 * may be torn: cut short (left unread) or not parsing (skipped). Throws
 * damagedLine for a line before it that does not parse.
 */
export function readLines(
  chunk: Buffer,
  path: string,
  firstLine: number,
  parse: (line: string) => LogLine | undefined,
): LinesRead {
  const end = chunk.lastIndexOf(0x0a);
  // Bytes after the last newline: a line still being written, or cut short by a crash.
  let tornTail = end < chunk.length - 1;
  if (end < 0) return { records: [], bytes: 0, lines: 0, tornTail };
  const lines = chunk.subarray(0, end).toString('utf8').split('\n');
  const records: LogLine[] = [];
  lines.forEach((line, i) => {
    // An empty line sets nothing and hides nothing.
    const record = line ? parse(line) : undefined;
    if (record) records.push(record);
    else if (line && (i < lines.length - 1 || tornTail)) throw damagedLine(path, firstLine + i);
    else if (line) tornTail = true;
  });
  return { records, bytes: end + 1, lines: lines.length, tornTail };
}
