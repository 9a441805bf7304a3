import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileSource } from '../../controller/model/file-source.js';
import { type LoadResult, loadConstellation } from '../../controller/model/load.js';
import { LoadCache } from '../../controller/model/load-cache.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { GitCommitSource } from '../../controller/source/git-source.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const validator = createSchemaValidator('schemas');

/** A source that counts the files read through it. */
function counting(source: FileSource): FileSource & { readPaths: string[] } {
  const readPaths: string[] = [];
  return {
    label: source.label,
    list: (folders) => source.list(folders),
    read: async (paths) => {
      readPaths.push(...paths);
      return source.read(paths);
    },
    readPaths,
  };
}

async function load(repo: FixtureRepo, commit: string, cache?: LoadCache) {
  const source = counting(new GitCommitSource(repo.git, commit));
  const result = await loadConstellation(source, { validator, limits: DEFAULT_PARSE_LIMITS, cache });
  return { result, read: source.readPaths };
}

/** What a load produced, in a form two loads can be compared by. */
function essence(r: LoadResult) {
  const c = r.constellation;
  return {
    diagnostics: r.diagnostics,
    groups: c && [...c.groups.values()],
    releases: c && [...c.releases.values()],
    rings: c?.rings,
    policy: c?.policy,
    approvals: c && [...c.approvals],
  };
}

describe('loading successive commits with a cache', () => {
  let repo: FixtureRepo;
  beforeEach(async () => {
    repo = await createFixtureRepo();
  });
  afterEach(async () => removeDir(repo.dir));

  it('reads only the file a commit changed, and loads exactly what a fresh load does', async () => {
    const cache = new LoadCache();
    const first = await load(repo, repo.baseSha, cache);
    expect(first.result.constellation).toBeDefined();
    expect(cache.lastLoad).toEqual({ reused: 0, read: first.read.length });

    await repo.edit('groups/globex.yaml', 'language: de-DE', 'language: de-AT');
    const next = await repo.commit('globex speaks Austrian German');
    const second = await load(repo, next, cache);
    expect(second.read).toEqual(['groups/globex.yaml']);
    expect(cache.lastLoad).toEqual({ reused: first.read.length - 1, read: 1 });
    expect(second.result.constellation!.groups.get('globex')!.tenants[0]!.language).toBe('de-AT');
    expect(essence(second.result)).toEqual(essence((await load(repo, next)).result));
  });

  it('reports a file broken in one commit, and forgets the finding once it is fixed', async () => {
    const cache = new LoadCache();
    await load(repo, repo.baseSha, cache);
    await repo.edit('groups/globex.yaml', 'ring: stable', 'ring: stabel');
    const broken = await repo.commit('typo');
    const bad = await load(repo, broken, cache);
    expect(bad.result.constellation).toBeUndefined();
    expect(bad.result.diagnostics.map((d) => `${d.file}:${d.line}:${d.rule}`)).toEqual([
      'groups/globex.yaml:4:unknown-ring',
    ]);
    // A cross-file rule: it runs on every load, so a cached file still gets it.
    const again = await load(repo, broken, cache);
    expect(again.read).toEqual([]);
    expect(again.result.diagnostics).toEqual(bad.result.diagnostics);

    await repo.edit('groups/globex.yaml', 'ring: stabel', 'ring: stable');
    const fixed = await load(repo, await repo.commit('fix the typo'), cache);
    expect(fixed.read).toEqual(['groups/globex.yaml']);
    expect(fixed.result.diagnostics).toEqual([]);
    expect(fixed.result.constellation).toBeDefined();
  });

  it('keeps the syntax findings of a cached file and drops files the commit removed', async () => {
    const cache = new LoadCache();
    await load(repo, repo.baseSha, cache);
    const files = cache.size;
    await repo.write('groups/initech.yaml', 'name: [unclosed\n');
    const broken = await repo.commit('a broken file');
    const first = await load(repo, broken, cache);
    const second = await load(repo, broken, cache);
    expect(second.read).toEqual([]);
    expect(second.result.diagnostics).toEqual(first.result.diagnostics);
    expect(second.result.diagnostics.some((d) => d.file === 'groups/initech.yaml')).toBe(true);

    await rm(join(repo.dir, 'groups/initech.yaml'));
    const removed = await load(repo, await repo.commit('remove it'), cache);
    expect(removed.read).toEqual([]);
    expect(removed.result.diagnostics).toEqual([]);
    expect(cache.size).toBe(files);
  });

  it('reloads a file whose content returns to an earlier version, by content id', async () => {
    const cache = new LoadCache();
    await load(repo, repo.baseSha, cache);
    await repo.edit('groups/globex.yaml', 'language: de-DE', 'language: de-AT');
    const changed = await repo.commit('change');
    await load(repo, changed, cache);
    // Back to the base commit (as after a revert or a force push): the content id decides, not the order.
    const back = await load(repo, repo.baseSha, cache);
    expect(back.read).toEqual(['groups/globex.yaml']);
    expect(back.result.constellation!.groups.get('globex')!.tenants[0]!.language).toBe('de-DE');
  });
});
