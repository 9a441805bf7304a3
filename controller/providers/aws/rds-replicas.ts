/**
 * Read replicas on RDS, for tenant moves (see engine/move-steps.ts): a replica
 * is made with CreateDBInstanceReadReplica, tagged as the house tags what it
 * makes; it is in sync once `available` with its read replication
 * `replicating`; it is promoted with PromoteReadReplica and, undoing a move
 * before promotion, deleted with DeleteDBInstance (no final snapshot: RDS
 * takes none of a replica). An instance of the replica's name that neither
 * replicates the source nor carries this group's tags is never touched.
 * Where the policy asks, a promoted replica is given a standby in another
 * zone (Multi-AZ, by ModifyDBInstance with ApplyImmediately: no outage; RDS
 * shows `modifying`, then `available` with MultiAZ). Every call reads once
 * and returns; the engine comes back while RDS works. Source and replica
 * are in the same region. IAM actions: rds:DescribeDBInstances,
 * rds:CreateDBInstanceReadReplica (with rds:AddTagsToResource),
 * rds:PromoteReadReplica, rds:DeleteDBInstance, rds:ModifyDBInstance.
 */
import {
  CreateDBInstanceReadReplicaCommand,
  type DBInstance,
  DBInstanceAlreadyExistsFault,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { ConfigurationError, PermanentError, TransientError } from '../../errors.js';
import type { DatabaseRef } from '../../model/types.js';
import type { CallContext, DatabasePort, RolloutStatus } from '../ports.js';
import { type AwsCall, awsError } from './aws-errors.js';
import type { RegionClients } from './clients.js';

type ReplicaPort = Pick<
  DatabasePort,
  'ensureReplica' | 'promoteReplica' | 'deleteReplica' | 'ensureStandby'
> & {
  /** The replica's half of checkReplicable (the source is checked as any database). */
  checkReplicaName(ctx: CallContext, source: DatabaseRef, replica: DatabaseRef): Promise<void>;
};

/** Read states of a replica that will not come back by themselves (RDS User Guide, "Read replica status"). */
const REPLICATION_BROKEN: ReadonlySet<string> = new Set(['error', 'terminated', 'stopped']);

/** The house's tags on what it makes (see rds.ts): a replica is ours by its source or by these. */
function replicaTags(ctx: CallContext) {
  return [
    { Key: 'app.kubernetes.io/managed-by', Value: 'ringmaster' },
    { Key: 'ringmaster.io/constellation', Value: ctx.constellation },
    { Key: 'ringmaster.io/group', Value: ctx.group },
  ];
}

export function rdsReplicas(clients: RegionClients<RDSClient>, defaultRegion: string): ReplicaPort {
  const regionOf = (source: DatabaseRef, replica: DatabaseRef) => {
    const region = replica.region ?? defaultRegion;
    if ((source.region ?? defaultRegion) !== region)
      throw new ConfigurationError(
        'CrossRegionMove',
        `database ${replica.instance} (${region}) would replicate ${source.instance} (${source.region ?? defaultRegion}): tenant moves between regions are not supported; keep the new group's database in its old group's region`,
      );
    return region;
  };

  return {
    async checkReplicaName(ctx, source, replica) {
      const region = regionOf(source, replica);
      const found = await find(clients.forRegion(region), replica, region);
      if (found) whoseReplica(found, ctx, source, replica, region);
    },

    async ensureReplica(ctx, source, replica) {
      const region = regionOf(source, replica);
      const client = clients.forRegion(region);
      const found = await find(client, replica, region);
      if (!found) return create(client, ctx, source, replica, region);
      if (whoseReplica(found, ctx, source, replica, region) === 'promoted')
        throw new PermanentError(
          'ReplicaPromoted',
          `database instance ${replica.instance} in ${region} was promoted already and replicates nothing; its data is its own now. Pick another instance name for group ${ctx.group}`,
        );
      const state = found.DBInstanceStatus ?? 'unknown';
      if (state !== 'available') return { done: false, message: `replica ${replica.instance}: ${state}` };
      const replication = found.StatusInfos?.find((i) => i.StatusType === 'read replication');
      if (replication?.Status && REPLICATION_BROKEN.has(replication.Status))
        throw new PermanentError(
          'ReplicationBroken',
          `read replication of ${source.instance} to ${replica.instance} in ${region} is ${replication.Status}${replication.Message ? `: ${replication.Message}` : ''}`,
        );
      if (replication?.Status !== 'replicating' || replication.Normal === false)
        return {
          done: false,
          message: `replica ${replica.instance}: replication ${replication?.Status ?? 'starting'}`,
        };
      return { done: true };
    },

    async promoteReplica(ctx, replica) {
      const region = replica.region ?? defaultRegion;
      const client = clients.forRegion(region);
      const found = await find(client, replica, region);
      if (!found)
        throw new PermanentError(
          'ReplicaNotFound',
          `database instance ${replica.instance} not found in region ${region}, so it cannot be promoted; the move of group ${ctx.group} needs a human (ringmaster recover)`,
        );
      const state = found.DBInstanceStatus ?? 'unknown';
      if (!found.ReadReplicaSourceDBInstanceIdentifier) {
        if (!ours(found, ctx))
          throw new PermanentError(
            'NotOurReplica',
            `database instance ${replica.instance} in ${region} is no read replica and not tagged as group ${ctx.group}'s; it is not promoted`,
          );
        // Promoted (by an earlier call): done once it serves on its own.
        return state === 'available'
          ? { done: true }
          : { done: false, message: `promoting ${replica.instance}: ${state}` };
      }
      if (state !== 'available') return { done: false, message: `replica ${replica.instance}: ${state}` };
      try {
        await client.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: replica.instance }));
      } catch (err) {
        if (err instanceof InvalidDBInstanceStateFault)
          throw new TransientError(
            'DatabaseBusy',
            `promoting ${replica.instance} cannot start yet: ${err.message}`,
            {
              cause: err,
            },
          );
        throw awsError(err, call('rds:PromoteReadReplica', replica, region));
      }
      return { done: false, message: `promoting ${replica.instance}` };
    },

    async deleteReplica(ctx, replica) {
      const region = replica.region ?? defaultRegion;
      const client = clients.forRegion(region);
      const found = await find(client, replica, region);
      if (!found || found.DBInstanceStatus === 'deleting') return found ? 'deleted' : 'absent';
      if (!found.ReadReplicaSourceDBInstanceIdentifier)
        throw new PermanentError(
          'NotAReplica',
          `database instance ${replica.instance} in ${region} is no read replica (promoted, or not made by this move); it is not deleted`,
        );
      try {
        await client.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: replica.instance,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        );
      } catch (err) {
        if (err instanceof DBInstanceNotFoundFault) return 'absent';
        if (err instanceof InvalidDBInstanceStateFault)
          throw new TransientError(
            'DatabaseBusy',
            `deleting replica ${replica.instance} cannot start yet: ${err.message}`,
            {
              cause: err,
            },
          );
        throw awsError(err, call('rds:DeleteDBInstance', replica, region));
      }
      return 'deleted';
    },

    async ensureStandby(ctx, db) {
      const region = db.region ?? defaultRegion;
      const client = clients.forRegion(region);
      const found = await find(client, db, region);
      if (!found)
        throw new PermanentError(
          'DatabaseNotFound',
          `database instance ${db.instance} not found in region ${region}, so it cannot be given a standby`,
        );
      if (found.ReadReplicaSourceDBInstanceIdentifier || !ours(found, ctx))
        throw new PermanentError(
          'NotOurInstance',
          `database instance ${db.instance} in ${region} is ${found.ReadReplicaSourceDBInstanceIdentifier ? 'still a read replica' : `not tagged as group ${ctx.group}'s`}; it is not given a standby`,
        );
      const state = found.DBInstanceStatus ?? 'unknown';
      if (found.MultiAZ === true && state === 'available') return { done: true };
      // Asked already (RDS may show the request pending before it shows `modifying`), or busy: look again later.
      if (found.MultiAZ === true || found.PendingModifiedValues?.MultiAZ === true || state !== 'available')
        return { done: false, message: `giving ${db.instance} a standby in another zone: ${state}` };
      try {
        await client.send(
          new ModifyDBInstanceCommand({
            DBInstanceIdentifier: db.instance,
            MultiAZ: true,
            ApplyImmediately: true,
          }),
        );
      } catch (err) {
        if (err instanceof InvalidDBInstanceStateFault)
          throw new TransientError(
            'DatabaseBusy',
            `giving ${db.instance} a standby cannot start yet: ${err.message}`,
            {
              cause: err,
            },
          );
        throw awsError(err, call('rds:ModifyDBInstance', db, region));
      }
      return { done: false, message: `giving ${db.instance} a standby in another zone` };
    },
  };
}

const call = (action: string, db: DatabaseRef, region: string): AwsCall => ({
  action,
  target: db.instance,
  region,
  echo: true,
});

/** The instance, or undefined when there is none. */
async function find(client: RDSClient, db: DatabaseRef, region: string): Promise<DBInstance | undefined> {
  try {
    const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: db.instance }));
    return out.DBInstances?.find((i) => i.DBInstanceIdentifier?.toLowerCase() === db.instance.toLowerCase());
  } catch (err) {
    if (err instanceof DBInstanceNotFoundFault) return undefined;
    throw awsError(err, call('rds:DescribeDBInstances', db, region));
  }
}

/** Whether `found` carries the house's tags of the group `ctx` names. */
function ours(found: DBInstance, ctx: CallContext): boolean {
  const tag = (key: string) => found.TagList?.find((t) => t.Key === key)?.Value;
  return (
    tag('app.kubernetes.io/managed-by') === 'ringmaster' &&
    tag('ringmaster.io/constellation') === ctx.constellation &&
    tag('ringmaster.io/group') === ctx.group
  );
}

/**
 * `replica` when `found` replicates `source`; `promoted` when it replicates
 * nothing but carries this group's tags; throws PermanentError otherwise.
 */
function whoseReplica(
  found: DBInstance,
  ctx: CallContext,
  source: DatabaseRef,
  replica: DatabaseRef,
  region: string,
): 'replica' | 'promoted' {
  const of = found.ReadReplicaSourceDBInstanceIdentifier;
  // The source of a replica in the same region is named by its identifier (an ARN across regions).
  if (of && of.split(':').pop()!.toLowerCase() === source.instance.toLowerCase()) return 'replica';
  if (!of && ours(found, ctx)) return 'promoted';
  throw new PermanentError(
    'ReplicaNotOurs',
    `database instance ${replica.instance} exists in ${region} and is ${of ? `a replica of ${of}` : 'an instance of its own'}, not a read replica of ${source.instance} made for group ${ctx.group}; pick another instance name for the group, or remove that instance`,
  );
}

async function create(
  client: RDSClient,
  ctx: CallContext,
  source: DatabaseRef,
  replica: DatabaseRef,
  region: string,
): Promise<RolloutStatus> {
  try {
    await client.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: replica.instance,
        SourceDBInstanceIdentifier: source.instance,
        Tags: replicaTags(ctx),
      }),
    );
    return { done: false, message: `replica ${replica.instance} of ${source.instance}: creating` };
  } catch (err) {
    // Made by a concurrent call between our look and our create: the next look checks whose it is.
    if (err instanceof DBInstanceAlreadyExistsFault)
      return {
        done: false,
        message: `replica ${replica.instance}: created by a concurrent call, checking it next time`,
      };
    if (err instanceof InvalidDBInstanceStateFault)
      throw new TransientError(
        'DatabaseBusy',
        `replicating ${source.instance} cannot start yet: ${err.message}`,
        {
          cause: err,
        },
      );
    if (err instanceof DBInstanceNotFoundFault)
      throw new PermanentError(
        'DatabaseNotFound',
        `database instance ${source.instance} not found in region ${region}; the move into group ${ctx.group} has nothing to replicate`,
      );
    throw awsError(err, {
      action: 'rds:CreateDBInstanceReadReplica',
      alsoNeeds: ['rds:AddTagsToResource'],
      target: replica.instance,
      region,
      echo: true,
    });
  }
}
