/**
 * The embedded `sim` provider: every port implemented on a simulated world
 * kept in a state file (see state.ts), with step latency and injected faults
 * (see faults.ts), so the controller can run and rehearse failures without
 * any real infrastructure.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { ConfigurationError, PermanentError } from '../../errors.js';
import type { ClusterPort, EnsureResult, Providers, StackSpec, TenantsSpec } from '../ports.js';
import { simDatabase, simHealth, simMetrics, simSecrets } from './checks.js';
import { type FaultPlan, NO_FAULTS } from './faults.js';
import { Simulator } from './simulator.js';
import { WorldFile, groupKey } from './state.js';

/** How to build the sim providers. */
export interface SimOptions {
  /** The world file, for example `<stateDir>/sim.json`; created on the first change. */
  readonly statePath: string;
  /** Faults to inject; none by default. */
  readonly faults?: FaultPlan;
  /** Delay before every call, in milliseconds; 0 (the default) means none. */
  readonly latencyMs?: number;
  /** The clock, for the times recorded in the world; the system clock by default. */
  readonly now?: () => Date;
  /** Waits `ms` milliseconds; a real timer by default. */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Waits `ms` milliseconds of the controller's clock, for a slow fault; it
   * rejects when the controller stops, cutting the call short. `sleep` by default.
   */
  readonly wait?: (ms: number) => Promise<void>;
}

/**
 * Builds the four ports on the world stored at `options.statePath`. The world
 * is read once, here (so a damaged file fails at start, with a
 * ConfigurationError, rather than in the middle of a step), kept in memory and
 * written whole after every change, one write at a time, so concurrent calls
 * for different groups never lose each other's changes and a killed process
 * loses no change a call reported as done.
 *
 * Every call first waits the latency, then applies the fault for
 * (ctx.group, ctx.step), if any. Throws ConfigurationError for a negative latency.
 */
export async function createSimProviders(options: SimOptions): Promise<Providers> {
  const latencyMs = options.latencyMs ?? 0;
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new ConfigurationError(
      'BadSimLatency',
      `sim latency must be 0 or more milliseconds, got ${latencyMs}`,
    );
  }
  const sim = new Simulator(await WorldFile.open(options.statePath), {
    faults: options.faults ?? NO_FAULTS,
    latencyMs,
    now: options.now ?? (() => new Date()),
    sleep: options.sleep ?? ((ms) => delay(ms)),
    wait: options.wait ?? options.sleep ?? ((ms) => delay(ms)),
  });
  return {
    cluster: simCluster(sim),
    database: simDatabase(sim),
    secrets: simSecrets(sim),
    health: simHealth(sim),
    metrics: simMetrics(sim),
    close: (options) => sim.file.close(options),
  };
}

function simCluster(sim: Simulator): ClusterPort {
  return {
    async checkAccess(ctx) {
      // Every simulated cluster and namespace can be reached.
      await sim.enter(ctx);
    },

    async rolloutStatus(ctx, cluster, namespace, color) {
      await sim.enter(ctx);
      if (sim.group(cluster, namespace)?.stacks[color]) return { done: true };
      throw new PermanentError(
        'StackMissing',
        `sim: group ${ctx.group} (${groupKey(cluster, namespace)}) has no ${color} stack to roll out; create it first`,
      );
    },

    async getActive(ctx, cluster, namespace) {
      await sim.enter(ctx);
      const group = sim.group(cluster, namespace);
      const stack = group?.active && group.stacks[group.active];
      return group?.active && stack ? { color: group.active, release: stack.release } : undefined;
    },

    async ensureStack(ctx, spec): Promise<EnsureResult> {
      await sim.enter(ctx);
      return ensureStack(sim, spec);
    },

    async deleteStack(ctx, cluster, namespace, color) {
      await sim.enter(ctx);
      const group = sim.group(cluster, namespace);
      if (!group?.stacks[color]) return 'absent';
      delete group.stacks[color];
      // Without its stack the colour serves nothing.
      if (group.active === color) delete group.active;
      if (!group.stacks.blue && !group.stacks.green) delete sim.world.groups[groupKey(cluster, namespace)];
      await sim.save({ group: groupKey(cluster, namespace) });
      return 'deleted';
    },

    async ensureTenants(ctx, spec) {
      await sim.enter(ctx);
      const key = groupKey(spec.cluster, spec.namespace);
      const group = (sim.world.groups[key] ??= { stacks: {} });
      const ids = spec.tenants.map((t) => t.id);
      const databases = elsewhere(spec);
      if (isDeepStrictEqual(group.tenants, ids) && isDeepStrictEqual(group.databases, databases))
        return 'unchanged';
      const had = group.tenants !== undefined;
      group.tenants = ids;
      if (databases) group.databases = databases;
      else delete group.databases;
      await sim.save({ group: key });
      return had ? 'updated' : 'created';
    },

    async runJob(ctx, job) {
      await sim.enter(ctx);
      // A simulated Job finishes the moment it starts.
      const key = groupKey(job.cluster, job.namespace);
      const group = (sim.world.groups[key] ??= { stacks: {} });
      if (group.jobs?.includes(job.name)) return { done: true };
      group.jobs = [...(group.jobs ?? []), job.name];
      await sim.save({ group: key });
      return { done: true };
    },

    async switchTraffic(ctx, cluster, namespace, color, hosts, weight = 100) {
      await sim.enter(ctx);
      const group = sim.group(cluster, namespace);
      if (!group?.stacks[color]) {
        throw new PermanentError(
          'StackMissing',
          `sim: cannot switch traffic of group ${ctx.group} (${groupKey(cluster, namespace)}) to ${color}: ` +
            `there is no ${color} stack; create it first`,
        );
      }
      // The simulated world knows which colour serves which hosts, not how traffic is split: a share below 100 changes nothing.
      if (weight < 100 || (group.active === color && isDeepStrictEqual(group.hosts, hosts))) return;
      group.active = color;
      group.hosts = [...hosts];
      await sim.save({ group: groupKey(cluster, namespace) });
    },

    async stopTraffic(ctx, cluster, namespace) {
      await sim.enter(ctx);
      const group = sim.group(cluster, namespace);
      if (!group?.active) return;
      delete group.active;
      delete group.hosts;
      await sim.save({ group: groupKey(cluster, namespace) });
    },
  };
}

/** Creates or updates the stack of `spec.color`, or leaves it alone when it already matches. */
async function ensureStack(sim: Simulator, spec: StackSpec): Promise<EnsureResult> {
  const key = groupKey(spec.cluster, spec.namespace);
  const group = (sim.world.groups[key] ??= { stacks: {} });
  // A frozen plain copy: the world must not change when the caller's objects do. Stacks of the same
  // release share one copy (at 10,000 groups, 20,000 stacks would otherwise hold 20,000 copies).
  const services = sharedServices(spec.services);
  const existing = group.stacks[spec.color];
  const databases = elsewhere(spec);
  if (
    existing &&
    existing.release === spec.release &&
    isDeepStrictEqual(existing.services, services) &&
    isDeepStrictEqual(group.databases, databases)
  ) {
    return 'unchanged';
  }
  if (databases) group.databases = databases;
  else delete group.databases;
  group.stacks[spec.color] = { release: spec.release, services, updatedAt: sim.settings.now().toISOString() };
  await sim.save({ group: key });
  return existing ? 'updated' : 'created';
}

/** The tenants of a registry served from another database than the group's, by id; undefined when none. */
function elsewhere(spec: TenantsSpec): Record<string, string> | undefined {
  const moved = Object.entries(spec.databases ?? {});
  return moved.length ? Object.fromEntries(moved.map(([id, db]) => [id, db.instance])) : undefined;
}

/** Frozen copies of service specs, one per distinct content. */
const servicesByContent = new Map<string, StackSpec['services']>();

function sharedServices(services: StackSpec['services']): StackSpec['services'] {
  const text = JSON.stringify(services);
  let copy = servicesByContent.get(text);
  if (!copy) {
    copy = deepFreeze(JSON.parse(text) as StackSpec['services']);
    servicesByContent.set(text, copy);
  }
  return copy;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}
