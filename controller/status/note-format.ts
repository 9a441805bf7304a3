/**
 * The text of a ringmaster status note: one line per status, oldest first,
 * readable in `git log --notes=ringmaster` and parsed back without ambiguity:
 *
 * ```
 * 2026-11-22T10:00:00.000Z pending "ringmaster/canary" "Rolling out 2026.11.2 to 3 groups"
 * 2026-11-22T10:20:00.000Z failure "ringmaster/canary/globex" "Cutover failed; rolled back" "https://rm.example/g/globex"
 * ```
 *
 * Fields are separated by one space: `createdAt` (ISO 8601 UTC), `state`, then
 * `context`, `description` and, when present, `targetUrl`, each written as a
 * JSON string literal. Quoting keeps spaces, quotes and line breaks inside
 * a field unambiguous, and JSON escapes every control character, so a status
 * is always exactly one line.
 *
 * Reading rule: a line that starts with an ISO 8601 UTC timestamp and a space
 * is a status line and must parse completely, or the note is reported as
 * malformed (PermanentError, reason MalformedStatusNote), because it is a
 * damaged record of ours. Every other line (a remark a person added with
 * `git notes append`, say) is not ours: it is skipped when reading and kept
 * as it is when writing, since writes only ever append.
 */
import { PermanentError } from '../errors.js';
import { COMMIT_STATES, type CommitState, type RecordedStatus } from './reporter.js';

// dotAll: a raw U+2028 inside a field must not end the match.
const STATUS_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z) (.*)$/s;

/** One status as its note line (no line break). */
export function formatStatusLine(status: RecordedStatus): string {
  const quoted = [status.context, status.description];
  if (status.targetUrl !== undefined) quoted.push(status.targetUrl);
  return [status.createdAt, status.state, ...quoted.map((f) => JSON.stringify(f))].join(' ');
}

/** `note` with `line` appended, every earlier line kept as it is. An empty note becomes just `line`. */
export function appendLine(note: string, line: string): string {
  const kept = note.trimEnd();
  return kept === '' ? `${line}\n` : `${kept}\n${line}\n`;
}

/**
 * The statuses of a note, oldest first, following the reading rule above.
 * Throws PermanentError (reason MalformedStatusNote) naming `commit` and the
 * line when a status line does not parse.
 */
export function parseStatusNote(note: string, commit: string): RecordedStatus[] {
  const statuses: RecordedStatus[] = [];
  note.split('\n').forEach((line, index) => {
    const match = STATUS_LINE.exec(line);
    if (!match) return;
    const status = parseFields(match[1]!, match[2]!);
    if (typeof status === 'string')
      throw new PermanentError(
        'MalformedStatusNote',
        `The ringmaster note of commit ${commit} has a malformed status on line ${index + 1} (${status}): ` +
          `${JSON.stringify(line)}. Fix or delete that line with \`git notes --ref ringmaster edit ${commit}\`.`,
      );
    statuses.push(status);
  });
  return statuses;
}

/** The status after the timestamp, or what is wrong with it. */
function parseFields(createdAt: string, rest: string): RecordedStatus | string {
  const space = rest.indexOf(' ');
  const state = space < 0 ? rest : rest.slice(0, space);
  if (!(COMMIT_STATES as readonly string[]).includes(state))
    return `state "${state}" is not one of ${COMMIT_STATES.join(', ')}`;
  const fields = space < 0 ? [] : quotedFields(rest.slice(space));
  if (fields === undefined) return 'expected quoted fields separated by single spaces';
  const [context, description, targetUrl, ...extra] = fields;
  if (context === undefined || description === undefined) return 'context or description is missing';
  if (extra.length > 0) return 'more than three quoted fields';
  const status = { createdAt, state: state as CommitState, context, description };
  return targetUrl === undefined ? status : { ...status, targetUrl };
}

/** The JSON strings of ` "a" "b" ...`, or undefined when `text` is anything else. */
function quotedFields(text: string): string[] | undefined {
  // One space, then a JSON string literal; sticky, so fields must follow each other with nothing between.
  const field = / ("(?:[^"\\]|\\.)*")/y;
  const fields: string[] = [];
  while (field.lastIndex < text.length) {
    const match = field.exec(text);
    if (!match) return undefined;
    try {
      fields.push(JSON.parse(match[1]!) as string);
    } catch {
      return undefined;
    }
  }
  return fields;
}
