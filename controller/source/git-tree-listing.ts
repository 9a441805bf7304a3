/**
 * The listing of one directory of a commit, made from its tree object and
 * the listing of the same directory in another commit. A new commit usually
 * changes a few of 10,000 entries: the unchanged run at the start and at the
 * end is found by comparing bytes natively and taken over as it is; only the
 * entries between are decoded, and only their new blobs are asked for a size.
 */
import type { SourceEntry } from '../model/file-source.js';
import {
  FORMAT,
  SUBMODULE,
  SYMLINK,
  TREE,
  type TreeEntry,
  commonPrefix,
  commonSuffix,
  compareEntries,
  decodeEntry,
  entryEnd,
  lowerBound,
} from './git-tree-format.js';

/** One directory as listed. */
export interface DirListing {
  /** The tree object's id and bytes. */
  readonly id: string;
  readonly raw: Buffer;
  /** Where each entry of `raw` starts, then `raw.length`. */
  readonly offsets: readonly number[];
  /** For each entry: the listing of a subtree, or the entry of a blob or submodule. */
  readonly children: readonly Child[];
  /** Where each child's files start in `entries`, then `entries.length`. */
  readonly starts: readonly number[];
  /** Every file below the directory, recursively, in git's order (as `git ls-tree -r` lists them). */
  readonly entries: readonly SourceEntry[];
}

type Child = DirListing | SourceEntry;

/** What a listing asks of the repository. Both throw NotFoundError for a missing object. */
export interface ListingObjects {
  /** The listing of the subtree `id` at `path`. */
  listDir(path: string, id: string): Promise<DirListing>;
  /** The size of each blob. */
  sizes(blobs: readonly { readonly path: string; readonly id: string }[]): Promise<number[]>;
}

/** Lists the tree `raw` (id `id`) of the directory `path`, taking unchanged entries from `base`. */
export async function buildListing(
  path: string,
  id: string,
  raw: Buffer,
  base: DirListing | undefined,
  objects: ListingObjects,
): Promise<DirListing> {
  const n = base?.children.length ?? 0;
  const { head, tailFrom } = base ? unchangedEnds(base, raw) : { head: 0, tailFrom: 0 };
  const delta = raw.length - (base?.raw.length ?? 0);
  const offsets = base ? base.offsets.slice(0, head) : [];
  const children: (Child | undefined)[] = base ? base.children.slice(0, head) : [];
  const trees: { readonly at: number; readonly entry: TreeEntry }[] = [];
  const blobs: { readonly at: number; readonly entry: TreeEntry }[] = [];
  let k = head; // the next entry of `base` for the walk; both trees are in git's order
  let j = tailFrom; // the next entry of `base` that may start the unchanged end
  let tail = n;
  for (let pos = base ? base.offsets[head]! : 0; pos < raw.length;) {
    while (j < n && base!.offsets[j]! + delta < pos) j++;
    if (j < n && base!.offsets[j]! + delta === pos) {
      tail = j; // from here on the bytes are those of `base` from entry j on
      break;
    }
    offsets.push(pos);
    const end = entryEnd(raw, pos);
    if (base) {
      // Entries of `base` that sort first are gone; an unchanged entry is taken as it was.
      while (k < n && compareEntries(base.raw, base.offsets[k]!, raw, pos) < 0) k++;
      const from = base.offsets[k];
      const to = base.offsets[k + 1];
      if (to !== undefined && raw.compare(base.raw, from, to, pos, end) === 0) {
        children.push(base.children[k++]);
        pos = end;
        continue;
      }
    }
    const entry = decodeEntry(raw, pos, end);
    const format = entry.mode & FORMAT;
    if (format === TREE) trees.push({ at: children.length, entry });
    else if (format !== SUBMODULE) blobs.push({ at: children.length, entry });
    // Subtrees and blobs are filled in below, once their listing and size are known.
    const submodule: SourceEntry = { path: `${path}/${entry.name}`, type: 'other', size: 0, id: entry.id };
    children.push(format === SUBMODULE ? submodule : undefined);
    pos = end;
  }
  const middle = children.length;
  for (let i = tail; i < n; i++) {
    offsets.push(base!.offsets[i]! + delta);
    children.push(base!.children[i]);
  }
  offsets.push(raw.length);
  const [subdirs, sizes] = await Promise.all([
    Promise.all(trees.map(({ entry }) => objects.listDir(`${path}/${entry.name}`, entry.id))),
    objects.sizes(blobs.map(({ entry }) => ({ path: `${path}/${entry.name}`, id: entry.id }))),
  ]);
  trees.forEach(({ at }, i) => (children[at] = subdirs[i]));
  blobs.forEach(({ at, entry }, i) => {
    const type = entry.mode === SYMLINK ? 'symlink' : 'file';
    children[at] = { path: `${path}/${entry.name}`, type, size: sizes[i]!, id: entry.id };
  });
  return withEntries(id, raw, offsets, children as Child[], base, head, middle, tail);
}

/**
 * The entries of `base` that `raw` keeps byte for byte: the first `head`, and
 * those from `tailFrom` on as far as the walk finds them at matching places.
 */
function unchangedEnds(base: DirListing, raw: Buffer): { head: number; tailFrom: number } {
  const prefix = commonPrefix(base.raw, raw);
  const head = lowerBound(base.offsets, prefix + 1) - 1;
  const start = base.offsets[head]!;
  const suffix = commonSuffix(base.raw, raw, Math.min(raw.length, base.raw.length) - start);
  return { head, tailFrom: lowerBound(base.offsets, base.raw.length - suffix, head) };
}

/** Completes a listing with its files: those of `base` before `head` and from `tail` on, the rest new. */
function withEntries(
  id: string,
  raw: Buffer,
  offsets: number[],
  children: readonly Child[],
  base: DirListing | undefined,
  head: number,
  middle: number,
  tail: number,
): DirListing {
  const starts = base ? base.starts.slice(0, head) : [];
  const before = base ? base.entries.slice(0, base.starts[head]) : [];
  const fresh: SourceEntry[] = [];
  for (let i = head; i < middle; i++) {
    starts.push(before.length + fresh.length);
    const child = children[i]!;
    if ('raw' in child) for (const entry of child.entries) fresh.push(entry);
    else fresh.push(child);
  }
  const after = base ? base.entries.slice(base.starts[tail]) : [];
  const shift = before.length + fresh.length - (base?.starts[tail] ?? 0);
  for (let i = tail; i < (base?.children.length ?? 0); i++) starts.push(base!.starts[i]! + shift);
  const entries = before.concat(fresh, after);
  starts.push(entries.length);
  return { id, raw, offsets, children, starts, entries };
}
