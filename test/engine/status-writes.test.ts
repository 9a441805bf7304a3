/**
 * How many commit statuses a ring rollout writes on GitHub: the real engine
 * over 500 groups, through the coalescing reporter and the GitHub reporter,
 * against the local GitHub server.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { reconcileOnce } from '../helpers/reconcile-once.js';
import { createGitHubClient } from '../../controller/github/client.js';
import { loadConstellation } from '../../controller/model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { DirectorySource } from '../../controller/source/dir-source.js';
import { FileStateStore } from '../../controller/state/file-store.js';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import { CoalescingReporter } from '../../controller/status/coalescing.js';
import { GitHubStatusReporter } from '../../controller/status/github.js';
import { type GitHubServer, startGitHubServer } from '../fakes/github-server.js';
import { createFakeProviders } from '../fakes/providers.js';
import { type FixtureRepo, createFixtureRepo, groupYaml } from '../helpers/constellation.js';
import { removeDir } from '../helpers/git.js';

const GROUPS = 500;
const COMMIT = 'c'.repeat(40);

describe('status writes of a ring rollout', () => {
  let repo: FixtureRepo;
  let server: GitHubServer;
  /** The stores a test opened: closed (again, harmlessly, when the test did) before the folder goes. */
  let opened: (FileStateStore | FileJournalStore)[];
  const track = <S extends FileStateStore | FileJournalStore>(store: S): S => {
    opened.push(store);
    return store;
  };
  beforeEach(async () => {
    repo = await createFixtureRepo();
    server = await startGitHubServer({ repos: ['acme/rollout'], anyCommit: true });
    opened = [];
  });
  afterEach(async () => {
    await Promise.all(opened.map((s) => s.close()));
    await server.close();
    await removeDir(repo.dir);
  });

  it(`writes at most 10 statuses for ${GROUPS} groups in one ring when nothing fails`, async () => {
    for (let i = 0; i < GROUPS; i++)
      await writeFile(
        join(repo.dir, 'groups', `smb-${String(i).padStart(3, '0')}.yaml`),
        groupYaml(`smb-${String(i).padStart(3, '0')}`, 'early', {
          tenant: `smb-${String(i).padStart(3, '0')}-t`,
        }),
      );
    await repo.edit('policies/promotion.yaml', 'maxParallel: 5 }\n  stable', 'maxParallel: 50 }\n  stable');
    const loaded = await loadConstellation(new DirectorySource(repo.dir), {
      validator: createSchemaValidator('schemas'),
      limits: DEFAULT_PARSE_LIMITS,
    });
    const desired = loaded.constellation!;
    expect([...desired.groups.values()].filter((g) => g.ring === 'early')).toHaveLength(GROUPS + 1);

    const log = pino({ level: 'silent' });
    const client = createGitHubClient({
      token: 'test-token',
      baseUrl: server.url,
      log,
      retryAfterBaseValue: 1,
    });
    const reporter = new CoalescingReporter(
      new GitHubStatusReporter(client, { owner: 'acme', repo: 'rollout' }),
      {
        log,
      },
    );
    let now = new Date('2026-11-22T01:30:00Z');
    const journal = track(new FileJournalStore(join(repo.dir, '.ringmaster', 'journal')));
    const report = await reconcileOnce(desired, COMMIT, {
      engine: {
        providers: createFakeProviders().providers,
        journal,
        constellation: 'test',
        now: () => now,
        // Sleeping moves the test clock: time passes only when the engine waits.
        sleep: async (ms) => void (now = new Date(now.getTime() + ms)),
        healthIntervalMs: 60_000,
        isApproved: async () => true,
        retry: { retries: 0, minTimeoutMs: 0, maxTimeoutMs: 0 },
        log,
      },
      state: track(new FileStateStore(join(repo.dir, '.ringmaster'))),
      reporter,
    });
    await journal.close();
    await reporter.flush();
    reporter.close();

    expect(report.ran.filter((e) => e.ring === 'early' && e.status === 'succeeded')).toHaveLength(GROUPS + 1);
    const early = server.state
      .statusesOf('acme/rollout', COMMIT)
      .filter((s) => s.context === 'ringmaster/early');
    expect(early.length).toBeLessThanOrEqual(10);
    expect(early[0]).toEqual(
      expect.objectContaining({
        state: 'pending',
        description: `early: 0/${GROUPS + 1} groups on 2026.11.0`,
      }),
    );
    expect(early.at(-1)).toEqual(
      expect.objectContaining({
        state: 'success',
        description: `early: ${GROUPS + 1}/${GROUPS + 1} groups on 2026.11.0`,
      }),
    );
    // Every ring of the commit together: a handful of writes, not one per group.
    expect(server.log.filter((r) => r.method === 'POST').length).toBeLessThanOrEqual(3 * 10);
  });
});
