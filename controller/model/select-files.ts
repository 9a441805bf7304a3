/** Which listed entries loading reads: the count, layout, size and symlink checks that need no file's content. */
import { posix } from 'node:path';
import type { Kind } from '../schema/validator.js';
import { type DiagnosticSink, atFileStart } from './diagnostics.js';
import { type FileSource, type SourceEntry, TooManyFilesError, topFolderOf } from './file-source.js';
import { type Placement, STATE_FOLDERS, classifyPath } from './layout.js';
import type { FileOutcome } from './load-cache.js';
import type { ParseLimits } from './parse.js';

/** A file to load: the path to read (a symlink's target), its kind, and its content id when the source has one. */
export interface Wanted {
  readonly readPath: string;
  readonly kind: Kind;
  readonly id?: string;
}

/**
 * What a LoadCache keeps about one listed path: its placement, the Wanted
 * made for it last (handed out again while nothing about it changed, so an
 * unchanged file is recognised by identity), and the outcome of loading it.
 */
export interface PathRecord {
  readonly placement: Placement;
  wanted?: Wanted;
  /** The outcome of the last load of this path; valid for a Wanted equal to its key. */
  outcome?: FileOutcome;
}

/** The entries to read, in listing order: parallel arrays, to spare an object per file and load. */
export interface Selection {
  readonly paths: string[];
  readonly wanted: Wanted[];
  /** The record of each path, when selecting with a memo. */
  readonly records: (PathRecord | undefined)[];
}

/**
 * Lists the entries under STATE_FOLDERS of `source`, at most `limits.maxFiles`
 * of them. More are reported to `sink` (rule too-many-files, on the folder
 * holding the most) and give undefined: nothing is listed further or read,
 * so a commit of 100,000 files costs a count, not the process's memory.
 */
export async function listWithinCap(
  source: FileSource,
  limits: ParseLimits,
  sink: DiagnosticSink,
): Promise<SourceEntry[] | undefined> {
  let entries: SourceEntry[];
  try {
    entries = await source.list(STATE_FOLDERS, { maxFiles: limits.maxFiles });
  } catch (err) {
    if (!(err instanceof TooManyFilesError)) throw err;
    reportTooMany(err.counts, limits.maxFiles, sink);
    return undefined;
  }
  if (entries.length <= limits.maxFiles) return entries;
  // A source that does not count as it lists (a wrapper, say): nothing is read yet either.
  const counts = new Map<string, number>();
  for (const e of entries) {
    const top = topFolderOf(e.path);
    counts.set(top, (counts.get(top) ?? 0) + 1);
  }
  reportTooMany(counts, limits.maxFiles, sink);
  return undefined;
}

function reportTooMany(counts: ReadonlyMap<string, number>, limit: number, sink: DiagnosticSink): void {
  const n = (x: number) => x.toLocaleString('en-US');
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const [folder, most] = [...counts].reduce((a, b) => (b[1] > a[1] ? b : a));
  const all =
    counts.size > 1 ? ` (${n(total)} under ${[...counts.keys()].map((f) => `${f}/`).join(' and ')})` : '';
  sink.error(
    atFileStart(`${folder}/`),
    'too-many-files',
    `${folder}/ holds ${n(most)} files${all}, more than the ${n(limit)} read at most, so none was read; ` +
      'remove files, or raise the limit with --max-files or RINGMASTER_MAX_FILES',
  );
}

/** Most symlinks followed in a row before giving up. */
const MAX_LINK_HOPS = 8;

/**
 * Decides which entries are read: reports unexpected files, oversized files
 * and symlinks that leave the folders we read. Returns what to read for each
 * path (a symlink reads its target), in the order of `entries`. `memo`, when
 * given, keeps a record of each path for the next call.
 */
export function selectFiles(
  entries: readonly SourceEntry[],
  linkTargets: ReadonlyMap<string, Buffer>,
  limits: ParseLimits,
  sink: DiagnosticSink,
  memo?: Map<string, PathRecord>,
): Selection {
  let byPath: Map<string, SourceEntry> | undefined; // for symlinks only, which are rare
  const selection: Selection = { paths: [], wanted: [], records: [] };
  for (const entry of entries) {
    let record = memo?.get(entry.path);
    if (!record) {
      record = { placement: classifyPath(entry.path) };
      memo?.set(entry.path, record);
    }
    if (record.placement.type === 'ignored') continue;
    if (entry.type === 'symlink') byPath ??= new Map(entries.map((e) => [e.path, e]));
    const target = targetOf(entry, record.placement, byPath, linkTargets, limits, sink);
    const { placement } = record;
    if (!target || placement.type !== 'kind') {
      record.outcome = undefined; // not read now: nothing worth keeping
      continue;
    }
    const { kind } = placement;
    let wanted = record.wanted;
    if (wanted?.readPath !== target.path || wanted.kind !== kind || wanted.id !== target.id) {
      wanted = { readPath: target.path, kind, id: target.id };
      if (memo) record.wanted = wanted;
    }
    selection.paths.push(entry.path);
    selection.wanted.push(wanted);
    selection.records.push(memo && record);
  }
  return selection;
}

/** The entry to read for `entry` (a symlink's target), or undefined after reporting why it is not read. */
function targetOf(
  entry: SourceEntry,
  placement: Placement,
  byPath: ReadonlyMap<string, SourceEntry> | undefined,
  linkTargets: ReadonlyMap<string, Buffer>,
  limits: ParseLimits,
  sink: DiagnosticSink,
): SourceEntry | undefined {
  // A symlink is judged by where it points before anything else, so a linked folder cannot smuggle files in.
  const target = entry.type === 'symlink' ? resolveLink(entry, byPath!, linkTargets, sink) : entry;
  if (entry.type === 'symlink' && !target) return undefined;
  if (placement.type === 'unexpected' || entry.type === 'other') {
    const hint = placement.type === 'unexpected' ? placement.hint : 'only regular files are read';
    sink.error(atFileStart(entry.path), 'unexpected-file', `unexpected file ${entry.path}: ${hint}`);
    return undefined;
  }
  if (!target) return undefined;
  if (target.size > limits.maxFileBytes) {
    sink.error(
      atFileStart(entry.path),
      'file-too-large',
      `file is ${target.size} bytes, over the limit of ${limits.maxFileBytes}; split it, or raise --max-file-bytes`,
    );
    return undefined;
  }
  return target;
}

function resolveLink(
  link: SourceEntry,
  byPath: ReadonlyMap<string, SourceEntry>,
  linkTargets: ReadonlyMap<string, Buffer>,
  sink: DiagnosticSink,
): SourceEntry | undefined {
  let current = link;
  for (let hop = 0; hop < MAX_LINK_HOPS && current.type === 'symlink'; hop++) {
    const text = linkTargets.get(current.path)?.toString('utf8') ?? '';
    const target = posix.normalize(posix.join(posix.dirname(current.path), text));
    if (posix.isAbsolute(text) || target === '..' || target.startsWith('../')) {
      sink.error(
        atFileStart(link.path),
        'symlink-outside',
        `symlink ${link.path} points outside the repository (${text}); replace it with the file itself`,
      );
      return undefined;
    }
    const next = byPath.get(target);
    if (!next) {
      sink.error(
        atFileStart(link.path),
        'symlink-outside',
        `symlink ${link.path} points to ${target}, which is not a file under ${STATE_FOLDERS.join('/ or ')}/; replace it with the file itself`,
      );
      return undefined;
    }
    current = next;
  }
  if (current.type === 'file') return current;
  sink.error(
    atFileStart(link.path),
    'symlink-loop',
    `symlink ${link.path} does not end in a file after ${MAX_LINK_HOPS} links`,
  );
  return undefined;
}
