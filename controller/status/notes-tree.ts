/**
 * Builds a notes commit without a git child: the note's blob, the trees of
 * the notes tree down to it and the commit are written as loose objects
 * (zlib-deflated `<type> <size>\0<content>`, named by their hash, in the
 * repository's object format), as git itself writes them. The notes tree
 * keeps the layout it has: a note replaces the commit's note where it is, or
 * goes into the fan-out folder (`ab/cdef…`) its commit's name leads to; a
 * level holding more than FANOUT_AT notes is split into fan-out folders, so no
 * tree grows past a few hundred entries. git reads every such layout, and
 * rewrites it its own way when `git notes` writes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, link, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

/** The most notes one level of the notes tree holds before it is split into fan-out folders. */
export const FANOUT_AT = 256;

const TREE_MODE = '40000';
const BLOB_MODE = '100644';

/** One entry of a tree object. */
interface TreeEntry {
  readonly mode: string;
  readonly name: string;
  id: string;
}

/** Reads an object's content; undefined when the repository has no such object of that type. */
export type ReadObject = (id: string, type: 'tree' | 'commit') => Promise<Buffer | undefined>;

/** Where and how a repository keeps its objects. */
export interface ObjectDatabase {
  /** The objects folder (`git rev-parse --git-path objects`). */
  readonly dir: string;
  /** `sha1` or `sha256` (`git rev-parse --show-object-format`). */
  readonly format: string;
  readonly read: ReadObject;
}

/** Writes `content` as a loose object of `type` unless it exists; returns its id. */
export async function writeObject(db: ObjectDatabase, type: string, content: Buffer): Promise<string> {
  const header = Buffer.from(`${type} ${content.length}\0`);
  const id = createHash(db.format).update(header).update(content).digest('hex');
  const folder = join(db.dir, id.slice(0, 2));
  const file = join(folder, id.slice(2));
  if (
    await access(file).then(
      () => true,
      () => false,
    )
  )
    return id;
  await mkdir(folder, { recursive: true });
  // Written aside and linked into place, as git does: a reader never sees half an object.
  const temporary = join(folder, `tmp_obj_ringmaster_${process.pid}_${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(temporary, deflateSync(Buffer.concat([header, content])), { mode: 0o444 });
    await link(temporary, file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
  } finally {
    await rm(temporary, { force: true });
  }
  return id;
}

/**
 * The notes tree of `tree` (undefined: an empty one) with `blob` as the note
 * of `commit`; returns the new tree's id.
 */
export async function putNote(
  db: ObjectDatabase,
  tree: string | undefined,
  commit: string,
  blob: string,
): Promise<string> {
  const entries = tree === undefined ? [] : await readTree(db, tree);
  const here = entries.find((e) => e.name === commit && e.mode !== TREE_MODE);
  if (here) {
    here.id = blob;
    return writeTree(db, entries);
  }
  const folder = entries.find((e) => e.mode === TREE_MODE && e.name === commit.slice(0, 2));
  if (folder && commit.length > 2) {
    folder.id = await putNote(db, folder.id, commit.slice(2), blob);
    return writeTree(db, entries);
  }
  entries.push({ mode: BLOB_MODE, name: commit, id: blob });
  const notes = entries.filter((e) => e.mode !== TREE_MODE && isNoteName(e.name, commit.length));
  if (notes.length <= FANOUT_AT || commit.length <= 2) return writeTree(db, entries);
  // Too many notes at this level: each goes one folder down, under the first two characters of its name.
  const kept = entries.filter((e) => !notes.includes(e));
  const folders = new Map<string, TreeEntry[]>();
  for (const note of notes) {
    const prefix = note.name.slice(0, 2);
    folders.set(prefix, [...(folders.get(prefix) ?? []), { ...note, name: note.name.slice(2) }]);
  }
  for (const [prefix, moved] of folders) {
    const existing = kept.find((e) => e.mode === TREE_MODE && e.name === prefix);
    if (!existing) kept.push({ mode: TREE_MODE, name: prefix, id: await writeTree(db, moved) });
    // A layout git left mixed: the folder exists already, and the notes join it.
    else for (const note of moved) existing.id = await putNote(db, existing.id, note.name, note.id);
  }
  return writeTree(db, kept);
}

/** The content of a commit of the notes tree `tree` on top of `parent` ('' for the first). */
export function notesCommit(tree: string, parent: string, ident: string, message: string): Buffer {
  const when = `${Math.floor(Date.now() / 1000)} +0000`;
  return Buffer.from(
    [
      `tree ${tree}`,
      ...(parent ? [`parent ${parent}`] : []),
      `author ${ident} ${when}`,
      `committer ${ident} ${when}`,
      '',
      message,
      '',
    ].join('\n'),
  );
}

/** The tree a commit points at. */
export async function treeOf(db: ObjectDatabase, commit: string): Promise<string> {
  const content = await db.read(commit, 'commit');
  const tree =
    content && /^tree ([0-9a-f]+)$/m.exec(content.toString('utf8', 0, content.indexOf('\n\n')))?.[1];
  if (!tree) throw new Error(`${commit} is not a commit of this repository`);
  return tree;
}

/** A note's name at a level: the rest of a commit's name, in hex. */
function isNoteName(name: string, length: number): boolean {
  return name.length === length && /^[0-9a-f]+$/.test(name);
}

async function readTree(db: ObjectDatabase, id: string): Promise<TreeEntry[]> {
  const content = await db.read(id, 'tree');
  if (!content) throw new Error(`${id} is not a tree of this repository`);
  const idBytes = db.format === 'sha256' ? 32 : 20;
  const entries: TreeEntry[] = [];
  for (let at = 0; at < content.length;) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > content.length)
      throw new Error(`tree ${id} does not parse`);
    entries.push({
      mode: content.toString('latin1', at, space),
      name: content.toString('utf8', space + 1, nul),
      id: content.toString('hex', nul + 1, nul + 1 + idBytes),
    });
    at = nul + 1 + idBytes;
  }
  return entries;
}

/** Writes a tree of `entries` in git's order: by name, a folder's name compared as if it ended in `/`. */
function writeTree(db: ObjectDatabase, entries: readonly TreeEntry[]): Promise<string> {
  const key = (e: TreeEntry) => Buffer.from(e.mode === TREE_MODE ? `${e.name}/` : e.name);
  const sorted = [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
  const parts = sorted.flatMap((e) => [Buffer.from(`${e.mode} ${e.name}\0`), Buffer.from(e.id, 'hex')]);
  return writeObject(db, 'tree', Buffer.concat(parts));
}
