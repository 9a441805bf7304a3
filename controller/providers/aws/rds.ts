/**
 * The database port on Amazon RDS: checks that a group's DB instance exists,
 * runs the engine the group declares and serves connections, and takes a
 * manual snapshot of it before a transition changes its data. Every call
 * reads once and returns (no waiter, no sleep): the engine comes back while a
 * snapshot is being made. Snapshots are tagged with the constellation and
 * group; one of the same id is reused whatever made it, as long as it is of
 * the same instance, so a crash between creating and looking resumes cleanly.
 * RDS snapshots only an `available` instance: while it is busy (its backup
 * window, a modification) ensureSnapshot throws TransientError 'DatabaseBusy'.
 * IAM actions used: rds:DescribeDBInstances, rds:DescribeDBSnapshots,
 * rds:CreateDBSnapshot and rds:AddTagsToResource (deploy/iam-policy.json);
 * read replicas for tenant moves: see rds-replicas.ts.
 */
import {
  CreateDBSnapshotCommand,
  type DBInstance,
  DBInstanceNotFoundFault,
  type DBSnapshot,
  DBSnapshotAlreadyExistsFault,
  DBSnapshotNotFoundFault,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  InvalidDBInstanceStateFault,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { PermanentError, TransientError } from '../../errors.js';
import type { DatabaseRef } from '../../model/types.js';
import type { CallContext, DatabasePort, RolloutStatus } from '../ports.js';
import { type AwsCall, awsError } from './aws-errors.js';
import type { RegionClients } from './clients.js';
import { rdsReplicas } from './rds-replicas.js';

/**
 * Instance states in which the database serves connections (RDS User Guide,
 * "Viewing instance status"). The check is a look at one moment, so a state
 * is in when the engine runs through it, even if it may end in a short
 * restart no look can foresee. In: `available`; `backing-up`,
 * `configuring-enhanced-monitoring`, `configuring-iam-database-auth` and
 * `configuring-log-exports`, which change things around a running engine;
 * `modifying` and `maintenance`, which AWS applies to a running instance;
 * `resetting-master-credentials` (only the password changes);
 * `storage-optimization` and `storage-initialization`, which AWS documents as
 * operational with slower I/O. Out: `upgrading` (the engine restarts on its
 * new version), `rebooting`, `starting`, `stopping`, `stopped`, `creating`,
 * `deleting`, `delete-precheck`, `renaming` (the name we hold is going away),
 * the VPC moves, `failed`, `storage-full` (writes fail),
 * `insufficient-capacity`, `inaccessible-encryption-credentials*`,
 * `incompatible-*`, `restore-error`, and any state not named here.
 */
const SERVING_STATES: ReadonlySet<string> = new Set([
  'available',
  'backing-up',
  'configuring-enhanced-monitoring',
  'configuring-iam-database-auth',
  'configuring-log-exports',
  'maintenance',
  'modifying',
  'resetting-master-credentials',
  'storage-optimization',
  'storage-initialization',
]);

/**
 * RDS engines by the family a group declares: Aurora and MariaDB speak their
 * family's protocol (`aurora` is Aurora MySQL's engine name of version 1).
 */
const ENGINE_FAMILIES: Readonly<Record<DatabaseRef['engine'], readonly string[]>> = {
  postgres: ['postgres', 'aurora-postgresql'],
  mysql: ['mysql', 'mariadb', 'aurora-mysql', 'aurora'],
};

/**
 * Snapshot states that will never become `available`: the DBSnapshotAvailable
 * waiter's failure states, and `error`. Any other state is a phase on the way
 * (`creating`, `copying`, ...) and is reported as progress.
 */
const SNAPSHOT_FAILED: ReadonlySet<string> = new Set([
  'failed',
  'error',
  'deleting',
  'deleted',
  'incompatible-restore',
  'incompatible-parameters',
]);

/** RDS keeps identifiers in lower case and matches them regardless of case. */
function sameId(found: string | undefined, wanted: string): boolean {
  return found?.toLowerCase() === wanted.toLowerCase();
}

/** Tags every snapshot the controller takes carries (the house's ownership labels). */
function snapshotTags(ctx: CallContext) {
  return [
    { Key: 'app.kubernetes.io/managed-by', Value: 'ringmaster' },
    { Key: 'ringmaster.io/constellation', Value: ctx.constellation },
    { Key: 'ringmaster.io/group', Value: ctx.group },
  ];
}

/**
 * The database port on RDS: instances are looked up in `db.region`, else in
 * `defaultRegion`, through `clients`. Errors: see DatabasePort, and
 * aws-errors.ts for throttling, server faults and denials.
 */
export function awsDatabase(clients: RegionClients<RDSClient>, defaultRegion: string): DatabasePort {
  const replicas = rdsReplicas(clients, defaultRegion);
  const port: DatabasePort = {
    async checkAvailable(ctx, db) {
      const region = db.region ?? defaultRegion;
      const instance = await describeInstance(clients.forRegion(region), ctx, db, region);
      const engine = instance.Engine ?? 'unknown';
      if (!ENGINE_FAMILIES[db.engine].includes(engine))
        throw new PermanentError(
          'DatabaseEngineMismatch',
          `database instance ${db.instance} in ${region} runs ${engine}, but group ${ctx.group} declares ${db.engine}; ` +
            `correct resources.database.engine of group ${ctx.group}, or point it at a ${db.engine} instance`,
        );
      const state = instance.DBInstanceStatus ?? 'unknown';
      if (!SERVING_STATES.has(state))
        throw new PermanentError(
          'DatabaseNotServing',
          `database instance ${db.instance} in ${region} is ${state}, a state that serves no connections; ` +
            `bring it back to available, then retry group ${ctx.group}`,
        );
    },

    async ensureSnapshot(ctx, db, snapshotId) {
      const region = db.region ?? defaultRegion;
      const client = clients.forRegion(region);
      const found = await describeSnapshot(client, snapshotId, region);
      if (!found) return createSnapshot(client, ctx, db, snapshotId, region);
      return snapshotProgress(found, ctx, db, snapshotId, region);
    },

    async checkReplicable(ctx, source, replica) {
      await port.checkAvailable(ctx, source);
      await replicas.checkReplicaName(ctx, source, replica);
    },
    ensureReplica: (ctx, source, replica) => replicas.ensureReplica(ctx, source, replica),
    promoteReplica: (ctx, replica) => replicas.promoteReplica(ctx, replica),
    deleteReplica: (ctx, replica) => replicas.deleteReplica(ctx, replica),
    ensureStandby: (ctx, db) => replicas.ensureStandby(ctx, db),
  };
  return port;
}

async function describeInstance(
  client: RDSClient,
  ctx: CallContext,
  db: DatabaseRef,
  region: string,
): Promise<DBInstance> {
  const call: AwsCall = { action: 'rds:DescribeDBInstances', target: db.instance, region, echo: true };
  const notFound = () =>
    new PermanentError(
      'DatabaseNotFound',
      `database instance ${db.instance} not found in region ${region}; check resources.database of group ${ctx.group}`,
    );
  let out;
  try {
    out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.instance }));
  } catch (err) {
    if (err instanceof DBInstanceNotFoundFault) throw notFound();
    throw awsError(err, call);
  }
  const instance = out.DBInstances?.find((i) => sameId(i.DBInstanceIdentifier, db.instance));
  if (!instance) throw notFound();
  return instance;
}

/** The snapshot of that id, or undefined when there is none. */
async function describeSnapshot(
  client: RDSClient,
  snapshotId: string,
  region: string,
): Promise<DBSnapshot | undefined> {
  try {
    const out = await client.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }));
    return out.DBSnapshots?.find((s) => sameId(s.DBSnapshotIdentifier, snapshotId));
  } catch (err) {
    if (err instanceof DBSnapshotNotFoundFault) return undefined;
    throw awsError(err, { action: 'rds:DescribeDBSnapshots', target: snapshotId, region, echo: true });
  }
}

async function createSnapshot(
  client: RDSClient,
  ctx: CallContext,
  db: DatabaseRef,
  snapshotId: string,
  region: string,
): Promise<RolloutStatus> {
  const of = `snapshot ${snapshotId} of ${db.instance}`;
  try {
    await client.send(
      new CreateDBSnapshotCommand({
        DBSnapshotIdentifier: snapshotId,
        DBInstanceIdentifier: db.instance,
        Tags: snapshotTags(ctx),
      }),
    );
    return { done: false, message: `${of}: creating` };
  } catch (err) {
    // Another call made it between our look and our create: the next look checks whose it is.
    if (err instanceof DBSnapshotAlreadyExistsFault)
      return { done: false, message: `${of}: created by a concurrent call, checking it next time` };
    // RDS takes no snapshot while the instance is busy (its own backup window, a modification).
    if (err instanceof InvalidDBInstanceStateFault)
      throw new TransientError(
        'DatabaseBusy',
        `${of} in ${region} cannot start yet: ${err.message}; it is tried again later`,
        { cause: err },
      );
    if (err instanceof DBInstanceNotFoundFault)
      throw new PermanentError(
        'DatabaseNotFound',
        `database instance ${db.instance} not found in region ${region}; check resources.database of group ${ctx.group}`,
      );
    throw awsError(err, {
      action: 'rds:CreateDBSnapshot',
      alsoNeeds: ['rds:AddTagsToResource'],
      target: db.instance,
      region,
      echo: true,
    });
  }
}

function snapshotProgress(
  snapshot: DBSnapshot,
  ctx: CallContext,
  db: DatabaseRef,
  snapshotId: string,
  region: string,
): RolloutStatus {
  if (!sameId(snapshot.DBInstanceIdentifier, db.instance))
    throw new PermanentError(
      'SnapshotNotOurs',
      `snapshot ${snapshotId} in ${region} is of database instance ${snapshot.DBInstanceIdentifier ?? 'unknown'}, ` +
        `not ${db.instance} of group ${ctx.group}; delete or rename that snapshot, then retry the group`,
    );
  const state = snapshot.Status ?? 'unknown';
  if (state === 'available') return { done: true };
  if (SNAPSHOT_FAILED.has(state))
    throw new PermanentError(
      'SnapshotFailed',
      `snapshot ${snapshotId} of ${db.instance} in ${region} is ${state} and will not become available; ` +
        `delete it, then retry group ${ctx.group}`,
    );
  const progress = snapshot.PercentProgress === undefined ? '' : ` (${snapshot.PercentProgress}%)`;
  return { done: false, message: `snapshot ${snapshotId} of ${db.instance}: ${state}${progress}` };
}
