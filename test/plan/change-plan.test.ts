/** Which rings a change touches, so the controller knows whose approvals a commit needs. */
import { loadConstellation } from '../../controller/model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import type { Constellation } from '../../controller/model/types.js';
import { planChange, ringsTouched } from '../../controller/plan/change-plan.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { DirectorySource } from '../../controller/source/dir-source.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

describe('a change adding Retry files', () => {
  let repo: FixtureRepo;
  let base: Constellation;
  beforeAll(async () => {
    repo = await createFixtureRepo();
    const result = await loadConstellation(new DirectorySource(repo.dir), {
      validator: createSchemaValidator('schemas'),
      limits: DEFAULT_PARSE_LIMITS,
    });
    base = result.constellation!;
  });
  afterAll(async () => {
    await removeDir(repo.dir);
  });

  const adding = (...ids: string[]): Constellation => ({
    ...base,
    retries: new Set([...base.retries, ...ids]),
  });

  it('touches the ring of the group retried, like a change of the group', () => {
    const head = adding('shared-1@0123456789ab');
    expect([...ringsTouched(base, head)]).toEqual(['early']);
    expect(planChange(base, head).retries).toEqual([
      { id: 'shared-1@0123456789ab', group: 'shared-1', ring: 'early' },
    ]);
  });

  it('touches nothing for a retry of a group that is gone, or one already there', () => {
    const before = adding('globex@0123456789ab');
    const head = { ...before, retries: new Set([...before.retries, 'retired@0123456789ab']) };
    expect([...ringsTouched(before, head)]).toEqual([]);
    expect(planChange(before, head).retries).toEqual([]);
  });
});
