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

/** Calls `look` until it reports done (a stand-in advances per read); fails after ten looks. */
async function settle(look: () => Promise<{ done: boolean }>): Promise<number> {
  for (let looks = 1; looks <= 10; looks++) if ((await look()).done) return looks;
  throw new Error('never done');
}

const REPLICA: DatabaseRef = { instance: 'acme-own-db', engine: 'postgres' };

describe('read replicas of the RDS adapter, for tenant moves', () => {
  let aws: AwsStandIn;
  let clients: ReturnType<typeof standInClients>;
  let database: DatabasePort;
  beforeEach(async () => {
    aws = await startAwsStandIn({ snapshotReadsToAvailable: 2 });
    aws.rds.putInstance(EU, { id: 'acme-db' });
    clients = standInClients(aws.url);
    database = awsDatabase(clients.rds, EU);
  });
  afterEach(async () => {
    clients.close();
    await aws.close();
  });
  const actions = () => aws.requests.map((r) => `${r.action} ${r.status}`);

  it('makes a tagged replica, waits for it in looks, promotes it, and reads a promoted one as done', async () => {
    await database.checkReplicable(ctx, DB, REPLICA);
    expect(await database.ensureReplica(ctx, DB, REPLICA)).toEqual({
      done: false,
      message: 'replica acme-own-db of acme-db: creating',
    });
    expect(await settle(() => database.ensureReplica(ctx, DB, REPLICA))).toBe(2);
    const made = aws.rds.instance(EU, 'acme-own-db')!;
    expect(made.replicaOf).toBe('acme-db');
    expect(made.tags).toEqual([
      { Key: 'app.kubernetes.io/managed-by', Value: 'ringmaster' },
      { Key: 'ringmaster.io/constellation', Value: 'shop' },
      { Key: 'ringmaster.io/group', Value: 'acme' },
    ]);
    expect(await database.promoteReplica(ctx, REPLICA)).toEqual({
      done: false,
      message: 'promoting acme-own-db',
    });
    expect(await settle(() => database.promoteReplica(ctx, REPLICA))).toBe(2);
    expect(aws.rds.instance(EU, 'acme-own-db')!.replicaOf).toBeUndefined();
    // Asked again after a crash: promoted already, and ours by its tags.
    expect(await database.promoteReplica(ctx, REPLICA)).toEqual({ done: true });
    expect(actions().filter((a) => !a.startsWith('Describe'))).toEqual([
      'CreateDBInstanceReadReplica 200',
      'PromoteReadReplica 200',
    ]);
    // A promoted instance is never deleted as a replica, nor made again.
    const err = await rejection(database.deleteReplica(ctx, REPLICA));
    expect(err).toBeInstanceOf(PermanentError);
    expect((await rejection(database.ensureReplica(ctx, DB, REPLICA))).message).toContain(
      'was promoted already and replicates nothing',
    );
  });

  it('never touches an instance of the replica’s name that is not this move’s', async () => {
    aws.rds.putInstance(EU, { id: 'acme-own-db' });
    for (const call of [
      database.checkReplicable(ctx, DB, REPLICA),
      database.ensureReplica(ctx, DB, REPLICA),
    ]) {
      const err = await rejection(call);
      expect(err).toBeInstanceOf(PermanentError);
      expect(err.message).toBe(
        'database instance acme-own-db exists in eu-west-1 and is an instance of its own, not a read replica of acme-db made for group acme; pick another instance name for the group, or remove that instance',
      );
    }
    expect((await rejection(database.promoteReplica(ctx, REPLICA))).message).toContain('is not promoted');
    expect((await rejection(database.deleteReplica(ctx, REPLICA))).message).toContain('it is not deleted');
    expect(actions().filter((a) => !a.startsWith('Describe'))).toEqual([]);
  });

  it('deletes a replica without a final snapshot, and finds none to delete after', async () => {
    await settle(() => database.ensureReplica(ctx, DB, REPLICA));
    expect(await database.deleteReplica(ctx, REPLICA)).toBe('deleted');
    expect(aws.rds.instance(EU, 'acme-own-db')).toBeUndefined();
    expect(await database.deleteReplica(ctx, REPLICA)).toBe('absent');
    const deleted = aws.requests.find((r) => r.action === 'DeleteDBInstance')!;
    expect(deleted.status).toBe(200);
  });

  it('gives a promoted replica a standby in another zone once, without asking twice', async () => {
    await settle(() => database.ensureReplica(ctx, DB, REPLICA));
    // Still a replica: it is not given a standby.
    expect((await rejection(database.ensureStandby(ctx, REPLICA))).message).toBe(
      'database instance acme-own-db in eu-west-1 is still a read replica; it is not given a standby',
    );
    await settle(() => database.promoteReplica(ctx, REPLICA));
    expect(await database.ensureStandby(ctx, REPLICA)).toEqual({
      done: false,
      message: 'giving acme-own-db a standby in another zone',
    });
    expect(aws.rds.instance(EU, 'acme-own-db')).toMatchObject({ status: 'modifying', pendingMultiAz: true });
    expect(await settle(() => database.ensureStandby(ctx, REPLICA))).toBe(2);
    expect(aws.rds.instance(EU, 'acme-own-db')).toMatchObject({ status: 'available', multiAz: true });
    expect(await database.ensureStandby(ctx, REPLICA)).toEqual({ done: true });
    const modified = aws.requests.filter((r) => r.action === 'ModifyDBInstance');
    expect(modified.map((r) => r.status)).toEqual([200]);
  });

  it('gives no standby to an instance that is not the group’s own', async () => {
    aws.rds.putInstance(EU, { id: 'acme-own-db' });
    expect((await rejection(database.ensureStandby(ctx, REPLICA))).message).toBe(
      "database instance acme-own-db in eu-west-1 is not tagged as group acme's; it is not given a standby",
    );
    expect(actions().filter((a) => !a.startsWith('Describe'))).toEqual([]);
  });

  it('refuses a move between regions before it makes anything', async () => {
    const err = await rejection(database.checkReplicable(ctx, DB, { ...REPLICA, region: US }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain('tenant moves between regions are not supported');
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
      // A tenant moving to a group of its own: a replica made and promoted; one undone.
      await database.checkReplicable(ctx, DB, REPLICA);
      await settle(() => database.ensureReplica(ctx, DB, REPLICA));
      await settle(() => database.promoteReplica(ctx, REPLICA));
      await settle(() => database.ensureStandby(ctx, REPLICA));
      const undone = { ...REPLICA, instance: 'beta-db' };
      await settle(() => database.ensureReplica(ctx, DB, undone));
      expect(await database.deleteReplica(ctx, undone)).toBe('deleted');
      // Sufficient: nothing was refused. Minimal: every granted action was needed.
      // (A look for what does not exist yet, a snapshot or a replica, answers 404.)
      const looks = new Set(['DBSnapshotNotFound', 'DBInstanceNotFound']);
      expect(aws.requests.filter((r) => r.status !== 200 && !looks.has(r.error ?? ''))).toEqual([]);
      expect(aws.requests.filter((r) => r.status === 403)).toEqual([]);
      const needed = new Set(aws.requests.flatMap((r) => r.iamActions));
      expect([...needed].sort()).toEqual([...POLICY_ACTIONS].sort());
      expect([...aws.usedActions().keys()].sort()).toEqual([...POLICY_ACTIONS].sort());
    } finally {
      clients.close();
      await aws.close();
    }
  });
});
