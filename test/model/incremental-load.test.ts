import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { type LoadResult, loadConstellation } from '../../controller/model/load.js';
import { LoadCache } from '../../controller/model/load-cache.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { GitObjectReader } from '../../controller/source/git-object-reader.js';
import { GitCommitSource } from '../../controller/source/git-source.js';
import { releaseYaml } from '../helpers/constellation.js';
import { commitAll, initRepo, makeTempDir, removeDir } from '../helpers/git.js';

const validator = createSchemaValidator('schemas');
const limits = DEFAULT_PARSE_LIMITS;

/** A small seeded generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof random>;

interface TenantSpec {
  id: string;
  host: string;
  testOf?: string;
}

type Window = 'ok' | 'none' | 'bad-cron' | 'bad-zone' | 'zero';

interface GroupSpec {
  name: string;
  ring: string;
  window: Window;
  db: string;
  ns: string;
  tenants: TenantSpec[];
  broken?: 'syntax' | 'schema';
}

// Small pools, so that random edits keep producing clashes.
const STEMS = [...Array.from({ length: 11 }, (_, i) => `g${i}`), 'tenant-group-with-a-rather-long-name'];
const IDS = Array.from({ length: 18 }, (_, i) => `t${i}`);
const RINGS = ['canary', 'early', 'stable', 'stabel'];
const WINDOWS: readonly Window[] = ['ok', 'ok', 'none', 'bad-cron', 'bad-zone', 'zero'];

const RING_SETS = [
  [
    ['canary', '2026.11.1'],
    ['early', '2026.11.0'],
    ['stable', '2026.10.4'],
  ],
  [
    ['canary', '2026.11.2'],
    ['early', '2026.11.0'],
    ['stable', '2026.10.4'],
  ],
  [
    ['canary', '2026.11.1'],
    ['early', '2026.11.0'],
  ],
  [
    ['canary', '2026.11.1'],
    ['stable', '2026.10.4'],
    ['early', '2026.11.0'],
  ],
  undefined, // a broken rings.yaml
];

function ringsYaml(variant: number): string {
  const rings = RING_SETS[variant];
  if (!rings) return 'rings: [unclosed\n';
  return [
    'apiVersion: ringmaster/v1',
    'kind: RingSet',
    'constellation: test',
    'rings:',
    ...rings.map(([name, release]) => `  - { name: ${name}, release: "${release}" }`),
    '',
  ].join('\n');
}

function policyYaml(variant: number): string {
  const early = variant === 1 ? ', window: maintenance' : '';
  return [
    'apiVersion: ringmaster/v1',
    'kind: PromotionPolicy',
    'order: [canary, early, stable]',
    'rings:',
    '  canary: { bake: 0h, approvals: 1 }',
    `  early: { bake: 24h, approvals: 1${early} }`,
    '  stable: { bake: 7d, approvals: 2, window: maintenance }',
    '',
  ].join('\n');
}

const WINDOW_YAML: Record<Window, string | undefined> = {
  ok: '{ cron: "0 2 * * SUN", duration: 4h, timezone: Europe/Berlin }',
  none: undefined,
  'bad-cron': '{ cron: "0 2 * *", duration: 4h, timezone: Europe/Berlin }',
  'bad-zone': '{ cron: "0 2 * * SUN", duration: 4h, timezone: europe/berlin }',
  zero: '{ cron: "0 2 * * SUN", duration: 0h, timezone: Europe/Berlin }',
};

function groupYaml(g: GroupSpec): string {
  if (g.broken === 'syntax') return `name: [${g.name}\n`;
  const window = WINDOW_YAML[g.window];
  return [
    'apiVersion: ringmaster/v1',
    'kind: Group',
    `name: ${g.name}`,
    `ring: ${g.ring}`,
    ...(window ? [`maintenanceWindow: ${window}`] : []),
    'resources:',
    '  cluster: eu-1',
    `  namespace: ${g.ns}`,
    `  database: { instance: ${g.db}, engine: postgres }`,
    '  secrets:',
    '    - { name: test/db, keys: [username, password] }',
    'tenants:',
    ...g.tenants.map(
      (t) =>
        `  - { id: ${t.id}, host: ${t.host}.example.com, language: en-US, utcOffset: "+01:00"${t.testOf ? `, testOf: ${t.testOf}` : ''} }`,
    ),
    ...(g.broken === 'schema' ? ['colour: blue'] : []),
    '',
  ].join('\n');
}

/** The desired state as specs, edited at random and written out as files. */
class World {
  readonly groups = new Map<string, GroupSpec>();
  rings = 0;
  policy = 0;

  constructor(private readonly rnd: Random) {
    for (const stem of STEMS.slice(0, 8)) this.groups.set(stem, this.newGroup(stem));
  }

  newGroup(name: string): GroupSpec {
    const { rnd } = this;
    const tenants = Array.from({ length: 1 + rnd.int(3) }, () => this.newTenant());
    const ring = rnd.pick(RINGS.slice(0, 3));
    return { name, ring, window: rnd.pick(WINDOWS), db: `d${rnd.int(6)}`, ns: `n${rnd.int(6)}`, tenants };
  }

  newTenant(): TenantSpec {
    const { rnd } = this;
    const id = rnd.pick(IDS);
    return {
      id,
      host: rnd.next() < 0.8 ? id : rnd.pick(IDS),
      testOf: rnd.next() < 0.3 ? rnd.pick(IDS) : undefined,
    };
  }

  /** Applies one random edit. */
  edit(): void {
    const { rnd } = this;
    const stems = [...this.groups.keys()];
    const stem = rnd.pick(stems);
    const g = this.groups.get(stem)!;
    const t = rnd.pick(g.tenants);
    const edits: (() => void)[] = [
      () => {
        const free = STEMS.filter((s) => !this.groups.has(s));
        if (free.length > 0) this.groups.set(rnd.pick(free), this.newGroup(rnd.pick(free)));
      },
      () => {
        const free = STEMS.filter((s) => !this.groups.has(s));
        if (free.length > 0) this.groups.set(rnd.pick(free), structuredClone(g)); // a copied file
      },
      () => stems.length > 1 && this.groups.delete(stem),
      () => (t.id = rnd.pick(IDS)),
      () => (t.host = rnd.pick(IDS)),
      () => (t.testOf = rnd.next() < 0.2 ? undefined : rnd.next() < 0.2 ? t.id : rnd.pick(this.tenantIds())),
      () => g.tenants.push(this.newTenant()),
      () => g.tenants.length > 1 && g.tenants.splice(rnd.int(g.tenants.length), 1),
      () => (g.ring = rnd.pick(RINGS)),
      () => (g.ring = rnd.pick(RINGS)),
      () => (g.db = `d${rnd.int(6)}`),
      () => (g.ns = `n${rnd.int(6)}`),
      () => (g.window = rnd.pick(WINDOWS)),
      () => (g.name = rnd.next() < 0.5 ? stem : rnd.pick(STEMS)),
      () => (g.broken = g.broken ? undefined : rnd.pick(['syntax', 'schema'] as const)),
      () => this.heal(),
    ];
    rnd.pick(edits)();
  }

  /** The tenant ids in use, to point test tenants at. */
  tenantIds(): string[] {
    return [...this.groups.values()].flatMap((g) => g.tenants.map((t) => t.id));
  }

  /** Changes what every group's ring-dependent rules depend on: the rings or the policy. */
  editRings(): void {
    const { rnd } = this;
    if (rnd.next() < 0.3) this.policy = 1 - this.policy;
    else this.rings = rnd.next() < 0.4 ? 0 : rnd.int(RING_SETS.length);
  }

  /** Makes every group valid and distinct, so that later edits also start from a clean constellation. */
  heal(): void {
    let n = 0;
    for (const [stem, g] of this.groups) {
      Object.assign(g, { name: stem, window: 'ok', db: `${stem}-db`, ns: stem, broken: undefined });
      g.ring = RINGS.slice(0, 2).includes(g.ring) ? g.ring : 'canary';
      for (const t of g.tenants) Object.assign(t, { id: `h${n}`, host: `h${n++}`, testOf: undefined });
    }
    this.rings = 0;
    this.policy = 0;
  }

  async writeTo(dir: string): Promise<void> {
    await rm(join(dir, 'groups'), { recursive: true, force: true });
    await rm(join(dir, 'policies'), { recursive: true, force: true });
    await writeFiles(dir, {
      'groups/rings.yaml': ringsYaml(this.rings),
      'policies/promotion.yaml': policyYaml(this.policy),
      'groups/releases/2026.10.4.yaml': releaseYaml('2026.10.4', 410),
      'groups/releases/2026.11.0.yaml': releaseYaml('2026.11.0', 411),
      'groups/releases/2026.11.1.yaml': releaseYaml('2026.11.1', 411),
      'groups/releases/2026.11.2.yaml': releaseYaml(
        '2026.11.2',
        411,
        'description: adds a service with a long name',
      ).replace(
        'services:\n',
        'services:\n  reporting-and-analytics-worker: { image: "r.example.com/app/rep:1" }\n',
      ),
      ...Object.fromEntries([...this.groups].map(([stem, g]) => [`groups/${stem}.yaml`, groupYaml(g)])),
    });
  }
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

/** What a load produced, in a form two loads can be compared by. */
function essence(r: LoadResult) {
  const c = r.constellation;
  return {
    diagnostics: r.diagnostics,
    fileCount: r.fileCount,
    groups: c && [...c.groups.values()],
    rings: c?.rings,
    policy: c?.policy,
  };
}

describe('loading commit after commit with a cache', () => {
  let dir: string;
  let git: SimpleGit;
  let reader: GitObjectReader;
  beforeEach(async () => {
    dir = await makeTempDir();
    git = await initRepo(dir);
    reader = new GitObjectReader(dir);
  });
  afterEach(async () => {
    await reader.close();
    await removeDir(dir);
  });

  it.each([1, 2, 3])(
    'finds after every random edit exactly what a fresh load finds (seed %i)',
    async (seed) => {
      const rnd = random(seed);
      const world = new World(rnd);
      const cache = new LoadCache();
      const commits: string[] = [];
      let kinds = new Set<string>();
      for (let step = 0; step < 45; step++) {
        if (rnd.next() < 0.2) world.editRings();
        else for (let n = 1 + rnd.int(3); n > 0; n--) world.edit();
        await world.writeTo(dir);
        commits.push(await commitAll(git, `step ${step}`));
        // Now and then an older commit: a rewritten branch, or a revert.
        const commit = rnd.next() < 0.1 ? rnd.pick(commits) : commits.at(-1)!;
        const options = { validator, limits };
        const incremental = await loadConstellation(new GitCommitSource(git, commit, reader), {
          ...options,
          cache,
        });
        const fresh = await loadConstellation(new GitCommitSource(git, commit), options);
        expect({ step, ...essence(incremental) }).toEqual({ step, ...essence(fresh) });
        kinds = new Set([...kinds, ...fresh.diagnostics.map((d) => d.rule)]);
      }
      // The sequence met the rules it is meant to exercise.
      expect([...kinds]).toEqual(
        expect.arrayContaining([
          'duplicate-tenant',
          'duplicate-host',
          'duplicate-database',
          'unknown-ring',
          'test-tenant-self',
          'ring-empty',
        ]),
      );
    },
    120_000,
  );

  it('checks every group again when the rings or their releases change', async () => {
    const world = new World(random(11));
    world.heal();
    const long = STEMS.at(-1)!;
    world.groups.set(long, {
      ...world.newGroup(long),
      ring: 'canary',
      window: 'ok',
      tenants: [{ id: 'l', host: 'l' }],
    });
    const cache = new LoadCache();
    const rules = async () => {
      await world.writeTo(dir);
      const commit = await commitAll(git, 'edit');
      const incremental = await loadConstellation(new GitCommitSource(git, commit, reader), {
        validator,
        limits,
        cache,
      });
      const fresh = await loadConstellation(new GitCommitSource(git, commit), { validator, limits });
      expect(essence(incremental)).toEqual(essence(fresh));
      return incremental.diagnostics.map((d) => `${d.file}:${d.rule}`);
    };
    expect(await rules()).toEqual(['groups/rings.yaml:ring-empty']);
    world.rings = 1; // canary runs a release with a service whose workload names get too long
    expect(await rules()).toEqual([`groups/${long}.yaml:name-too-long`]);
    world.rings = 0;
    expect(await rules()).toEqual(['groups/rings.yaml:ring-empty']);
  });

  it('checks a test tenant again when the group of its production tenant changes', async () => {
    const world = new World(random(5));
    world.groups.clear();
    const group = (name: string, ring: string, tenant: TenantSpec): GroupSpec => ({
      name,
      ring,
      window: 'ok',
      db: `${name}-db`,
      ns: name,
      tenants: [tenant],
    });
    world.groups.set('g1', group('g1', 'early', { id: 'x', host: 'x', testOf: 'y' }));
    world.groups.set('g2', group('g2', 'canary', { id: 'y', host: 'y' }));
    world.groups.set('g3', group('g3', 'stable', { id: 'z', host: 'z' }));
    const cache = new LoadCache();
    const rules = async () => {
      await world.writeTo(dir);
      const commit = await commitAll(git, 'edit');
      const incremental = await loadConstellation(new GitCommitSource(git, commit, reader), {
        validator,
        limits,
        cache,
      });
      const fresh = await loadConstellation(new GitCommitSource(git, commit), { validator, limits });
      expect(essence(incremental)).toEqual(essence(fresh));
      return incremental.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}:${d.rule}`);
    };
    expect(await rules()).toEqual(['groups/g1.yaml:test-tenant-order']);
    world.groups.get('g2')!.ring = 'stable';
    expect(await rules()).toEqual([]);
    world.groups.get('g2')!.tenants[0]!.testOf = 'z';
    expect(await rules()).toEqual(['groups/g1.yaml:test-tenant-chain']);
    world.groups.delete('g2');
    expect(await rules()).toEqual(['groups/g1.yaml:unknown-tenant']);
    world.groups.set('g0', group('g0', 'canary', { id: 'y', host: 'y0' }));
    expect(await rules()).toEqual(['groups/g1.yaml:test-tenant-order']);
  });

  it('moves a duplicate-tenant error to the later file when an earlier file takes the id', async () => {
    const world = new World(random(7));
    world.groups.clear();
    const group = (name: string, id: string): GroupSpec => ({
      name,
      ring: 'canary',
      window: 'ok',
      db: `${name}-db`,
      ns: name,
      tenants: [{ id, host: `${name}-${id}` }],
    });
    world.groups.set('g5', group('g5', 'acme'));
    const cache = new LoadCache();
    const load = async () => {
      await world.writeTo(dir);
      const commit = await commitAll(git, 'edit');
      const source = new GitCommitSource(git, commit, reader);
      const { diagnostics } = await loadConstellation(source, { validator, limits, cache });
      return diagnostics.filter((d) => d.rule === 'duplicate-tenant').map((d) => `${d.file}: ${d.message}`);
    };
    expect(await load()).toEqual([]);
    world.groups.set('g7', group('g7', 'acme'));
    expect(await load()).toEqual([
      'groups/g7.yaml: tenant id "acme" is already used in group "g5" (groups/g5.yaml); tenant ids are unique across the constellation',
    ]);
    world.groups.set('g1', group('g1', 'acme'));
    expect(await load()).toEqual([
      'groups/g5.yaml: tenant id "acme" is already used in group "g1" (groups/g1.yaml); tenant ids are unique across the constellation',
      'groups/g7.yaml: tenant id "acme" is already used in group "g1" (groups/g1.yaml); tenant ids are unique across the constellation',
    ]);
    world.groups.delete('g1');
    world.groups.delete('g5');
    expect(await load()).toEqual([]);
  });
});
