/**
 * Retry files (groups/retries/<group>@<commit>.yaml) load into the model like
 * approvals: checked against their schema, named after the id they hold, and,
 * like approvals of past transitions, never an error for naming a group that
 * is gone (they are history; the planner ignores what no hold matches).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConstellation } from '../../controller/model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { DirectorySource } from '../../controller/source/dir-source.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const validator = createSchemaValidator('schemas');

const retryYaml = (id: string, extra = '') =>
  `apiVersion: ringmaster/v1\nkind: Retry\nretry: ${id}\n${extra}`;

describe('loading Retry files', () => {
  let repo: FixtureRepo;
  beforeEach(async () => {
    repo = await createFixtureRepo();
    await mkdir(join(repo.dir, 'groups', 'retries'));
  });
  afterEach(async () => {
    await removeDir(repo.dir);
  });

  const load = () =>
    loadConstellation(new DirectorySource(repo.dir), { validator, limits: DEFAULT_PARSE_LIMITS });
  const findings = async () =>
    (await load()).diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message} [${d.rule}]`);

  it('reads every retry into the constellation by id, a retry of a group that is gone included', async () => {
    await repo.write(
      'groups/retries/globex@0123456789ab.yaml',
      retryYaml(
        'globex@0123456789ab',
        'requestedBy: jane\nrequestedAt: "2026-11-22T10:00:00Z"\ndescription: "the database was restarted"\n',
      ),
    );
    await repo.write('groups/retries/retired@ba9876543210.yaml', retryYaml('retired@ba9876543210'));
    const result = await load();
    expect(result.diagnostics).toEqual([]);
    expect([...result.constellation!.retries].sort()).toEqual([
      'globex@0123456789ab',
      'retired@ba9876543210',
    ]);
    expect(result.constellation!.approvals.size).toBe(0);
  });

  it.each([
    [
      'a file named after another id',
      'groups/retries/globex@ba9876543210.yaml',
      retryYaml('globex@0123456789ab'),
      'groups/retries/globex@ba9876543210.yaml:3:8: the retry of globex@0123456789ab must be in groups/retries/globex@0123456789ab.yaml; rename the file or fix the retry [file-name-mismatch]',
    ],
    [
      'an id without its commit',
      'groups/retries/globex.yaml',
      retryYaml('globex'),
      'groups/retries/globex.yaml:3:8: retry: "globex" is not a valid held transition id: The failed transition the group is held for, <group>@<first 12 characters of the commit>, as `ringmaster plan` shows it; the file is named after it. [schema-pattern]',
    ],
    [
      'a file without its id',
      'groups/retries/globex@0123456789ab.yaml',
      'apiVersion: ringmaster/v1\nkind: Retry\nrequestedBy: jane\n',
      'groups/retries/globex@0123456789ab.yaml:1:1: missing required property "retry" (The failed transition the group is held for, <group>@<first 12 characters of the commit>, as `ringmaster plan` shows it; the file is named after it.) [schema-required]',
    ],
    [
      'a Retry among the groups',
      'groups/globex-retry.yaml',
      retryYaml('globex@0123456789ab'),
      'groups/globex-retry.yaml:2:7: a Retry does not belong at groups/globex-retry.yaml (a Group goes here); move it to groups/retries/globex@0123456789ab.yaml [wrong-place]',
    ],
    [
      'a file in a folder below groups/retries/',
      'groups/retries/old/globex@0123456789ab.yaml',
      retryYaml('globex@0123456789ab'),
      'groups/retries/old/globex@0123456789ab.yaml:1:1: unexpected file groups/retries/old/globex@0123456789ab.yaml: this folder is not read; expected groups/rings.yaml, groups/<group>.yaml, groups/releases/<version>.yaml, groups/approvals/<transition>.yaml, groups/retries/<group>@<commit>.yaml or policies/<name>.yaml [unexpected-file]',
    ],
  ])('reports %s at its place, and loads no constellation', async (_name, path, text, finding) => {
    await mkdir(join(repo.dir, path, '..'), { recursive: true });
    await writeFile(join(repo.dir, path), text);
    expect(await findings()).toEqual([finding]);
    expect((await load()).constellation).toBeUndefined();
  });
});
