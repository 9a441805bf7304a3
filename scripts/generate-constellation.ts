/**
 * A large, valid, deterministic constellation for the benchmarks: 4 rings, 7
 * releases on 3 lines, a promotion policy, and as many groups and tenants as
 * asked, with maintenance windows and test tenants like a real one.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';

/** The rings, earliest first, with their share of the groups and their release. */
export const RINGS = [
  { name: 'canary', share: 0.02, release: '2026.11.2' },
  { name: 'early', share: 0.13, release: '2026.11.0' },
  { name: 'broad', share: 0.45, release: '2026.10.3' },
  { name: 'stable', share: 0.4, release: '2026.09.8' },
] as const;

export const RELEASES = [
  { version: '2026.09.7', schema: 380 },
  { version: '2026.09.8', schema: 380, backportOf: '2026.10.3' },
  { version: '2026.10.2', schema: 395 },
  { version: '2026.10.3', schema: 396 },
  { version: '2026.11.0', schema: 410 },
  { version: '2026.11.1', schema: 410 },
  { version: '2026.11.2', schema: 412, reports: true },
] as const;

interface Region {
  cluster: string;
  region: string;
  zone: string;
  /** Language tags with the usual UTC offset of their tenants. */
  locales: readonly (readonly [string, string])[];
}

const REGIONS: readonly Region[] = [
  {
    cluster: 'prod-eu-1',
    region: 'eu-central-1',
    zone: 'Europe/Berlin',
    locales: [
      ['de-DE', '+01:00'],
      ['de-AT', '+01:00'],
      ['nl-NL', '+01:00'],
      ['pl-PL', '+01:00'],
      ['fr-FR', '+01:00'],
    ],
  },
  {
    cluster: 'prod-eu-2',
    region: 'eu-west-1',
    zone: 'Europe/London',
    locales: [
      ['en-GB', '+00:00'],
      ['en-IE', '+00:00'],
      ['pt-PT', '+00:00'],
      ['es-ES', '+01:00'],
    ],
  },
  {
    cluster: 'prod-us-1',
    region: 'us-east-1',
    zone: 'America/New_York',
    locales: [
      ['en-US', '-05:00'],
      ['es-US', '-05:00'],
      ['en-CA', '-05:00'],
      ['pt-BR', '-03:00'],
    ],
  },
  {
    cluster: 'prod-us-2',
    region: 'us-west-2',
    zone: 'America/Los_Angeles',
    locales: [
      ['en-US', '-08:00'],
      ['es-MX', '-06:00'],
      ['en-CA', '-08:00'],
    ],
  },
  {
    cluster: 'prod-ap-1',
    region: 'ap-southeast-2',
    zone: 'Australia/Sydney',
    locales: [
      ['en-AU', '+10:00'],
      ['en-NZ', '+12:00'],
      ['ja-JP', '+09:00'],
    ],
  },
];

const WORDS = [
  'acorn', 'birch', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'harbor', 'iris', 'juniper',
  'kestrel', 'lumen', 'maple', 'nimbus', 'orchid', 'pine', 'quarry', 'raven', 'sierra', 'tundra',
  'umber', 'vale', 'willow', 'yarrow', 'zephyr', 'alder', 'basalt', 'cobalt', 'dune', 'elm',
]; // prettier-ignore

const CRONS = ['0 2 * * SUN', '0 3 * * SAT', '30 1 * * TUE', '0 4 * * WED', '0 22 * * FRI'];
const DURATIONS = ['1h', '90m', '2h', '3h', '4h'];

/** A small deterministic PRNG (mulberry32), so every run generates the same files. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(items: readonly T[], r: number): T {
  return items[Math.floor(r * items.length)]!;
}

interface GroupPlan {
  name: string;
  ring: (typeof RINGS)[number]['name'];
  tenants: number;
}

/** How many groups each ring gets: one each, the others by share, the rounding rest in the last ring. */
function ringCounts(groups: number): number[] {
  const spare = groups - RINGS.length;
  const counts = RINGS.map((r) => 1 + Math.floor(spare * r.share));
  counts[counts.length - 1] = groups - counts.slice(0, -1).reduce((a, b) => a + b, 0);
  return counts;
}

function planGroups(groups: number, tenants: number): GroupPlan[] {
  const counts = ringCounts(groups);
  const plans: GroupPlan[] = [];
  const base = Math.floor(tenants / groups);
  const extra = tenants % groups;
  RINGS.forEach((ring, r) => {
    for (let i = 1; i <= counts[r]!; i++) {
      const g = plans.length;
      plans.push({
        name: `smb-${ring.name}-${String(i).padStart(5, '0')}`,
        ring: ring.name,
        tenants: base + (g < extra ? 1 : 0),
      });
    }
  });
  return plans;
}

function productionId(group: number, tenant: number): string {
  return `${WORDS[(group * 7 + tenant) % WORDS.length]!}-${group}-${tenant}`;
}

/** What was generated. */
export interface Generated {
  dir: string;
  files: number;
  groups: number;
  tenants: number;
  testTenants: number;
  windows: number;
  bytes: number;
}

/**
 * Writes a valid constellation of `groups` groups and `tenants` tenants into
 * `dir`: 4 rings, 7 releases, a promotion policy; stable groups (and every
 * fifth broad group) have a maintenance window; half the tenants of canary
 * groups are test tenants of production tenants in later rings.
 */
export function generate(dir: string, groups: number, tenants: number): Generated {
  const random = rng(0x52494e47 ^ groups);
  mkdirSync(join(dir, 'groups', 'releases'), { recursive: true });
  mkdirSync(join(dir, 'policies'), { recursive: true });
  let files = 0;
  let bytes = 0;
  const write = (path: string, text: string): void => {
    writeFileSync(join(dir, path), text);
    files++;
    bytes += Buffer.byteLength(text);
  };

  write(
    'groups/rings.yaml',
    [
      '# Generated by scripts/generate-constellation.ts',
      'apiVersion: ringmaster/v1',
      'kind: RingSet',
      'constellation: bench-prod',
      'description: Generated constellation for the validate benchmark.',
      'rings:',
      ...RINGS.map((r) => `  - name: ${r.name}\n    release: "${r.release}"`),
      '',
    ].join('\n'),
  );
  for (const rel of RELEASES) {
    const v = rel.version;
    write(
      `groups/releases/${v}.yaml`,
      [
        'apiVersion: ringmaster/v1',
        'kind: Release',
        `version: "${v}"`,
        `line: "${v.slice(0, 7)}"`,
        `schemaVersion: ${rel.schema}`,
        ...('backportOf' in rel ? [`backportOf: "${rel.backportOf}"`] : []),
        'services:',
        `  api: { image: "registry.example.com/acme/api:${v}" }`,
        `  worker: { image: "registry.example.com/acme/worker:${v}", replicas: 3 }`,
        `  web: { image: "registry.example.com/acme/web:${v}", port: 3000, healthPath: /health }`,
        ...('reports' in rel
          ? [`  reports: { image: "registry.example.com/acme/reports:${v}", replicas: 1 }`]
          : []),
        '',
      ].join('\n'),
    );
  }
  write(
    'policies/promotion.yaml',
    [
      'apiVersion: ringmaster/v1',
      'kind: PromotionPolicy',
      `order: [${RINGS.map((r) => r.name).join(', ')}]`,
      'rings:',
      '  canary: { bake: 0h, approvals: 1, reviewers: ["@acme/release-team"], maxParallel: 10, directPush: true }',
      '  early: { bake: 24h, approvals: 1, reviewers: ["@acme/release-team"], maxParallel: 5 }',
      '  broad: { bake: 72h, approvals: 2, reviewers: ["@acme/release-team", "@acme/sre"], maxParallel: 20, failureBudget: 1 }',
      '  stable: { bake: 14d, approvals: 2, reviewers: ["@acme/sre"], gate: manual, window: maintenance, keep: 24h }',
      'freeze:',
      '  - { name: year-end, from: 2026-12-20, to: 2027-01-04 }',
      'health: { gracePeriod: 10m, observe: 30m }',
      '',
    ].join('\n'),
  );

  const plans = planGroups(groups, tenants);
  const firstProduction = plans.findIndex((p) => p.ring !== 'canary');
  const productionGroups = plans.length - firstProduction;
  let testTenants = 0;
  let windows = 0;
  plans.forEach((plan, g) => {
    const region = pick(REGIONS, random());
    const windowed = plan.ring === 'stable' || (plan.ring === 'broad' && g % 5 === 0);
    const lines = ['apiVersion: ringmaster/v1', 'kind: Group', `name: ${plan.name}`, `ring: ${plan.ring}`];
    if (g % 3 === 0) lines.push(`description: Small customers in ${region.region}, batch ${g}.`);
    if (windowed) {
      windows++;
      lines.push(
        `maintenanceWindow: { cron: "${pick(CRONS, random())}", duration: ${pick(DURATIONS, random())}, timezone: ${region.zone} }`,
      );
    }
    lines.push(
      'resources:',
      `  cluster: ${region.cluster}`,
      `  namespace: ${plan.name}`,
      `  database: { instance: ${plan.name}-db, engine: ${g % 4 === 0 ? 'mysql' : 'postgres'}, region: ${region.region} }`,
      '  secrets:',
      `    - { name: prod/${plan.name}/db, keys: [username, password] }`,
    );
    if (g % 2 === 0) lines.push(`    - { name: prod/${plan.name}/smtp, keys: [api-key] }`);
    lines.push('tenants:');
    for (let t = 0; t < plan.tenants; t++) {
      const [language, offset] = pick(region.locales, random());
      let id = productionId(g, t);
      let testOf = '';
      if (plan.ring === 'canary' && t % 2 === 1) {
        // The k-th test tenant tests a distinct production tenant of a later ring.
        const k = testTenants++;
        const target = firstProduction + (k % productionGroups);
        const targetTenant = Math.floor(k / productionGroups) % plans[target]!.tenants;
        testOf = productionId(target, targetTenant);
        id = `${testOf}-test`;
      }
      lines.push(
        `  - { id: ${id}, host: ${id}.app.example.com, language: ${language}, utcOffset: "${offset}"${testOf ? `, testOf: ${testOf}` : ''} }`,
      );
    }
    lines.push('');
    write(`groups/${plan.name}.yaml`, lines.join('\n'));
  });
  return { dir, files, groups, tenants, testTenants, windows, bytes };
}

/**
 * Writes the constellation of `generate` into the new folder `dir` and commits
 * it as the one commit of branch main of a new git repository there, packed.
 */
export async function generateRepo(dir: string, groups: number, tenants: number): Promise<Generated> {
  if (existsSync(dir)) throw new Error(`${dir} exists already; name a new folder`);
  const generated = generate(dir, groups, tenants);
  const git = simpleGit({ baseDir: dir });
  await git.init(['--initial-branch=main']);
  await git.addConfig('user.email', 'bench@example.com').addConfig('user.name', 'bench');
  // No gc in the background while a benchmark reads the repository: one packing, below, and done.
  await git.addConfig('gc.auto', '0');
  await git.add('.');
  await git.commit(`${groups} generated groups`);
  // Packed, as a clone or a fetched mirror is: 100,000 loose objects would be read far more slowly.
  await git.raw(['gc', '--quiet']);
  return generated;
}
