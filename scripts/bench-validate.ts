/**
 * Benchmark of `ringmaster validate` on a large generated constellation,
 * against a floor that only lists, reads and YAML-parses the same files.
 *
 *   npm run bench:validate -- [--groups N] [--tenants M] [--runs R]
 *                             [--sizes 1000,2500,5000,10000] [--keep] [--json]
 *
 * Both are timed as whole processes (wall time from spawn to exit, so Node
 * start-up, module loading and schema compilation count): one warm-up run,
 * then R runs alternating validate and floor; the median and the minimum are
 * reported. Peak RSS is measured with `/usr/bin/time -f %M` on the warm-up run
 * (GNU time reports the child's maximum resident set size in KiB); without
 * /usr/bin/time it is reported as n/a. The timed runs are spawned directly,
 * without the time wrapper.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CLI = fileURLToPath(new URL('../controller/cli/bin.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./yaml-floor.js', import.meta.url));
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------- options

interface Options {
  groups: number;
  tenants: number;
  runs: number;
  sizes: number[];
  keep: boolean;
  json: boolean;
}

function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new Error(`${flag} must be a whole number above 0, got "${text}"`);
  }
  return n;
}

function readOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      groups: { type: 'string', default: '10000' },
      tenants: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '5' },
      sizes: { type: 'string' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const groups = positiveInt(values.groups, '--groups');
  const tenants = positiveInt(values.tenants, '--tenants');
  const runs = positiveInt(values.runs, '--runs');
  const sizes =
    values.sizes === undefined ? [] : values.sizes.split(',').map((s) => positiveInt(s, '--sizes'));
  for (const n of [groups, ...sizes]) {
    if (n < RINGS.length) throw new Error(`need at least ${RINGS.length} groups (one per ring), got ${n}`);
  }
  if (tenants < groups) throw new Error(`--tenants (${tenants}) must be at least --groups (${groups})`);
  if (Math.ceil(tenants / groups) > 2000) {
    throw new Error('more than 2000 tenants per group would pass the 1 MiB file limit; add groups');
  }
  return { groups, tenants, runs, sizes, keep: values.keep, json: values.json };
}

// ---------------------------------------------------------------- generator

/** The rings, earliest first, with their share of the groups and their release. */
const RINGS = [
  { name: 'canary', share: 0.02, release: '2026.11.2' },
  { name: 'early', share: 0.13, release: '2026.11.0' },
  { name: 'broad', share: 0.45, release: '2026.10.3' },
  { name: 'stable', share: 0.4, release: '2026.09.8' },
] as const;

const RELEASES = [
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
function rng(seed: number): () => number {
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
interface Generated {
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
function generate(dir: string, groups: number, tenants: number): Generated {
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
      '# Generated by scripts/bench-validate.ts',
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

// ---------------------------------------------------------------- runner

interface RunResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  rssKiB?: number;
}

/** Spawns `node script args` and times it from spawn to exit; with `measureRss`, wraps it in /usr/bin/time. */
function run(script: string, args: string[], measureRss: boolean): Promise<RunResult> {
  const rssFile = measureRss ? join(tmpdir(), `ringmaster-bench-rss-${process.pid}`) : undefined;
  const [command, argv] = rssFile
    ? [TIME, ['-f', '%M', '-o', rssFile, process.execPath, script, ...args]]
    : [process.execPath, [script, ...args]];
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const start = performance.now();
    let end = start;
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('exit', () => {
      end = performance.now();
    });
    child.on('close', (code) => {
      let rssKiB: number | undefined;
      if (rssFile) {
        const text = readFileSync(rssFile, 'utf8').trim().split('\n').pop() ?? '';
        rmSync(rssFile, { force: true });
        rssKiB = /^\d+$/.test(text) ? Number(text) : undefined;
      }
      resolve({
        ms: end - start,
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        rssKiB,
      });
    });
  });
}

function fail(what: string, r: RunResult, detail: string): never {
  const show = (s: string) => s.split('\n').slice(0, 20).join('\n');
  throw new Error(
    `${what}: ${detail} (exit ${r.code})\n--- stdout (first lines)\n${show(r.stdout)}\n--- stderr\n${show(r.stderr)}`,
  );
}

function checkValidate(r: RunResult, files: number): void {
  if (r.code !== 0) fail('validate did not pass on the generated constellation', r, 'expected exit 0');
  if (!r.stdout.includes(`✓ ${files} files valid`)) {
    fail('validate output is not the expected summary', r, `expected "✓ ${files} files valid"`);
  }
  if (/warning/.test(r.stdout)) fail('validate reported warnings', r, 'expected none');
}

function checkFloor(r: RunResult, files: number): void {
  if (r.code !== 0) fail('the YAML floor failed', r, 'expected exit 0');
  if (r.stdout.trim() !== String(files))
    fail('the YAML floor parsed a different number of files', r, `expected ${files}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Row {
  files: number;
  groups: number;
  tenants: number;
  testTenants: number;
  windows: number;
  megabytes: number;
  validate: { medianMs: number; minMs: number; runsMs: number[]; peakRssMiB?: number };
  floor: { medianMs: number; minMs: number; runsMs: number[]; peakRssMiB?: number };
  ratio: number;
  validateUsPerFile: number;
  floorUsPerFile: number;
  /** Extra validate time per extra file since the previous (smaller) row. */
  validateMarginalUsPerFile?: number;
  floorMarginalUsPerFile?: number;
}

async function measure(
  dir: string,
  groups: number,
  tenants: number,
  runs: number,
  log: (s: string) => void,
): Promise<Row> {
  log(`generating ${groups} groups, ${tenants} tenants in ${dir} ...`);
  const gen = generate(dir, groups, tenants);
  const rss = existsSync(TIME);
  const validateArgs = ['validate', '--repo', dir];
  const floorArgs = [dir];
  log(`  ${gen.files} files, ${(gen.bytes / 1048576).toFixed(1)} MiB; warm-up ...`);
  const wv = await run(CLI, validateArgs, rss);
  checkValidate(wv, gen.files);
  const wf = await run(FLOOR, floorArgs, rss);
  checkFloor(wf, gen.files);
  const v: number[] = [];
  const f: number[] = [];
  for (let i = 0; i < runs; i++) {
    const rv = await run(CLI, validateArgs, false);
    checkValidate(rv, gen.files);
    v.push(rv.ms);
    const rf = await run(FLOOR, floorArgs, false);
    checkFloor(rf, gen.files);
    f.push(rf.ms);
    log(`  run ${i + 1}/${runs}: validate ${rv.ms.toFixed(0)} ms, floor ${rf.ms.toFixed(0)} ms`);
  }
  const mib = (k?: number) => (k === undefined ? undefined : k / 1024);
  const vMed = median(v);
  const fMed = median(f);
  return {
    files: gen.files,
    groups: gen.groups,
    tenants: gen.tenants,
    testTenants: gen.testTenants,
    windows: gen.windows,
    megabytes: gen.bytes / 1048576,
    validate: { medianMs: vMed, minMs: Math.min(...v), runsMs: v, peakRssMiB: mib(wv.rssKiB) },
    floor: { medianMs: fMed, minMs: Math.min(...f), runsMs: f, peakRssMiB: mib(wf.rssKiB) },
    ratio: vMed / fMed,
    validateUsPerFile: (vMed * 1000) / gen.files,
    floorUsPerFile: (fMed * 1000) / gen.files,
  };
}

// ---------------------------------------------------------------- report

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function report(rows: Row[], facts: Record<string, string>, runs: number, withSizes: boolean): string {
  const ms = (n: number) => n.toFixed(0);
  const us = (n?: number) => (n === undefined ? '-' : n.toFixed(1));
  const mib = (n?: number) => (n === undefined ? 'n/a' : `${n.toFixed(0)} MiB`);
  const headers = ['files', 'groups', 'tenants', 'validate med/min ms', 'floor med/min ms', 'ratio'];
  headers.push('validate RSS', 'floor RSS');
  if (withSizes) headers.push('validate µs/file', 'floor µs/file', 'marginal v/f µs/file');
  const body = rows.map((r) => {
    const cells = [
      String(r.files),
      String(r.groups),
      String(r.tenants),
      `${ms(r.validate.medianMs)} / ${ms(r.validate.minMs)}`,
      `${ms(r.floor.medianMs)} / ${ms(r.floor.minMs)}`,
      `${r.ratio.toFixed(2)}x`,
      mib(r.validate.peakRssMiB),
      mib(r.floor.peakRssMiB),
    ];
    if (withSizes) {
      cells.push(
        us(r.validateUsPerFile),
        us(r.floorUsPerFile),
        r.validateMarginalUsPerFile === undefined
          ? '-'
          : `${us(r.validateMarginalUsPerFile)} / ${us(r.floorMarginalUsPerFile)}`,
      );
    }
    return cells;
  });
  const lines = [
    ...Object.entries(facts).map(([k, v]) => `${k}: ${v}`),
    `method: whole processes, wall time spawn→exit; 1 warm-up + ${runs} runs each, validate and floor alternating;`,
    `        peak RSS of the warm-up run via ${existsSync(TIME) ? `${TIME} -f %M` : 'n/a (no /usr/bin/time)'}`,
    '',
    table(headers, body),
  ];
  if (withSizes) {
    lines.push(
      '',
      'µs/file = median wall time / files (includes fixed start-up); marginal = extra time per extra file since the previous row',
    );
  }
  const worst = Math.max(...rows.map((r) => r.ratio));
  lines.push(
    '',
    `goal validate < 1.5x floor: ${worst < 1.5 ? 'met' : `NOT met (worst ratio ${worst.toFixed(2)}x)`}`,
  );
  return lines.join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = readOptions(process.argv.slice(2));
  for (const [what, path] of [
    ['CLI', CLI],
    ['floor', FLOOR],
  ] as const) {
    if (!existsSync(path)) throw new Error(`${what} not built at ${path}; run npm run build first`);
  }
  const log = opts.json ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => console.log(s);
  const cpu = cpus();
  const facts = {
    node: process.version,
    cpus: String(cpu.length),
    'cpu model': cpu[0]?.model ?? 'unknown',
    memory: `${(totalmem() / 1073741824).toFixed(1)} GiB`,
    platform: `${process.platform} ${process.arch}`,
  };
  const ratio = opts.tenants / opts.groups;
  const sizes = [...new Set(opts.sizes.length ? [...opts.sizes, opts.groups] : [opts.groups])].sort(
    (a, b) => a - b,
  );
  const root = mkdtempSync(join(tmpdir(), 'ringmaster-bench-'));
  const rows: Row[] = [];
  try {
    for (const groups of sizes) {
      const tenants = groups === opts.groups ? opts.tenants : Math.round(groups * ratio);
      const row = await measure(join(root, `g${groups}`), groups, tenants, opts.runs, log);
      const prev = rows[rows.length - 1];
      if (prev) {
        row.validateMarginalUsPerFile =
          ((row.validate.medianMs - prev.validate.medianMs) * 1000) / (row.files - prev.files);
        row.floorMarginalUsPerFile =
          ((row.floor.medianMs - prev.floor.medianMs) * 1000) / (row.files - prev.files);
      }
      rows.push(row);
    }
  } finally {
    if (opts.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
  if (opts.json) {
    console.log(
      JSON.stringify(
        { machine: facts, runs: opts.runs, rssMethod: existsSync(TIME) ? TIME : null, rows },
        null,
        2,
      ),
    );
  } else {
    console.log(`\n${report(rows, facts, opts.runs, sizes.length > 1)}`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench-validate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
