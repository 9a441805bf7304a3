/**
 * What loading learnt about each file, kept between loads of successive
 * commits so that a commit changing one file of 10,000 reads, parses and
 * schema-checks one file. A file is known by its content id (git's object id),
 * so a file changed and changed back, or a branch rewritten, is still served
 * correctly. The rules that span files run on every load: they are cheap next
 * to reading and parsing, and their findings depend on every file.
 */
import type { Diagnostic } from './diagnostics.js';
import type { ParsedFile } from './parse.js';
import type { Group, PromotionPolicy, Release, Ring } from './types.js';

/** What one file contributes to the model once it parsed and matched its schema. */
export type ModelItem =
  | { readonly kind: 'RingSet'; readonly ringSet: { name: string; rings: Ring[] } }
  | { readonly kind: 'Release'; readonly release: Release }
  | { readonly kind: 'Group'; readonly group: Group }
  | { readonly kind: 'Approval'; readonly transition: string }
  | { readonly kind: 'PromotionPolicy'; readonly policy: PromotionPolicy };

/** The outcome of loading one file on its own: its findings, and what it adds to the model when it is sound. */
export interface FileOutcome {
  /** The content id, the path read (a symlink's target) and the expected kind: any change means a reload. */
  readonly key: string;
  readonly parsed?: ParsedFile;
  /** Present when the file parsed, its header was right and it matched its schema. */
  readonly item?: ModelItem;
  /** The findings about this file alone (syntax, header, schema). */
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Per-file outcomes by path. Use one cache with one set of load options (the
 * same schemas and limits): outcomes are not keyed by them.
 */
export class LoadCache {
  readonly #files = new Map<string, FileOutcome>();
  /** How many files the last load took from the cache, and how many it read. */
  lastLoad = { reused: 0, read: 0 };

  /** The outcome kept for `path` when it was loaded with the same `key`. */
  get(path: string, key: string | undefined): FileOutcome | undefined {
    const kept = key === undefined ? undefined : this.#files.get(path);
    return kept?.key === key ? kept : undefined;
  }

  set(path: string, outcome: FileOutcome): void {
    this.#files.set(path, outcome);
  }

  /** Forgets every path not in `paths` (files the commit no longer has). */
  retain(paths: ReadonlySet<string>): void {
    for (const path of this.#files.keys()) if (!paths.has(path)) this.#files.delete(path);
  }

  get size(): number {
    return this.#files.size;
  }
}
