/**
 * `ringmaster history [GROUP] [--commit SHA]`: the transitions the
 * controller's journal holds, newest first, each with its steps (start,
 * duration, attempts, outcome, error): what happened to a group, or what a
 * commit did (with what it changed), from the state folder alone.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import type { JournalEntry } from '../engine/journal.js';
import { historyItem, stepSeconds } from '../state/history-view.js';
import { ConfigurationError } from '../errors.js';
import { CommitLog, type CommitRecord } from '../state/commit-log.js';
import { FileJournalStore } from '../state/journal-store.js';
import { EXIT, type CliContext } from './context.js';
import { isFolder } from './file-request.js';
import { formatTable } from './table.js';

interface HistoryOptions {
  readonly state: string;
  readonly commit?: string;
  readonly json?: boolean;
  readonly limit: string;
}

export function registerHistory(program: Command, ctx: CliContext, setExit: (code: number) => void): void {
  program
    .command('history')
    .description("List a group's transitions (or every group's), newest first, with their steps")
    .argument('[group]', 'the group; every group when absent')
    .option(
      '--state <dir>',
      "the controller's state folder, whose journal holds the transitions",
      '.ringmaster',
    )
    .option(
      '--commit <sha>',
      "only this commit's transitions (7 to 40 hex digits), after what the commit changed",
    )
    .option('--json', 'print the transitions as JSON, each with its steps')
    .option('--limit <n>', 'show at most this many transitions', '20')
    .action(async (group: string | undefined, opts: HistoryOptions) => {
      const limit = Number(opts.limit);
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new ConfigurationError(
          'BadLimit',
          `--limit must be a whole number above 0, got "${opts.limit}"`,
        );
      const commit = opts.commit?.toLowerCase();
      if (commit !== undefined && !/^[0-9a-f]{7,40}$/.test(commit))
        throw new ConfigurationError(
          'BadCommit',
          `--commit must be 7 to 40 hex digits of a commit, got "${opts.commit}"`,
        );
      if (!(await isFolder(opts.state)))
        throw new ConfigurationError(
          'NoState',
          `no controller state in ${opts.state}; pass --state DIR (the controller's state folder)`,
        );
      const journal = new FileJournalStore(join(opts.state, 'journal'));
      let entries: JournalEntry[];
      try {
        entries = (await journal.history({ group, commit })).slice(0, limit);
      } finally {
        await journal.close();
      }
      const record = commit
        ? (await new CommitLog(join(opts.state, 'commits.json')).list()).find((c) =>
            c.commit.startsWith(commit),
          )
        : undefined;
      if (opts.json) ctx.io.out(JSON.stringify(entries.map(historyItem), null, 2));
      else {
        if (record) ctx.io.out(renderCommit(record));
        if (entries.length === 0) {
          const of = [group && `of group ${group}`, commit && `of commit ${commit}`]
            .filter(Boolean)
            .join(' ');
          ctx.io.out(`no transition ${of ? `${of} ` : ''}in ${opts.state}`);
        } else ctx.io.out(entries.map(renderEntry).join('\n\n'));
      }
      setExit(EXIT.ok);
    });
}

function renderCommit(c: CommitRecord): string {
  return [
    `commit ${c.commit}  ${c.outcome}  seen ${time(c.seenAt)}${c.reason ? `: ${c.reason}` : ''}`,
    ...(c.changes ?? []).map((line) => `  ${line}`),
    '',
  ].join('\n');
}

function renderEntry(e: JournalEntry): string {
  const releases = `${e.from?.release ?? '(new)'} → ${e.to?.release ?? '(removed)'}`;
  const when = `${time(e.startedAt)}${e.endedAt ? ` – ${time(e.endedAt)}` : ''}`;
  const head = `${e.id}  ${e.status}  ring ${e.ring}  ${releases}  ${when}`;
  const steps = formatTable(
    ['STEP', 'OUTCOME', 'STARTED', 'TOOK', 'ATTEMPTS', 'ERROR'],
    e.steps.map((s) => [
      s.name,
      s.status,
      time(s.startedAt),
      s.endedAt ? took(stepSeconds(s)) : '',
      String(s.attempts),
      s.error ?? s.undoError ?? '',
    ]),
  );
  const recovered = e.recovery ? [`  recovered --to ${e.recovery.to} at ${time(e.recovery.at)}`] : [];
  return [head, ...(e.reason ? [`  ${e.reason}`] : []), ...recovered, steps.replace(/^/gm, '  ')].join('\n');
}

/** `2026-11-22 10:00:05Z` */
function time(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/** `4.2 s`, `28m20s`, `16h28m`. */
function took(total: number): string {
  if (total < 60) return `${total} s`;
  const s = Math.round(total);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return h > 0 ? `${h}h${m}m` : `${m}m${s % 60}s`;
}
