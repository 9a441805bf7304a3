/**
 * What loading learnt, kept between loads of successive commits so that a
 * commit changing one file of 10,000 reads, parses and schema-checks one
 * file, and re-checks the rules that span files only for what changed. A
 * file is known by its content id (git's object id), so a file changed and
 * changed back, or a branch rewritten, is still served correctly.
 */
import type { Diagnostic } from './diagnostics.js';
import { GroupRuleIndex } from './group-rule-index.js';
import type { ParsedFile } from './parse.js';
import type { PathRecord, Wanted } from './select-files.js';
import type { Group, PromotionPolicy, Release, Ring } from './types.js';

/** What one file contributes to the model once it parsed and matched its schema. */
export type ModelItem =
  | { readonly kind: 'RingSet'; readonly ringSet: { name: string; rings: Ring[] } }
  | { readonly kind: 'Release'; readonly release: Release }
  | { readonly kind: 'Group'; readonly group: Group }
  | { readonly kind: 'Approval'; readonly transition: string }
  | { readonly kind: 'Retry'; readonly retry: string }
  | { readonly kind: 'PromotionPolicy'; readonly policy: PromotionPolicy };

/** The outcome of loading one file on its own: its findings, and what it adds to the model when it is sound. */
export interface FileOutcome {
  /** The content id, the path read (a symlink's target) and the expected kind: any change means a reload. */
  readonly key: Wanted;
  readonly parsed?: ParsedFile;
  /** Present when the file parsed, its header was right and it matched its schema. */
  readonly item?: ModelItem;
  /** The findings about this file alone (syntax, header, schema). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * A record of each listed path (its placement, what was read for it and the
 * outcome) and the indexes of the group rules. Use one cache with one set of
 * load options (the same schemas and limits): nothing is keyed by them.
 * Loads through one cache may overlap; each is correct, the later one may
 * read more.
 */
export class LoadCache {
  /** Every path listed by the last load, with what is known about it. */
  readonly paths = new Map<string, PathRecord>();
  /** The group rules' indexes as of the last load. */
  readonly groupRules = new GroupRuleIndex();
  /** How many files the last load took from the cache, and how many it read. */
  lastLoad = { reused: 0, read: 0 };

  /** Forgets every path not in `listed` (files the commit no longer has). */
  retain(listed: readonly { readonly path: string }[]): void {
    if (this.paths.size <= listed.length) return; // every listed path has a record: nothing else is kept
    const keep = new Set(listed.map((e) => e.path));
    for (const path of this.paths.keys()) if (!keep.has(path)) this.paths.delete(path);
  }

  /** How many files have an outcome kept. */
  get size(): number {
    let n = 0;
    for (const record of this.paths.values()) if (record.outcome) n++;
    return n;
  }
}

/** The outcome in `record` when it was loaded from the same content, path and kind as `key`; never without an id. */
export function keptOutcome(record: PathRecord | undefined, key: Wanted): FileOutcome | undefined {
  const kept = record?.outcome;
  if (!kept || key.id === undefined) return undefined;
  const k = kept.key;
  return k === key || (k.id === key.id && k.readPath === key.readPath && k.kind === key.kind)
    ? kept
    : undefined;
}
