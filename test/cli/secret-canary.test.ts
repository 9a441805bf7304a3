/**
 * Secret values never leave Secrets Manager's answer: the controller (the
 * built CLI, as a child) checks secrets through the AWS stand-in whose values
 * hold a canary, in every way a check can end (keys all there, a key
 * missing, a value that is not JSON), and the canary is searched for in
 * everything the controller wrote or answered: standard output and error,
 * the JSON log, every file of the state folder, the git notes of its
 * statuses, /api/status, /metrics and the status page.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AwsStandIn, TEST_CREDENTIALS, startAwsStandIn } from '../fakes/aws/server.js';
import { CLI, watch } from '../helpers/child.js';
import { type FixtureRepo, createFixtureRepo } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

const CANARY = 'canary-s3cr3t-7f1e90d2';

describe('secret values', () => {
  let repo: FixtureRepo;
  let state: string;
  let aws: AwsStandIn;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    [repo, state, aws] = await Promise.all([
      createFixtureRepo(),
      makeTempDir('ringmaster-canary-'),
      startAwsStandIn(),
    ]);
    for (const g of ['globex', 'internal', 'shared-1']) aws.rds.putInstance('eu-west-1', { id: `${g}-db` });
    // Every key there; a key missing beside one holding the canary; and a value that is not JSON at all.
    aws.secrets.putSecret(
      'eu-west-1',
      'test/globex/db',
      JSON.stringify({ username: `u-${CANARY}`, password: CANARY }),
    );
    aws.secrets.putSecret(
      'eu-west-1',
      'test/shared-1/db',
      JSON.stringify({ username: CANARY, token: CANARY }),
    );
    aws.secrets.putSecret('eu-west-1', 'test/internal/db', `password=${CANARY}`);
    await writeFile(
      join(state, 'providers.yaml'),
      'apiVersion: ringmaster/v1\nkind: Providers\nports: { cluster: sim, health: sim, database: aws, secrets: aws }\naws: { region: eu-west-1 }\n',
    );
  });
  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    await aws.close();
    await removeDir(repo.dir);
    await removeDir(state);
  });

  it('appear in no output, file, note, metric or answer of the controller', async () => {
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: aws.url,
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    const args = ['--repo', repo.dir, '--state', state, '--providers', join(state, 'providers.yaml')];
    const log = ['--log-file', join(state, 'log.json'), '--log-level', 'debug'];
    child = spawnCli(
      ['run', ...args, '--port', '0', '--poll', '0 0 0 1 1 *', '--sim-speed', '100000', ...log],
      env,
    );
    const run = watch(child);
    await run.until(/Status page (\S+)/);
    const page = /Status page (\S+)/.exec(run.text())![1]!;
    // Both failing checks have ended (held), so every path a secret takes has been taken.
    await run.until(/↺ internal@\w+ rolled-back: validate failed: .*/);
    await run.until(/↺ shared-1@\w+ rolled-back: validate failed: .*/);
    expect(run.text()).toMatch(/shared-1@\w+ rolled-back: validate failed: .*test\/shared-1\/db.*password/);
    expect(run.text()).toMatch(/internal@\w+ rolled-back: validate failed: .*test\/internal\/db.*JSON/);
    expect(aws.requests.filter((r) => r.action === 'GetSecretValue').length).toBeGreaterThanOrEqual(3);

    const answers = await Promise.all(
      ['/api/status', '/metrics', '/'].map(async (path) => (await fetch(new URL(path, page))).text()),
    );
    child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    const offline = watch(spawnCli(['status', '--json', ...args], env));
    expect(await offline.exit).toBe(0);
    const notes = watch(
      spawn('git', ['log', '--all', '--notes=refs/notes/ringmaster', '--format=%H %N'], {
        cwd: repo.dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    expect(await notes.exit).toBe(0);
    // The notes hold the statuses (so the search below reads them), the answers are real.
    expect(notes.text()).toMatch(/validate failed/);
    expect(answers[0]).toMatch(/"groups"/);
    expect(answers[1]).toMatch(/ringmaster_/);

    const places: Record<string, string> = {
      stdout: run.text(),
      stderr: run.errors(),
      'status --json': offline.text() + offline.errors(),
      'git notes': notes.text(),
      '/api/status': answers[0]!,
      '/metrics': answers[1]!,
      'status page': answers[2]!,
      ...(await filesUnder(state)),
    };
    expect(Object.keys(places)).toEqual(expect.arrayContaining(['log.json', 'applied.json']));
    const found = Object.entries(places)
      .filter(([, text]) => text.includes(CANARY))
      .map(([where]) => where);
    expect(found).toEqual([]);
  }, 60_000);
});

function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
}

/** Every file under `dir`, by its path relative to `dir`, as text. */
async function filesUnder(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) Object.assign(out, await filesUnder(path, `${prefix}${entry.name}/`));
    else out[`${prefix}${entry.name}`] = await readFile(path, 'latin1');
  }
  return out;
}
