/**
 * Turns schema-valid plain data into the typed model, applying defaults.
 * Input must already have passed the schema of its kind.
 */
import { parseDuration } from '../policy/duration.js';
import type {
  AnalysisQuery,
  Group,
  JobTemplate,
  PromotionPolicy,
  Release,
  Ring,
  RingPolicy,
  TenantJobs,
} from './types.js';

/* The input shapes below mirror the schemas; ajv has checked them. */

interface RingSetData {
  constellation: string;
  rings: { name: string; release: string; description?: string }[];
}

/** Builds the rings (with their index) and the constellation name from a RingSet. */
export function buildRingSet(data: unknown): { name: string; rings: Ring[] } {
  const d = data as RingSetData;
  return {
    name: d.constellation,
    rings: d.rings.map((r, index) => ({
      name: r.name,
      index,
      release: r.release,
      description: r.description,
    })),
  };
}

interface ReleaseData {
  version: string;
  line: string;
  schemaVersion: number;
  backportOf?: string;
  description?: string;
  migration?: JobTemplate;
  tenantJobs?: TenantJobs;
  services: Record<
    string,
    { image: string; replicas?: number; port?: number; healthPath?: string; route?: string }
  >;
}

/** Builds a Release with service defaults (2 replicas, port 8080, /healthz). */
export function buildRelease(data: unknown, file: string): Release {
  const d = data as ReleaseData;
  const services = Object.fromEntries(
    Object.entries(d.services).map(([name, s]) => [
      name,
      {
        image: s.image,
        replicas: s.replicas ?? 2,
        port: s.port ?? 8080,
        healthPath: s.healthPath ?? '/healthz',
        ...(s.route === undefined ? {} : { route: s.route }),
      },
    ]),
  );
  return {
    version: d.version,
    line: d.line,
    schemaVersion: d.schemaVersion,
    backportOf: d.backportOf,
    description: d.description,
    services,
    ...(d.migration ? { migration: d.migration } : {}),
    ...(d.tenantJobs ? { tenantJobs: d.tenantJobs } : {}),
    file,
  };
}

type GroupData = Omit<Group, 'file' | 'suspended' | 'maintenanceWindow'> & {
  suspended?: boolean;
  maintenanceWindow?: { cron: string; duration: string; timezone: string };
};

/** Builds a Group (suspended defaults to false). */
export function buildGroup(data: unknown, file: string): Group {
  const d = data as GroupData;
  const mw = d.maintenanceWindow;
  return {
    name: d.name,
    ring: d.ring,
    suspended: d.suspended ?? false,
    description: d.description,
    maintenanceWindow: mw && { ...mw, durationMs: parseDuration(mw.duration) ?? 0 },
    resources: d.resources,
    tenants: d.tenants,
    file,
  };
}

interface PolicyData {
  order: string[];
  rings: Record<
    string,
    Partial<Omit<RingPolicy, 'bakeMs' | 'keepMs' | 'keep' | 'traffic'>> & {
      traffic?: number[];
      bake: string;
      approvals: number;
      keep?: string;
    }
  >;
  freeze?: { name: string; from: string; to: string; rings?: string[] }[];
  health?: {
    gracePeriod?: string;
    observe?: string;
    analysis?: (Omit<AnalysisQuery, 'intervalMs' | 'failureLimit' | 'inconclusive' | 'during'> & {
      interval?: string;
      failureLimit?: number;
      inconclusive?: 'wait' | 'fail';
      during?: ('verify' | 'observe' | 'replicate')[];
    })[];
  };
  decommission?: boolean;
  moves?: { standby?: boolean; rehearsal?: { branch: string } };
}

/** Builds the PromotionPolicy with its defaults (see the schema descriptions). */
export function buildPolicy(data: unknown, file: string): PromotionPolicy {
  const d = data as PolicyData;
  const rings = Object.fromEntries(
    Object.entries(d.rings).map(([name, r]) => [
      name,
      {
        bake: r.bake,
        bakeMs: parseDuration(r.bake) ?? 0,
        approvals: r.approvals,
        reviewers: r.reviewers ?? [],
        maxParallel: r.maxParallel ?? 1,
        failureBudget: r.failureBudget ?? 0,
        gate: r.gate ?? 'auto',
        window: r.window ?? 'any',
        directPush: r.directPush ?? false,
        revertOnRollback: r.revertOnRollback ?? false,
        keepMs: parseDuration(r.keep ?? '0h') ?? 0,
        traffic: r.traffic ?? [100],
        backup: r.backup ?? true,
      } satisfies RingPolicy,
    ]),
  );
  return {
    order: d.order,
    rings,
    freeze: d.freeze ?? [],
    health: {
      gracePeriodMs: parseDuration(d.health?.gracePeriod ?? '10m') ?? 0,
      observeMs: parseDuration(d.health?.observe ?? '10m') ?? 0,
      analysis: (d.health?.analysis ?? []).map(({ interval, failureLimit, inconclusive, during, ...q }) => ({
        ...q,
        ...(interval === undefined ? {} : { intervalMs: parseDuration(interval) ?? 0 }),
        failureLimit: failureLimit ?? 0,
        inconclusive: inconclusive ?? 'wait',
        during: during ?? ['verify', 'observe'],
      })),
    },
    decommission: d.decommission ?? false,
    moves: {
      ...(d.moves?.standby ? { standby: true } : {}),
      ...(d.moves?.rehearsal ? { rehearsal: { branch: d.moves.rehearsal.branch } } : {}),
    },
    file,
  };
}
