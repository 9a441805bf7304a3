import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDir } from '../helpers/git.js';
import { runRingmaster } from '../helpers/cli.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';

describe('ringmaster validate', () => {
  it('finds the example constellation of this repository clean', async () => {
    const run = await runRingmaster(['validate', '--repo', '.']);
    expect(run.out).toMatch(/^✓ \d+ files valid \(directory \.\)$/);
    expect(run.code).toBe(0);
  });

  describe('on a repository', () => {
    let repo: FixtureRepo;
    beforeEach(async () => {
      repo = await createFixtureRepo();
    });
    afterEach(async () => {
      await removeDir(repo.dir);
    });

    it('reads a commit through git, not the working tree', async () => {
      await writeFile(join(repo.dir, 'groups', 'globex.yaml'), 'kind: [broken\n');
      const fromCommit = await runRingmaster(['validate', '--repo', repo.dir, '--rev', 'HEAD']);
      expect(fromCommit.code).toBe(0);
      expect(fromCommit.out).toBe(`✓ 8 files valid (commit ${repo.baseSha.slice(0, 12)})`);
      const fromFolder = await runRingmaster(['validate', '--repo', repo.dir]);
      expect(fromFolder.code).toBe(1);
      expect(fromFolder.out.split('\n')[0]).toMatch(
        /^groups\/globex\.yaml:2:1: YAML syntax error: .* \[yaml-syntax\]$/,
      );
    });

    it('reports every error at once, in file order, with a count', async () => {
      await repo.edit('groups/globex.yaml', 'ring: stable', 'ring: stabel');
      await repo.edit('groups/shared-1.yaml', 'host: beta.example.com', 'host: alpha.example.com');
      await repo.edit('groups/internal.yaml', 'engine: postgres', 'engine: oracle');
      const run = await runRingmaster(['validate', '--repo', repo.dir]);
      expect(run.code).toBe(1);
      expect(run.out.split('\n')).toEqual([
        'groups/globex.yaml:4:7: group "globex" is in ring "stabel", which groups/rings.yaml does not define; did you mean "stable"? [unknown-ring]',
        'groups/internal.yaml:8:46: resources.database.engine: "oracle" is not one of: postgres, mysql [schema-enum]',
        'groups/shared-1.yaml:13:23: host alpha.example.com is already served for tenant "alpha" earlier in this group; each tenant needs its own host [duplicate-host]',
        '✗ 3 errors in 8 files (directory ' + repo.dir + ')',
      ]);
    });

    it('does not report the consequences of a file that already failed', async () => {
      await repo.edit('groups/globex.yaml', 'engine: postgres', 'engine: oracle');
      await repo.edit('groups/releases/2026.11.0.yaml', 'schemaVersion: 410', 'schemaVersion: many');
      const run = await runRingmaster(['validate', '--repo', repo.dir]);
      // globex's tenant is the production tenant of a test tenant, and early runs 2026.11.0:
      // neither may be reported as unknown, since their own files carry the error.
      expect(run.out.split('\n')).toEqual([
        'groups/globex.yaml:9:44: resources.database.engine: "oracle" is not one of: postgres, mysql [schema-enum]',
        'groups/releases/2026.11.0.yaml:5:16: schemaVersion: must be an integer, found a string [schema-type]',
        `✗ 2 errors in 8 files (directory ${repo.dir})`,
      ]);
    });

    it('prints warnings without failing', async () => {
      await repo.edit('groups/shared-1.yaml', 'ring: early', 'ring: canary');
      const run = await runRingmaster(['validate', '--repo', repo.dir, '--json']);
      expect(run.code).toBe(0);
      const result = JSON.parse(run.out);
      expect(result.ok).toBe(true);
      expect(result.warnings).toEqual([
        expect.objectContaining({
          file: 'groups/rings.yaml',
          line: 7,
          column: 11,
          rule: 'ring-empty',
          severity: 'warning',
        }),
      ]);
    });

    it('suggests quoting a release line that YAML reads as a number', async () => {
      await repo.edit('groups/releases/2026.10.4.yaml', 'line: "2026.10"', 'line: 2026.10');
      const run = await runRingmaster(['validate', '--repo', repo.dir]);
      expect(run.out).toContain(
        'groups/releases/2026.10.4.yaml:4:7: line: must be a string, found a number (quote it: "2026.10") [schema-type]',
      );
    });

    it('takes the file size cap from the environment and lets the flag override it', async () => {
      const env = { RINGMASTER_MAX_FILE_BYTES: '100' };
      const capped = await runRingmaster(['validate', '--repo', repo.dir], { env });
      expect(capped.code).toBe(1);
      expect(capped.out).toContain(
        'over the limit of 100; split it, or raise --max-file-bytes [file-too-large]',
      );
      const raised = await runRingmaster(['validate', '--repo', repo.dir, '--max-file-bytes', '100000'], {
        env,
      });
      expect(raised.code).toBe(0);
    });

    /** The finding of a commit or folder over a cap of 5 files: the fixture has 7 in groups/, 1 in policies/. */
    const TOO_MANY =
      'groups/:1:1: groups/ holds 7 files (8 under groups/ and policies/), more than the 5 read at most, so none was read; ' +
      'remove files, or raise the limit with --max-files or RINGMASTER_MAX_FILES [too-many-files]';

    it.each([
      ['a commit', true],
      ['the folder', false],
    ])(
      'refuses %s over --max-files with one finding on the folder, reading no file',
      async (_what, fromGit) => {
        // A broken file: had any file been read, its error would show too.
        await repo.edit('groups/globex.yaml', 'engine: postgres', 'engine: oracle');
        const head = await repo.commit('a broken group');
        const rev = fromGit ? ['--rev', 'HEAD'] : [];
        const run = await runRingmaster(['validate', '--repo', repo.dir, ...rev, '--max-files', '5']);
        expect(run.code).toBe(1);
        const label = fromGit ? `commit ${head.slice(0, 12)}` : `directory ${repo.dir}`;
        expect(run.out.split('\n')).toEqual([TOO_MANY, `✗ 1 error in 0 files (${label})`]);
      },
    );

    it('takes the file count cap from the environment and lets the flag override it', async () => {
      const env = { RINGMASTER_MAX_FILES: '5' };
      const capped = await runRingmaster(['validate', '--repo', repo.dir, '--rev', 'HEAD', '--json'], {
        env,
      });
      expect(capped.code).toBe(1);
      expect(JSON.parse(capped.out)).toEqual(
        expect.objectContaining({
          ok: false,
          files: 0,
          errors: [expect.objectContaining({ file: 'groups/', line: 1, column: 1, rule: 'too-many-files' })],
        }),
      );
      const raised = await runRingmaster(
        ['validate', '--repo', repo.dir, '--rev', 'HEAD', '--max-files', '8'],
        {
          env,
        },
      );
      expect(raised.code).toBe(0);
      expect(raised.out).toBe(`✓ 8 files valid (commit ${repo.baseSha.slice(0, 12)})`);
    });
  });

  it.each([
    [['validate', '--max-file-bytes', 'lots'], '--max-file-bytes must be a whole number above 0, got "lots"'],
    [['validate', '--max-files', '0'], '--max-files must be a whole number above 0, got "0"'],
    [['validate', '--bogus'], "unknown option '--bogus'"],
    [
      ['validate', '--repo', '/nonexistent/ringmaster'],
      'repository folder "/nonexistent/ringmaster" does not exist; pass --repo DIR',
    ],
    [['validate', '--repo', '/tmp', '--rev', 'HEAD'], '"/tmp" is not a git repository'],
  ])('exits 2 on bad usage %j', async (argv, message) => {
    const run = await runRingmaster(argv);
    expect(run.code).toBe(2);
    expect(run.err).toContain(message);
    expect(run.err).not.toMatch(/\n\s+at /);
  });
});

describe('ringmaster show', () => {
  it('prints the rings with their releases and the groups with tenant counts', async () => {
    const run = await runRingmaster(['show', '--repo', '.', '--rev', 'HEAD', '--json']);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out);
    expect(summary.name).toBe('acme-prod');
    expect(summary.rings.map((r: { name: string; release: string }) => `${r.name}=${r.release}`)).toEqual([
      'canary=2026.11.2',
      'early=2026.11.0',
      'broad=2026.10.3',
      'stable=2026.09.8',
    ]);
    expect(summary.groups.length).toBeGreaterThanOrEqual(10);
    expect(summary.tenants).toBe(
      summary.groups.reduce((n: number, g: { tenants: number }) => n + g.tenants, 0),
    );
  });

  it('renders a table a person reads at a glance', async () => {
    const run = await runRingmaster(['show', '--repo', '.', '--rev', 'HEAD']);
    expect(run.out).toMatch(
      /^Constellation acme-prod at commit [0-9a-f]{12}: 4 rings, \d+ groups, \d+ tenants, \d+ releases$/m,
    );
    expect(run.out).toMatch(/^RING\s+RELEASE\s+LINE\s+SCHEMA\s+GROUPS\s+TENANTS$/m);
    expect(run.out).toMatch(/^canary\s+2026\.11\.2\s+2026\.11\s+412\s+1\s+6 \(4 test\)$/m);
  });
});

describe('ringmaster codeowners', () => {
  it('finds the committed CODEOWNERS in step with the policy', async () => {
    const run = await runRingmaster(['codeowners', '--repo', '.', '--check']);
    expect(run.out).toBe('✓ .github/CODEOWNERS matches the policy');
    expect(run.code).toBe(0);
  });

  it('routes each group file to its ring reviewers', async () => {
    const run = await runRingmaster(['codeowners', '--repo', '.']);
    expect(run.out).toContain('/groups/globex.yaml @acme/sre @acme/customer-success');
    expect(run.out).toContain('/groups/internal.yaml @acme/release-team');
    expect(run.out).toContain('/groups/rings.yaml @acme/release-team @acme/sre @acme/customer-success');
  });
});
