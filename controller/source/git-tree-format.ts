/**
 * Git's binary tree object: a sorted run of entries "<octal mode> <name>\0"
 * followed by the 20-byte object id. Helpers to walk it without decoding
 * what did not change.
 */

/** One entry of a tree object, decoded. */
export interface TreeEntry {
  readonly mode: number;
  readonly name: string;
  readonly id: string;
}

/** The file types of tree entries, as mode bits. */
export const TREE = 0o040000;
/** A submodule: the entry's id is a commit, not an object of this repository. */
export const SUBMODULE = 0o160000;
/** A symlink: the blob holds the link's target. */
export const SYMLINK = 0o120000;
/** The file-type bits of a mode. */
export const FORMAT = 0o170000;

const ID_BYTES = 20;
/** Bytes compared per native call when looking for the first difference. */
const BLOCK = 4096;

/** Where the entry starting at `pos` ends. Throws on a truncated tree. */
export function entryEnd(raw: Buffer, pos: number): number {
  const nul = raw.indexOf(0, pos);
  if (nul < 0 || nul + 1 + ID_BYTES > raw.length) throw new Error(`corrupt tree object at byte ${pos}`);
  return nul + 1 + ID_BYTES;
}

/** Decodes the entry from `pos` to `end` (see entryEnd). */
export function decodeEntry(raw: Buffer, pos: number, end: number): TreeEntry {
  const space = raw.indexOf(0x20, pos);
  return {
    mode: parseInt(raw.toString('latin1', pos, space), 8),
    name: raw.toString('utf8', space + 1, end - ID_BYTES - 1),
    id: raw.toString('hex', end - ID_BYTES, end),
  };
}

/** Every entry of a tree object. */
export function parseTree(raw: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (let pos = 0; pos < raw.length;) {
    const end = entryEnd(raw, pos);
    entries.push(decodeEntry(raw, pos, end));
    pos = end;
  }
  return entries;
}

/**
 * Orders two entries as git sorts them: by name bytes, a tree's name compared
 * as if it ended in "/". Negative when the entry at `a` in `aRaw` sorts first.
 */
export function compareEntries(aRaw: Buffer, a: number, bRaw: Buffer, b: number): number {
  const aSpace = aRaw.indexOf(0x20, a);
  const bSpace = bRaw.indexOf(0x20, b);
  const aLen = aRaw.indexOf(0, aSpace) - aSpace - 1;
  const bLen = bRaw.indexOf(0, bSpace) - bSpace - 1;
  const len = Math.min(aLen, bLen);
  const common = aRaw.compare(bRaw, bSpace + 1, bSpace + 1 + len, aSpace + 1, aSpace + 1 + len);
  if (common !== 0) return common;
  // The byte after the shared part: the next name byte, else "/" for a tree (mode 40000) and 0 for the rest.
  const next = (raw: Buffer, pos: number, space: number, nameLen: number) =>
    nameLen > len ? raw[space + 1 + len]! : raw[pos] === 0x34 ? 0x2f : 0;
  return next(aRaw, a, aSpace, aLen) - next(bRaw, b, bSpace, bLen);
}

/** How many leading bytes `a` and `b` share. */
export function commonPrefix(a: Buffer, b: Buffer): number {
  const max = Math.min(a.length, b.length);
  let at = 0;
  while (at < max) {
    const end = Math.min(at + BLOCK, max);
    if (a.compare(b, at, end, at, end) !== 0) break;
    at = end;
  }
  while (at < max && a[at] === b[at]) at++;
  return at;
}

/** How many trailing bytes `a` and `b` share, at most `max`. */
export function commonSuffix(a: Buffer, b: Buffer, max: number): number {
  let n = 0;
  while (n < max) {
    const step = Math.min(BLOCK, max - n);
    const aEnd = a.length - n;
    const bEnd = b.length - n;
    if (a.compare(b, bEnd - step, bEnd, aEnd - step, aEnd) !== 0) break;
    n += step;
  }
  while (n < max && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

/** The first index `i` in the ascending `values` with `values[i] >= target` (values.length when none). */
export function lowerBound(values: readonly number[], target: number, from = 0): number {
  let lo = from;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
