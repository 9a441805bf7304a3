/**
 * An in-memory fake of the provider ports for engine unit tests: a world of
 * stacks and traffic per namespace, with failures scripted per step.
 */
import { PermanentError, TransientError } from '../../controller/errors.js';
import type { StepName } from '../../controller/engine/step-names.js';
import type { StackColor } from '../../controller/model/naming.js';
import type { Measurement } from '../../controller/policy/analysis.js';
import type {
  CallContext,
  HealthReport,
  MetricsQuery,
  Providers,
  StackSpec,
  TenantsSpec,
} from '../../controller/providers/ports.js';

export interface FakeWorld {
  stacks: Map<string, Map<StackColor, StackSpec>>;
  active: Map<string, StackColor>;
  /** Every mutating call, in order, for asserting what happened to the world. */
  calls: string[];
  /** Steps during which health checks report unhealthy. */
  unhealthy: Set<StepName>;
  /** Replaces the scripted failures; their counters start again. */
  setScript(script: Script): void;
  /**
   * Resolves when a call scripted to 'hang' is made: the controller's process
   * died during that call, in effect. The call itself never returns.
   */
  nextHang(): Promise<string>;
  /** How many calls each scripted name received, hangs included. */
  readonly counts: ReadonlyMap<string, number>;
  /** The hosts routed to each namespace, as the last switch of traffic left them. */
  hosts: Map<string, readonly string[]>;
  /** The tenant ids of each namespace's registry, as last written alone (ensureTenants). */
  registries: Map<string, readonly string[]>;
  /** Looks at a Job before it completes, by Job name (none: it completes at once). */
  jobLooks: Map<string, number>;
  /** Jobs that fail, by name. */
  failingJobs: Set<string>;
  /** Snapshots taken, by id: the instance each is of. */
  snapshots: Map<string, string>;
  /** Read replicas made, by instance: the instance each replicates, and whether it was promoted. */
  replicas: Map<string, { source: string; promoted: boolean; standby?: boolean }>;
  /** Tenants each namespace's registry serves from another database (by id: the instance), as last written. */
  elsewhere: Map<string, Readonly<Record<string, string>>>;
  /** Looks at a new snapshot before it is available (0: at once). */
  snapshotLooks: number;
  /** What each query (by name) measures, call after call; the last repeats. Default: a value inside its bound. */
  measurements: Map<string, Measurement[]>;
  /** Every query measured, its placeholders filled in, in order. */
  measured: MetricsQuery[];
}

/**
 * Scripted failures: for a step, what each successive call does ('ok',
 * 'transient', 'permanent', or 'hang': never return, as if the process died
 * there); the last entry repeats.
 */
export type Script = Partial<
  Record<
    StepName | 'compensate-cutover' | 'compensate-prepare' | 'compensate-replicate',
    ('ok' | 'transient' | 'permanent' | 'hang')[]
  >
>;

/** A fresh fake world with no failures scripted. */
export function createFakeProviders(): { providers: Providers; world: FakeWorld } {
  let script: Script = {};
  const counters = new Map<string, number>();
  let hangWaiters: ((name: string) => void)[] = [];
  const world: FakeWorld = {
    stacks: new Map(),
    active: new Map(),
    calls: [],
    unhealthy: new Set(),
    setScript(next) {
      script = next;
      counters.clear();
    },
    nextHang: () => new Promise((resolve) => hangWaiters.push(resolve)),
    counts: counters,
    hosts: new Map(),
    registries: new Map(),
    jobLooks: new Map(),
    failingJobs: new Set(),
    snapshots: new Map(),
    replicas: new Map(),
    elsewhere: new Map(),
    snapshotLooks: 0,
    measurements: new Map(),
    measured: [],
  };
  const snapshotLooked = new Map<string, number>();
  const startedJobs = new Map<string, number>();
  const forwardColor = new Map<string, StackColor>();
  const key = (cluster: string, ns: string) => `${cluster}/${ns}`;
  const noteElsewhere = (spec: TenantsSpec) => {
    const moved = Object.entries(spec.databases ?? {}).map(([id, db]) => [id, db.instance]);
    if (moved.length) world.elsewhere.set(key(spec.cluster, spec.namespace), Object.fromEntries(moved));
    else world.elsewhere.delete(key(spec.cluster, spec.namespace));
  };
  const gate = (ctx: CallContext, name: keyof Script = ctx.step) => {
    const plan = script[name];
    if (!plan?.length) return;
    const n = counters.get(name) ?? 0;
    counters.set(name, n + 1);
    const what = plan[Math.min(n, plan.length - 1)];
    if (what === 'transient') throw new TransientError('FakeTransient', `fake transient failure in ${name}`);
    if (what === 'permanent') throw new PermanentError('FakePermanent', `fake permanent failure in ${name}`);
    if (what === 'hang') {
      const waiters = hangWaiters;
      hangWaiters = [];
      for (const resolve of waiters) resolve(name);
      return new Promise<never>(() => {});
    }
    return undefined;
  };
  const providers: Providers = {
    cluster: {
      async checkAccess(ctx) {
        await gate(ctx);
      },
      async ensureTenants(ctx, spec) {
        await gate(ctx);
        const ids = spec.tenants.map((t) => t.id);
        world.registries.set(key(spec.cluster, spec.namespace), ids);
        noteElsewhere(spec);
        world.calls.push(`tenants ${ids.join(',')}`);
        return 'updated';
      },
      async runJob(ctx, job) {
        await gate(ctx);
        const looks = startedJobs.get(job.name);
        if (looks === undefined) world.calls.push(`job ${job.name}`);
        startedJobs.set(job.name, (looks ?? 0) + 1);
        if (world.failingJobs.has(job.name))
          throw new PermanentError('JobFailed', `job ${job.name} failed: BackoffLimitExceeded`);
        const wanted = world.jobLooks.get(job.name) ?? 0;
        return (looks ?? 0) >= wanted
          ? { done: true }
          : { done: false, message: `job ${job.name}: 1 running` };
      },
      async rolloutStatus(_ctx, cluster, ns, color) {
        if (!world.stacks.get(key(cluster, ns))?.has(color))
          throw new PermanentError('NoStack', `no ${color} stack to roll out`);
        return { done: true };
      },
      async getActive(_ctx, cluster, ns) {
        const color = world.active.get(key(cluster, ns));
        return color
          ? { color, release: world.stacks.get(key(cluster, ns))!.get(color)!.release }
          : undefined;
      },
      async ensureStack(ctx, spec) {
        await gate(ctx);
        const stacks =
          world.stacks.get(key(spec.cluster, spec.namespace)) ?? new Map<StackColor, StackSpec>();
        world.stacks.set(key(spec.cluster, spec.namespace), stacks);
        const had = stacks.get(spec.color);
        stacks.set(spec.color, spec);
        noteElsewhere(spec);
        world.calls.push(`ensure ${spec.color} ${spec.release}`);
        return !had ? 'created' : JSON.stringify(had) === JSON.stringify(spec) ? 'unchanged' : 'updated';
      },
      async deleteStack(ctx, cluster, ns, color) {
        if (ctx.step === 'prepare') await gate(ctx, 'compensate-prepare');
        world.calls.push(`delete ${color}`);
        return world.stacks.get(key(cluster, ns))?.delete(color) ? 'deleted' : 'absent';
      },
      async switchTraffic(ctx, cluster, ns, color, hosts, weight = 100) {
        // The first colour a transition switches to is its cutover; switching to another colour undoes it.
        const routing = `${ctx.transition} ${key(cluster, ns)}`;
        if (!forwardColor.has(routing)) forwardColor.set(routing, color);
        await gate(ctx, forwardColor.get(routing) === color ? 'cutover' : 'compensate-cutover');
        if (!world.stacks.get(key(cluster, ns))?.has(color))
          throw new PermanentError('NoStack', `no ${color} stack`);
        if (weight < 100) {
          world.calls.push(`switch ${color} ${weight}%`);
          return;
        }
        world.active.set(key(cluster, ns), color);
        world.hosts.set(key(cluster, ns), hosts);
        world.calls.push(`switch ${color}`);
      },
      async stopTraffic(ctx, cluster, ns) {
        await gate(ctx, 'cutover');
        if (!world.active.delete(key(cluster, ns))) return;
        world.calls.push('stop traffic');
      },
    },
    database: {
      async checkAvailable(ctx) {
        await gate(ctx);
      },
      async ensureSnapshot(ctx, db, id) {
        await gate(ctx);
        if (!world.snapshots.has(id)) {
          world.snapshots.set(id, db.instance);
          world.calls.push(`snapshot ${id}`);
        }
        const looks = (snapshotLooked.get(id) ?? 0) + 1;
        snapshotLooked.set(id, looks);
        return looks > world.snapshotLooks ? { done: true } : { done: false, message: 'creating' };
      },
      async checkReplicable(ctx, source, replica) {
        await gate(ctx);
        const found = world.replicas.get(replica.instance);
        if (found && (found.source !== source.instance || found.promoted))
          throw new PermanentError('ReplicaNotOurs', `${replica.instance} exists`);
      },
      async ensureReplica(ctx, source, replica) {
        await gate(ctx);
        if (!world.replicas.has(replica.instance)) {
          world.replicas.set(replica.instance, { source: source.instance, promoted: false });
          world.calls.push(`replica ${replica.instance} of ${source.instance}`);
        }
        return { done: true };
      },
      async promoteReplica(ctx, replica) {
        await gate(ctx);
        const found = world.replicas.get(replica.instance);
        if (!found) throw new PermanentError('NotAReplica', `${replica.instance} is no replica`);
        if (!found.promoted) world.calls.push(`promote ${replica.instance}`);
        found.promoted = true;
        return { done: true };
      },
      async deleteReplica(ctx, replica) {
        await gate(ctx, 'compensate-replicate');
        const found = world.replicas.get(replica.instance);
        if (!found) return 'absent';
        if (found.promoted) throw new PermanentError('ReplicaPromoted', `${replica.instance} was promoted`);
        world.replicas.delete(replica.instance);
        world.calls.push(`delete replica ${replica.instance}`);
        return 'deleted';
      },
      async ensureStandby(ctx, db) {
        await gate(ctx);
        const found = world.replicas.get(db.instance);
        if (!found?.promoted)
          throw new PermanentError('NotAPromotedReplica', `${db.instance} is not promoted`);
        if (!found.standby) world.calls.push(`standby ${db.instance}`);
        found.standby = true;
        return { done: true };
      },
    },
    secrets: {
      async checkKeys() {},
    },
    metrics: {
      async measure(ctx, query) {
        await gate(ctx);
        world.measured.push(query);
        const queue = world.measurements.get(query.name);
        if (!queue?.length) return { value: query.max ?? query.min ?? 0 };
        return queue.length > 1 ? queue.shift()! : queue[0]!;
      },
    },
    health: {
      async check(ctx): Promise<HealthReport> {
        await gate(ctx);
        return world.unhealthy.has(ctx.step)
          ? { healthy: false, reason: `fake: unhealthy during ${ctx.step}` }
          : { healthy: true };
      },
    },
  };
  return { providers, world };
}
