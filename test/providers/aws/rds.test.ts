/**
 * The RDS database adapter against the AWS stand-in, through the real SDK
 * client and under the controller's IAM policy (deploy/iam-policy.json), and
 * that policy shown minimal: every action it grants is needed by an adapter.
 */
import { ConfigurationError, PermanentError, TransientError } from '../../../controller/errors.js';
import { awsDatabase } from '../../../controller/providers/aws/rds.js';
import { awsSecrets } from '../../../controller/providers/aws/secrets-manager.js';
import type { CallContext, DatabasePort } from '../../../controller/providers/ports.js';
import type { DatabaseRef } from '../../../controller/model/types.js';
import {
  type AwsStandIn,
  type AwsStandInOptions,
  POLICY_ACTIONS,
  startAwsStandIn,
} from '../../fakes/aws/server.js';
import { type TestClientOptions, standInClients } from '../../fakes/aws/test-clients.js';

const ctx: CallContext = {
  constellation: 'shop',
  group: 'acme',
  transition: 't1',
  step: 'validate',
  attempt: 1,
};
const EU = 'eu-west-1';
const US = 'us-east-1';
const DB: DatabaseRef = { instance: 'acme-db', engine: 'postgres' };
const README = `(see README "Running against AWS")`;

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { reason?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { reason?: string };
  }
  throw new Error('expected a rejection');
}

describe('the RDS database adapter', () => {
  let aws: AwsStandIn;
  let clients: ReturnType<typeof standInClients>;
  let database: DatabasePort;
  /** A stand-in with acme-db (postgres, available) in eu-west-1, and the adapter reaching it. */
  const start = async (options: AwsStandInOptions = {}, client: TestClientOptions = {}) => {
    aws = await startAwsStandIn(options);
    aws.rds.putInstance(EU, { id: 'acme-db', engine: 'postgres' });
    clients = standInClients(aws.url, client);
    database = awsDatabase(clients.rds, EU);
  };
  afterEach(async () => {
    clients.close();
    await aws.close();
  });
  const calls = (action: string) => aws.requests.filter((r) => r.action === action).length;

  describe('checkAvailable', () => {
    it.each(['available', 'backing-up', 'modifying', 'maintenance', 'storage-optimization'])(
      'passes an instance that is %s',
      async (status) => {
        await start();
        aws.rds.setInstance(EU, 'acme-db', { status });
        await expect(database.checkAvailable(ctx, DB)).resolves.toBeUndefined();
        expect(aws.requests.map((r) => [r.action, r.region, r.status])).toEqual([
          ['DescribeDBInstances', EU, 200],
        ]);
      },
    );

    it('looks in the region the database names, else in the default one', async () => {
      await start();
      aws.rds.removeInstance(EU, 'acme-db');
      aws.rds.putInstance(US, { id: 'acme-db' });
      await database.checkAvailable(ctx, { ...DB, region: US });
      const err = await rejection(database.checkAvailable(ctx, DB));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.reason).toBe('DatabaseNotFound');
      expect(err.message).toBe(
        'database instance acme-db not found in region eu-west-1; check resources.database of group acme',
      );
      expect(aws.requests.map((r) => r.region)).toEqual([US, EU]);
    });

    it.each([
      ['postgres', 'aurora-postgresql'],
      ['mysql', 'mysql'],
      ['mysql', 'mariadb'],
      ['mysql', 'aurora-mysql'],
    ] as const)('passes a group declaring %s on an instance running %s', async (declared, engine) => {
      await start();
      aws.rds.setInstance(EU, 'acme-db', { engine });
      await expect(database.checkAvailable(ctx, { ...DB, engine: declared })).resolves.toBeUndefined();
    });

    it.each([
      ['postgres', 'mysql'],
      ['mysql', 'aurora-postgresql'],
      ['postgres', 'oracle-ee'],
    ] as const)('refuses a group declaring %s on an instance running %s', async (declared, engine) => {
      await start();
      aws.rds.setInstance(EU, 'acme-db', { engine });
      const err = await rejection(database.checkAvailable(ctx, { ...DB, engine: declared }));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.reason).toBe('DatabaseEngineMismatch');
      expect(err.message).toBe(
        `database instance acme-db in eu-west-1 runs ${engine}, but group acme declares ${declared}; ` +
          `correct resources.database.engine of group acme, or point it at a ${declared} instance`,
      );
    });

    it.each([
      'stopped',
      'stopping',
      'starting',
      'rebooting',
      'upgrading',
      'storage-full',
      'incompatible-parameters',
    ])('refuses an instance that is %s, naming the state', async (status) => {
      await start();
      aws.rds.setInstance(EU, 'acme-db', { status });
      const err = await rejection(database.checkAvailable(ctx, DB));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.reason).toBe('DatabaseNotServing');
      expect(err.message).toBe(
        `database instance acme-db in eu-west-1 is ${status}, a state that serves no connections; ` +
          'bring it back to available, then retry group acme',
      );
    });

    it('says which IAM action to grant when access is denied', async () => {
      await start({ allowedActions: POLICY_ACTIONS.filter((a) => a !== 'rds:DescribeDBInstances') });
      const err = await rejection(database.checkAvailable(ctx, DB));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.reason).toBe('AccessDenied');
      expect(err.message).toBe(
        `rds:DescribeDBInstances on acme-db in eu-west-1 was denied; grant it to the controller's role ${README}`,
      );
    });

    it('says the credentials were not accepted when AWS does not know them', async () => {
      await start({}, { credentials: { accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' } });
      const err = await rejection(database.checkAvailable(ctx, DB));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.message).toBe(
        "rds:DescribeDBInstances on acme-db in eu-west-1 was refused: AWS did not accept the controller's " +
          `credentials (InvalidClientTokenId); check the role or credentials it runs with ${README}`,
      );
    });

    it.each([
      ['throttling', 'AwsThrottled', 'was throttled (Throttling); it is retried later'],
      ['internal', 'AwsServerFault', 'failed at AWS (InternalFailure, HTTP 500); it is retried later'],
    ] as const)('makes %s transient', async (fault, reason, says) => {
      await start();
      aws.rds.failNext('DescribeDBInstances', fault);
      const err = await rejection(database.checkAvailable(ctx, DB));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.reason).toBe(reason);
      expect(err.message).toBe(`rds:DescribeDBInstances on acme-db in eu-west-1 ${says}`);
      await expect(database.checkAvailable(ctx, DB)).resolves.toBeUndefined();
    });

    it('makes an endpoint that does not answer transient', async () => {
      await start();
      await aws.close();
      const err = await rejection(database.checkAvailable(ctx, DB));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.reason).toBe('AwsUnreachable');
      // Under Jest's VM realm the SDK wraps Node's socket error (it is not an `Error` of its realm), so
      // only the refusal itself is certain to show: `(ECONNREFUSED: connect ...)` outside Jest.
      expect(err.message).toMatch(
        /^rds:DescribeDBInstances on acme-db in eu-west-1 got no answer \(.*ECONNREFUSED 127\.0\.0\.1:\d+\); check the network path to the AWS endpoint$/,
      );
    });
  });

  describe('ensureSnapshot', () => {
    const OURS = [
      { Key: 'app.kubernetes.io/managed-by', Value: 'ringmaster' },
      { Key: 'ringmaster.io/constellation', Value: 'shop' },
      { Key: 'ringmaster.io/group', Value: 'acme' },
    ];

    it('creates a tagged snapshot once, reports its progress, and reuses it after a restart', async () => {
      await start({ snapshotReadsToAvailable: 2 });
      expect(await database.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({
        done: false,
        message: 'snapshot acme-t1 of acme-db: creating',
      });
      expect(aws.rds.snapshot(EU, 'acme-t1')).toMatchObject({ instance: 'acme-db', tags: OURS });
      // The instance reads backing-up while its snapshot is made, and still serves.
      await database.checkAvailable(ctx, DB);
      expect(await database.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({
        done: false,
        message: 'snapshot acme-t1 of acme-db: creating (50%)',
      });
      expect(await database.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({ done: true });
      expect(await database.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({ done: true });
      const afterCrash = awsDatabase(clients.rds, EU);
      expect(await afterCrash.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({ done: true });
      expect(calls('CreateDBSnapshot')).toBe(1);
      expect(calls('DescribeDBSnapshots')).toBe(5);
      expect(aws.rds.snapshots(EU)).toHaveLength(1);
    });

    it('takes the snapshot in the region the database names', async () => {
      await start({ snapshotReadsToAvailable: 1 });
      aws.rds.putInstance(US, { id: 'acme-db' });
      await database.ensureSnapshot(ctx, { ...DB, region: US }, 'acme-t1');
      expect(await database.ensureSnapshot(ctx, { ...DB, region: US }, 'acme-t1')).toEqual({ done: true });
      expect(aws.rds.snapshots(EU)).toEqual([]);
      expect(aws.requests.every((r) => r.region === US)).toBe(true);
    });

    it('reads a snapshot made by someone else between its look and its create as existing', async () => {
      await start({ snapshotReadsToAvailable: 1 });
      aws.rds.beforeNext('CreateDBSnapshot', () =>
        aws.rds.putSnapshot(EU, { id: 'acme-t1', instance: 'acme-db', status: 'creating' }),
      );
      expect(await database.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({
        done: false,
        message: 'snapshot acme-t1 of acme-db: created by a concurrent call, checking it next time',
      });
      expect(await database.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({ done: true });
      expect(aws.requests.map((r) => [r.action, r.error])).toEqual([
        ['DescribeDBSnapshots', 'DBSnapshotNotFound'],
        ['CreateDBSnapshot', 'DBSnapshotAlreadyExists'],
        ['DescribeDBSnapshots', undefined],
      ]);
    });

    it.each(['failed', 'deleting'])('fails when the snapshot is %s', async (status) => {
      await start({ snapshotReadsToAvailable: 3 });
      await database.ensureSnapshot(ctx, DB, 'acme-t1');
      aws.rds.setSnapshotStatus(EU, 'acme-t1', status);
      const err = await rejection(database.ensureSnapshot(ctx, DB, 'acme-t1'));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.reason).toBe('SnapshotFailed');
      expect(err.message).toBe(
        `snapshot acme-t1 of acme-db in eu-west-1 is ${status} and will not become available; ` +
          'delete it, then retry group acme',
      );
    });

    it('refuses a snapshot of that id of another instance, and creates nothing', async () => {
      await start();
      aws.rds.putSnapshot(EU, { id: 'acme-t1', instance: 'other-db' });
      const err = await rejection(database.ensureSnapshot(ctx, DB, 'acme-t1'));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.reason).toBe('SnapshotNotOurs');
      expect(err.message).toBe(
        'snapshot acme-t1 in eu-west-1 is of database instance other-db, not acme-db of group acme; ' +
          'delete or rename that snapshot, then retry the group',
      );
      expect(calls('CreateDBSnapshot')).toBe(0);
    });

    it('retries later while the instance is busy, and fails for a missing one', async () => {
      await start();
      aws.rds.setInstance(EU, 'acme-db', { status: 'modifying' });
      const busy = await rejection(database.ensureSnapshot(ctx, DB, 'acme-t1'));
      expect(busy).toBeInstanceOf(TransientError);
      expect(busy.reason).toBe('DatabaseBusy');
      expect(busy.message).toBe(
        'snapshot acme-t1 of acme-db in eu-west-1 cannot start yet: Cannot create a snapshot because the ' +
          'database instance acme-db is not currently in the available state.; it is tried again later',
      );
      aws.rds.removeInstance(EU, 'acme-db');
      const missing = await rejection(database.ensureSnapshot(ctx, DB, 'acme-t1'));
      expect(missing).toBeInstanceOf(PermanentError);
      expect(missing.reason).toBe('DatabaseNotFound');
    });

    it('passes on what RDS says of an invalid snapshot id', async () => {
      await start();
      const err = await rejection(database.ensureSnapshot(ctx, DB, 'acme--t1'));
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.reason).toBe('AwsInvalidParameterValue');
      expect(err.message).toMatch(
        /^rds:CreateDBSnapshot on acme-db in eu-west-1 was rejected \(InvalidParameterValue, HTTP 400, request [0-9a-f-]{36}\): The parameter DBSnapshotIdentifier is not a valid identifier\./,
      );
    });

    it('names rds:AddTagsToResource when only the tagging is denied', async () => {
      await start({ allowedActions: POLICY_ACTIONS.filter((a) => a !== 'rds:AddTagsToResource') });
      const err = await rejection(database.ensureSnapshot(ctx, DB, 'acme-t1'));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.message).toBe(
        `rds:AddTagsToResource on acme-db in eu-west-1 was denied; grant it to the controller's role ${README}`,
      );
      expect(aws.rds.snapshots(EU)).toEqual([]);
    });

    it('makes a throttled look transient, without creating anything', async () => {
      await start();
      aws.rds.failNext('DescribeDBSnapshots', 'throttling');
      const err = await rejection(database.ensureSnapshot(ctx, DB, 'acme-t1'));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.message).toBe(
        'rds:DescribeDBSnapshots on acme-t1 in eu-west-1 was throttled (Throttling); it is retried later',
      );
      expect(calls('CreateDBSnapshot')).toBe(0);
    });
  });
});

describe('deploy/iam-policy.json', () => {
  it('grants exactly the actions the adapters need in the life of a group', async () => {
    const aws = await startAwsStandIn({ snapshotReadsToAvailable: 1 });
    const clients = standInClients(aws.url);
    try {
      aws.rds.putInstance(EU, { id: 'acme-db' });
      aws.secrets.putSecret(EU, 'prod/acme/db', JSON.stringify({ username: 'u', password: 'p' }));
      const database = awsDatabase(clients.rds, EU);
      const secrets = awsSecrets(clients.secrets, EU);
      await secrets.checkKeys(ctx, { name: 'prod/acme/db', keys: ['username', 'password'] });
      await database.checkAvailable(ctx, DB);
      await database.ensureSnapshot(ctx, DB, 'acme-t1');
      expect(await database.ensureSnapshot(ctx, DB, 'acme-t1')).toEqual({ done: true });
      // Sufficient: nothing was refused. Minimal: every granted action was needed.
      expect(aws.requests.filter((r) => r.status !== 200 && r.error !== 'DBSnapshotNotFound')).toEqual([]);
      const needed = new Set(aws.requests.flatMap((r) => r.iamActions));
      expect([...needed].sort()).toEqual([...POLICY_ACTIONS].sort());
      expect([...aws.usedActions().keys()].sort()).toEqual([...POLICY_ACTIONS].sort());
    } finally {
      clients.close();
      await aws.close();
    }
  });
});
