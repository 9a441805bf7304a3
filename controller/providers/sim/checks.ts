/**
 * The sim provider's checks: databases and secrets that exist unless the
 * world lists them as missing, snapshots kept in the world, health read from
 * the world's stacks, and metrics inside their bounds unless a fault says
 * otherwise.
 */
import { PermanentError } from '../../errors.js';
import type { StackColor } from '../../model/naming.js';
import type { DatabaseRef, SecretRef } from '../../model/types.js';
import type {
  CallContext,
  DatabasePort,
  HealthPort,
  HealthReport,
  MetricsPort,
  SecretsPort,
} from '../ports.js';
import { findFault } from './faults.js';
import type { Simulator } from './simulator.js';
import { groupKey } from './state.js';

export function simDatabase(sim: Simulator): DatabasePort {
  return {
    async checkAvailable(ctx, db: DatabaseRef) {
      await sim.enter(ctx);
      mustExist(sim, ctx, db);
    },

    async ensureSnapshot(ctx, db: DatabaseRef, snapshotId: string) {
      await sim.enter(ctx);
      // A simulated snapshot is available the moment it is taken.
      const of = sim.world.snapshots[snapshotId];
      if (of !== undefined && of !== db.instance) {
        throw new PermanentError(
          'SnapshotNotOurs',
          `sim: snapshot ${snapshotId} is of database ${of}, not ${db.instance}; delete it or rename the group`,
        );
      }
      if (of === undefined) {
        sim.world.snapshots[snapshotId] = db.instance;
        await sim.save({ snapshot: snapshotId });
      }
      return { done: true };
    },

    async checkReplicable(ctx, source, replica) {
      await sim.enter(ctx);
      mustExist(sim, ctx, source);
      foreignReplica(sim, source, replica);
    },

    async ensureReplica(ctx, source, replica) {
      await sim.enter(ctx);
      // A simulated replica is made, and in sync, the moment it is asked for.
      if (foreignReplica(sim, source, replica)) return { done: true };
      sim.world.replicas[replica.instance] = { source: source.instance };
      await sim.save({ replica: replica.instance });
      return { done: true };
    },

    async promoteReplica(ctx, replica) {
      await sim.enter(ctx);
      const found = sim.world.replicas[replica.instance];
      if (!found)
        throw new PermanentError(
          'NotAReplica',
          `sim: database ${replica.instance} is no read replica, so it cannot be promoted`,
        );
      if (!found.promoted) {
        sim.world.replicas[replica.instance] = { ...found, promoted: true };
        await sim.save({ replica: replica.instance });
      }
      return { done: true };
    },

    async ensureStandby(ctx, db) {
      await sim.enter(ctx);
      const found = sim.world.replicas[db.instance];
      if (!found?.promoted)
        throw new PermanentError(
          'NotAPromotedReplica',
          `sim: database ${db.instance} is no promoted replica of a move; it is not given a standby`,
        );
      // A simulated standby is made the moment it is asked for.
      if (!found.standby) {
        sim.world.replicas[db.instance] = { ...found, standby: true };
        await sim.save({ replica: db.instance });
      }
      return { done: true };
    },

    async deleteReplica(ctx, replica) {
      await sim.enter(ctx);
      const found = sim.world.replicas[replica.instance];
      if (!found) return 'absent';
      if (found.promoted)
        throw new PermanentError(
          'ReplicaPromoted',
          `sim: database ${replica.instance} was promoted and holds data of its own; it is not deleted`,
        );
      delete sim.world.replicas[replica.instance];
      await sim.save({ replica: replica.instance });
      return 'deleted';
    },
  };
}

/** Every instance exists but those the world lists as missing. */
function mustExist(sim: Simulator, ctx: CallContext, db: DatabaseRef): void {
  if (sim.world.missingDatabases.includes(db.instance))
    throw new PermanentError(
      'DatabaseMissing',
      `sim: database ${db.instance} of group ${ctx.group} does not exist ` +
        `(listed in missingDatabases of ${sim.file.path})`,
    );
}

/**
 * True when `replica` is already the replica of `source` (made, or promoted);
 * throws PermanentError when it is made of another instance or promoted
 * (then it replicates nothing any more).
 */
function foreignReplica(sim: Simulator, source: DatabaseRef, replica: DatabaseRef): boolean {
  const found = sim.world.replicas[replica.instance];
  if (!found) return false;
  if (found.source !== source.instance)
    throw new PermanentError(
      'ReplicaNotOurs',
      `sim: database ${replica.instance} exists as a replica of ${found.source}, not of ${source.instance}; pick another instance name`,
    );
  if (found.promoted)
    throw new PermanentError(
      'ReplicaPromoted',
      `sim: database ${replica.instance} was promoted already and replicates nothing; pick another instance name`,
    );
  return true;
}

export function simSecrets(sim: Simulator): SecretsPort {
  return {
    async checkKeys(ctx, secret: SecretRef) {
      await sim.enter(ctx);
      const missing = sim.world.missingSecrets.find((m) => m.name === secret.name);
      if (!missing) return;
      const where = `(listed in missingSecrets of ${sim.file.path})`;
      if (!missing.keys?.length) {
        throw new PermanentError(
          'SecretMissing',
          `sim: secret ${secret.name} of group ${ctx.group} does not exist ${where}`,
        );
      }
      const lacking = secret.keys.filter((k) => missing.keys?.includes(k));
      if (lacking.length > 0) {
        throw new PermanentError(
          'SecretKeysMissing',
          `sim: secret ${secret.name} of group ${ctx.group} lacks key${lacking.length > 1 ? 's' : ''} ` +
            `${lacking.join(', ')} ${where}`,
        );
      }
    },
  };
}

export function simHealth(sim: Simulator): HealthPort {
  return {
    async check(ctx, cluster, namespace, color: StackColor): Promise<HealthReport> {
      await sim.enter(ctx);
      if (sim.group(cluster, namespace)?.stacks[color]) return { healthy: true };
      return { healthy: false, reason: `no ${color} stack in ${groupKey(cluster, namespace)}` };
    },
  };
}

/**
 * Simulated metrics: every query answers a value inside its bound, unless a
 * `metric` fault gives the value or a `no-data` fault gives none (other
 * faults at verify or observe act as on every call).
 */
export function simMetrics(sim: Simulator): MetricsPort {
  return {
    async measure(ctx, query) {
      await sim.enter(ctx);
      const fault = findFault(sim.settings.faults, ctx.group, ctx.step);
      if (fault?.kind === 'no-data') return { inconclusive: `no data (sim: injected no-data fault)` };
      if (fault?.kind === 'metric') return { value: fault.value! };
      return { value: query.max ?? query.min ?? 0 };
    },
  };
}
