/**
 * The AWS stand-in against the real SDK clients: answers parse into the SDK's
 * shapes, errors into the SDK's error classes, IAM denies what the policy
 * does not grant, and faults are retried by the SDK as it retries AWS's.
 */
import {
  CreateDBSnapshotCommand,
  DBInstanceNotFoundFault,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  RDSServiceException,
} from '@aws-sdk/client-rds';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  InternalServiceError,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { readFileSync } from 'node:fs';
import { policyActions } from './aws/iam.js';
import { type AwsStandIn, type AwsStandInOptions, POLICY_ACTIONS, startAwsStandIn } from './aws/server.js';
import { rdsClient, secretsClient } from './aws/test-clients.js';

const EU = 'eu-west-1';
const US = 'us-east-1';
const CREATED = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
const TAGS = [
  { Key: 'app.kubernetes.io/managed-by', Value: 'ringmaster' },
  { Key: 'ringmaster.io/group', Value: 'acme' },
];

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe('AWS stand-in', () => {
  let aws: AwsStandIn;
  const start = async (options: AwsStandInOptions = {}) =>
    (aws = await startAwsStandIn({ now: () => CREATED, ...options }));
  let made: { destroy(): void }[] = [];
  afterEach(async () => {
    made.forEach((c) => c.destroy());
    made = [];
    await aws.close();
  });
  const keep = <C extends { destroy(): void }>(client: C) => (made.push(client), client);
  const rds = (region = EU, maxAttempts = 1) => keep(rdsClient(aws.url, region, { maxAttempts }));
  const sm = (region = EU, maxAttempts = 1) => keep(secretsClient(aws.url, region, { maxAttempts }));

  describe('RDS (Query protocol)', () => {
    it('describes an instance of the signed region, by identifier in any case', async () => {
      await start();
      aws.rds.putInstance(EU, { id: 'acme-db', engine: 'postgres' });
      const out = await rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'ACME-DB' }));
      expect(out.DBInstances).toEqual([
        expect.objectContaining({
          DBInstanceIdentifier: 'acme-db',
          Engine: 'postgres',
          EngineVersion: '16.4',
          DBInstanceStatus: 'available',
          Endpoint: { Address: 'acme-db.stand-in.eu-west-1.invalid', Port: 5432 },
          InstanceCreateTime: new Date(CREATED),
          MultiAZ: false,
          DBInstanceArn: 'arn:aws:rds:eu-west-1:123456789012:db:acme-db',
          TagList: [],
        }),
      ]);
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(aws.requests).toEqual([
        {
          service: 'rds',
          action: 'DescribeDBInstances',
          region: EU,
          iamActions: ['rds:DescribeDBInstances'],
          status: 200,
        },
      ]);
    });

    it('answers an instance of another region, or none, with DBInstanceNotFoundFault 404', async () => {
      await start();
      aws.rds.putInstance(US, { id: 'acme-db' });
      const err = await rejection(
        rds().send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'acme-db' })),
      );
      expect(err).toBeInstanceOf(DBInstanceNotFoundFault);
      expect(err).toMatchObject({
        name: 'DBInstanceNotFoundFault',
        Code: 'DBInstanceNotFound',
        Type: 'Sender',
        $fault: 'client',
        message: 'DBInstance acme-db not found.',
        $metadata: { httpStatusCode: 404 },
      });
      const all = await rds(US).send(new DescribeDBInstancesCommand({}));
      expect(all.DBInstances?.map((i) => i.DBInstanceIdentifier)).toEqual(['acme-db']);
      expect(aws.requests.map((r) => [r.region, r.status, r.error])).toEqual([
        [EU, 404, 'DBInstanceNotFound'],
        [US, 200, undefined],
      ]);
    });

    it('makes a tagged snapshot that is creating, then available after the configured reads', async () => {
      await start({ snapshotReadsToAvailable: 3 });
      aws.rds.putInstance(EU, { id: 'acme-db', engine: 'mysql' });
      const created = await rds().send(
        new CreateDBSnapshotCommand({
          DBSnapshotIdentifier: 'acme-t1',
          DBInstanceIdentifier: 'acme-db',
          Tags: TAGS,
        }),
      );
      expect(created.DBSnapshot).toEqual(
        expect.objectContaining({
          DBSnapshotIdentifier: 'acme-t1',
          DBInstanceIdentifier: 'acme-db',
          Engine: 'mysql',
          Port: 3306,
          Status: 'creating',
          PercentProgress: 0,
          SnapshotType: 'manual',
          SnapshotCreateTime: new Date(CREATED),
          DBSnapshotArn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:acme-t1',
          TagList: TAGS,
        }),
      );
      expect(aws.rds.instance(EU, 'acme-db')?.status).toBe('backing-up');
      const look = async () =>
        (
          await rds().send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'acme-t1' }))
        ).DBSnapshots?.map((s) => [s.Status, s.PercentProgress]);
      expect(await look()).toEqual([['creating', 33]]);
      expect(await look()).toEqual([['creating', 66]]);
      expect(await look()).toEqual([['available', 100]]);
      expect(await look()).toEqual([['available', 100]]);
      expect(aws.rds.instance(EU, 'acme-db')?.status).toBe('available');
      expect(aws.requests[0]?.iamActions).toEqual(['rds:CreateDBSnapshot', 'rds:AddTagsToResource']);
    });

    it('refuses a second snapshot of the same id with DBSnapshotAlreadyExistsFault 400', async () => {
      await start();
      aws.rds.putInstance(EU, { id: 'acme-db' });
      aws.rds.putSnapshot(EU, { id: 'acme-t1', instance: 'other-db' });
      const err = await rejection(
        rds().send(
          new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'ACME-t1', DBInstanceIdentifier: 'acme-db' }),
        ),
      );
      expect(err).toBeInstanceOf(DBSnapshotAlreadyExistsFault);
      expect(err.$metadata).toMatchObject({ httpStatusCode: 400 });
      expect(aws.rds.snapshot(EU, 'acme-t1')?.instance).toBe('other-db');
    });

    it.each([
      ['starting with a digit', '1acme'],
      ['with two hyphens in a row', 'acme--t1'],
      ['ending with a hyphen', 'acme-t1-'],
      ['with an underscore', 'acme_t1'],
      ['with a dot', 'acme.t1'],
      ['of 256 characters', `a${'b'.repeat(255)}`],
    ])('refuses a snapshot identifier %s with InvalidParameterValue', async (_label, id) => {
      await start();
      aws.rds.putInstance(EU, { id: 'acme-db' });
      const err = await rejection(
        rds().send(
          new CreateDBSnapshotCommand({ DBSnapshotIdentifier: id, DBInstanceIdentifier: 'acme-db' }),
        ),
      );
      expect(err).toBeInstanceOf(RDSServiceException);
      expect(err).toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
      expect(err.message).toMatch(/^The parameter DBSnapshotIdentifier is not a valid identifier\./);
      expect(aws.rds.snapshots(EU)).toEqual([]);
    });

    it('accepts an identifier of 255 characters', async () => {
      await start();
      aws.rds.putInstance(EU, { id: 'acme-db' });
      const id = `a-${'b'.repeat(253)}`;
      const out = await rds().send(
        new CreateDBSnapshotCommand({ DBSnapshotIdentifier: id, DBInstanceIdentifier: 'acme-db' }),
      );
      expect(out.DBSnapshot?.DBSnapshotIdentifier).toBe(id);
    });

    it('refuses a snapshot of a missing instance (404) or of one not available (400)', async () => {
      await start();
      aws.rds.putInstance(EU, { id: 'acme-db', status: 'stopped' });
      const create = (instance: string) =>
        rejection(
          rds().send(
            new CreateDBSnapshotCommand({ DBSnapshotIdentifier: 'acme-t1', DBInstanceIdentifier: instance }),
          ),
        );
      expect(await create('nope-db')).toBeInstanceOf(DBInstanceNotFoundFault);
      const busy = await create('acme-db');
      expect(busy).toBeInstanceOf(InvalidDBInstanceStateFault);
      expect(busy.message).toBe(
        'Cannot create a snapshot because the database instance acme-db is not currently in the available state.',
      );
      expect(busy.$metadata).toMatchObject({ httpStatusCode: 400 });
    });

    it('answers a missing snapshot with DBSnapshotNotFoundFault 404', async () => {
      await start();
      const err = await rejection(
        rds().send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'acme-t1' })),
      );
      expect(err).toBeInstanceOf(DBSnapshotNotFoundFault);
      expect(err).toMatchObject({
        message: 'DBSnapshot acme-t1 not found.',
        $metadata: { httpStatusCode: 404 },
      });
    });
  });

  describe('Secrets Manager (JSON 1.1)', () => {
    it('gets a string secret by name or ARN, and a binary one, in the signed region', async () => {
      await start();
      aws.secrets.putSecret(EU, 'prod/acme/db', '{"password":"p"}');
      aws.secrets.putSecret(EU, 'prod/acme/cert', { binary: Uint8Array.from([1, 2, 3]) });
      const out = await sm().send(new GetSecretValueCommand({ SecretId: 'prod/acme/db' }));
      expect(out).toMatchObject({
        Name: 'prod/acme/db',
        SecretString: '{"password":"p"}',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: new Date(CREATED),
      });
      expect(out.ARN).toMatch(/^arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod\/acme\/db-\w{6}$/);
      expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(out.SecretBinary).toBeUndefined();
      const byArn = await sm().send(new GetSecretValueCommand({ SecretId: out.ARN }));
      expect(byArn.Name).toBe('prod/acme/db');
      const binary = await sm().send(new GetSecretValueCommand({ SecretId: 'prod/acme/cert' }));
      expect(binary.SecretString).toBeUndefined();
      expect([...(binary.SecretBinary ?? [])]).toEqual([1, 2, 3]);
      const elsewhere = await rejection(sm(US).send(new GetSecretValueCommand({ SecretId: 'prod/acme/db' })));
      expect(elsewhere).toBeInstanceOf(ResourceNotFoundException);
      expect(aws.requests.map((r) => [r.service, r.action, r.region, r.status])).toEqual([
        ['secretsmanager', 'GetSecretValue', EU, 200],
        ['secretsmanager', 'GetSecretValue', EU, 200],
        ['secretsmanager', 'GetSecretValue', EU, 200],
        ['secretsmanager', 'GetSecretValue', US, 400],
      ]);
    });

    it('answers a missing secret with ResourceNotFoundException 400', async () => {
      await start();
      const err = await rejection(sm().send(new GetSecretValueCommand({ SecretId: 'prod/acme/db' })));
      expect(err).toBeInstanceOf(ResourceNotFoundException);
      expect(err).toMatchObject({
        name: 'ResourceNotFoundException',
        $fault: 'client',
        message: "Secrets Manager can't find the specified secret.",
        $metadata: { httpStatusCode: 400 },
      });
    });

    it('describes a secret without its value when DescribeSecret is granted', async () => {
      await start({ allowedActions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] });
      aws.secrets.putSecret(EU, 'prod/acme/db', '{"password":"p"}');
      const out = await sm().send(new DescribeSecretCommand({ SecretId: 'prod/acme/db' }));
      expect(out).toMatchObject({ Name: 'prod/acme/db', CreatedDate: new Date(CREATED) });
      expect(Object.values(out.VersionIdsToStages ?? {})).toEqual([['AWSCURRENT']]);
      expect(JSON.stringify(out)).not.toContain('password');
    });
  });

  describe('IAM and authentication', () => {
    it('grants by default exactly the actions of deploy/iam-policy.json', async () => {
      const file: unknown = JSON.parse(readFileSync('deploy/iam-policy.json', 'utf8'));
      expect(POLICY_ACTIONS).toEqual(policyActions(file));
      await start();
      aws.secrets.putSecret(EU, 'prod/acme/db', '{}');
      const err = await rejection(sm().send(new DescribeSecretCommand({ SecretId: 'prod/acme/db' })));
      expect(err).toBeInstanceOf(SecretsManagerServiceException);
      expect(err).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
      expect(err.message).toMatch(
        /^User: arn:aws:sts::123456789012:assumed-role\/\S+ is not authorized to perform: secretsmanager:DescribeSecret on resource: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod\/acme\/db-\w{6} because no identity-based policy allows the secretsmanager:DescribeSecret action$/,
      );
      expect(aws.usedActions().size).toBe(0);
    });

    it('denies a tagged snapshot without rds:AddTagsToResource with 403 AccessDenied, and allows an untagged one', async () => {
      await start({ allowedActions: ['rds:Describe*', 'rds:CreateDBSnapshot'] });
      aws.rds.putInstance(EU, { id: 'acme-db' });
      const create = (id: string, Tags?: typeof TAGS) =>
        rds().send(
          new CreateDBSnapshotCommand({ DBSnapshotIdentifier: id, DBInstanceIdentifier: 'acme-db', Tags }),
        );
      const err = await rejection(create('acme-t1', TAGS));
      expect(err).toBeInstanceOf(RDSServiceException);
      expect(err).toMatchObject({
        name: 'AccessDenied',
        Code: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
      });
      expect(err.message).toContain(
        'is not authorized to perform: rds:AddTagsToResource on resource: arn:aws:rds:eu-west-1:123456789012:snapshot:acme-t1',
      );
      await create('acme-t2');
      await rds().send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'acme-t2' }));
      expect(aws.rds.snapshots(EU).map((s) => s.id)).toEqual(['acme-t2']);
      expect(Object.fromEntries(aws.usedActions())).toEqual({
        'rds:CreateDBSnapshot': 1,
        'rds:DescribeDBSnapshots': 1,
      });
    });

    it('refuses an unknown access key as each service does', async () => {
      await start();
      const credentials = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'x' };
      const r = await rejection(
        keep(rdsClient(aws.url, EU, { credentials })).send(new DescribeDBInstancesCommand({})),
      );
      expect(r).toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
      const s = await rejection(
        keep(secretsClient(aws.url, EU, { credentials })).send(new GetSecretValueCommand({ SecretId: 'x' })),
      );
      expect(s).toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } });
    });

    it('answers a request for neither service with 400 and does not log it', async () => {
      await start();
      const res = await fetch(`${aws.url}/`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(400);
      expect(aws.requests).toEqual([]);
    });
  });

  describe('faults', () => {
    it('throttles the next calls of an action; the SDK retries them when allowed', async () => {
      await start();
      aws.rds.putInstance(EU, { id: 'acme-db' });
      aws.rds.failNext('DescribeDBInstances', 'throttling', 2);
      const once = await rejection(rds().send(new DescribeDBInstancesCommand({})));
      expect(once).toMatchObject({
        name: 'Throttling',
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400, attempts: 1 },
      });
      const out = await rds(EU, 2).send(new DescribeDBInstancesCommand({}));
      expect(out.$metadata.attempts).toBe(2);
      expect(aws.requests.map((r) => r.status)).toEqual([400, 400, 200]);
    });

    it('fails with server faults the SDK classes as such and retries', async () => {
      await start();
      aws.secrets.putSecret(EU, 'prod/acme/db', '{}');
      aws.secrets.failNext('GetSecretValue', 'internal', 2);
      aws.rds.failNext('DescribeDBSnapshots', 'internal');
      const err = await rejection(sm().send(new GetSecretValueCommand({ SecretId: 'prod/acme/db' })));
      expect(err).toBeInstanceOf(InternalServiceError);
      expect(err).toMatchObject({ $fault: 'server', $metadata: { httpStatusCode: 500 } });
      const out = await sm(EU, 2).send(new GetSecretValueCommand({ SecretId: 'prod/acme/db' }));
      expect(out.$metadata.attempts).toBe(2);
      const r = await rejection(rds().send(new DescribeDBSnapshotsCommand({})));
      expect(r).toMatchObject({ name: 'InternalFailure', Type: 'Receiver', $fault: 'server' });
      expect(aws.requests.map((q) => [q.action, q.status])).toEqual([
        ['GetSecretValue', 500],
        ['GetSecretValue', 500],
        ['GetSecretValue', 200],
        ['DescribeDBSnapshots', 500],
      ]);
    });
  });
});
