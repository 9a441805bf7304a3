/**
 * Benchmark of `ringmaster validate` on a large generated constellation,
 * against two yardsticks run on the same files in the same rounds:
 * - `ajv-cli` (the generic JSON Schema checker, a devDependency) validating
 *   every group file against our own group schema: what a team would use
 *   instead of us for the schema alone;
 * - the floor: a process that lists, reads and parses every file with the
 *   `yaml` package and does nothing else.
 *
 *   npm run bench:validate -- [--groups N] [--tenants M] [--runs R]
 *                             [--sizes 1000,2500,5000,10000] [--keep] [--json]
 *
 * Every run is a whole process (Node start-up, module loading and schema
 * compilation count), wrapped in GNU time (`/usr/bin/time -f '%e %U %S %M'`)
 * for its CPU time and peak RSS; wall time is taken from spawn to exit. One
 * warm-up run of each, then R rounds; in each round the three run one after
 * another in an order that rotates from round to round, so none is always
 * first or last. Reported: medians of wall and CPU time, the median of the
 * per-round ratios validate / ajv-cli and validate / floor, and the largest
 * peak RSS of every contender.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { RINGS, generate } from './generate-constellation.js';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CLI = fileURLToPath(new URL('../controller/cli/bin.js', import.meta.url));
const FLOOR = fileURLToPath(new URL('./yaml-floor.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AJV_CLI = join(ROOT, 'node_modules', 'ajv-cli', 'dist', 'index.js');
const SCHEMAS = join(ROOT, 'schemas');
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

// ---------------------------------------------------------------- runner

interface RunResult {
  wallMs: number;
  cpuMs: number;
  rssKiB: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `node script args` under GNU time and measures it from spawn to exit.
 * Standard output goes to a file, not a pipe: a process that ends with
 * `process.exit` (ajv-cli does) may lose what it wrote to a pipe the reader
 * had not drained yet, but never what it wrote to a file.
 */
function run(script: string, args: string[]): Promise<RunResult> {
  const timeFile = join(tmpdir(), `ringmaster-bench-time-${process.pid}`);
  const outFile = join(tmpdir(), `ringmaster-bench-out-${process.pid}`);
  const outFd = openSync(outFile, 'w');
  return new Promise((resolve, reject) => {
    const err: Buffer[] = [];
    const start = performance.now();
    let end = start;
    const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, script, ...args], {
      stdio: ['ignore', outFd, 'pipe'],
    });
    closeSync(outFd);
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('exit', () => {
      end = performance.now();
    });
    child.on('close', (code) => {
      const line = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
      const stdout = readFileSync(outFile, 'utf8');
      rmSync(timeFile, { force: true });
      rmSync(outFile, { force: true });
      const [, user, sys, rss] = line.split(' ').map(Number);
      if (user === undefined || sys === undefined || rss === undefined || Number.isNaN(rss)) {
        reject(new Error(`could not read ${TIME}'s figures: "${line}"`));
        return;
      }
      resolve({
        wallMs: end - start,
        cpuMs: (user + sys) * 1000,
        rssKiB: rss,
        code,
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** One of the processes compared: how to start it on a folder and how to tell that it did the whole job. */
interface Contender {
  readonly name: 'validate' | 'ajv-cli' | 'floor';
  readonly script: string;
  args(dir: string): string[];
  check(r: RunResult, files: number, groups: number): void;
}

const CONTENDERS: readonly Contender[] = [
  {
    name: 'validate',
    script: CLI,
    args: (dir) => ['validate', '--repo', dir],
    check(r, files) {
      if (r.code !== 0) fail('validate did not pass on the generated constellation', r, 'expected exit 0');
      if (!r.stdout.includes(`✓ ${files} files valid`)) {
        fail('validate output is not the expected summary', r, `expected "✓ ${files} files valid"`);
      }
      if (/warning/.test(r.stdout)) fail('validate reported warnings', r, 'expected none');
    },
  },
  {
    name: 'ajv-cli',
    script: AJV_CLI,
    // Every group file (all but rings.yaml) against the group schema, with the definitions it refers to.
    args: (dir) => [
      'validate',
      '--spec=draft2020',
      '--all-errors',
      '-s',
      join(SCHEMAS, 'group.schema.json'),
      '-r',
      join(SCHEMAS, 'defs.schema.json'),
      '-d',
      `${dir}/groups/!(rings).yaml`,
    ],
    check(r, _files, groups) {
      if (r.code !== 0) fail('ajv-cli did not pass on the generated group files', r, 'expected exit 0');
      const valid = r.stdout.split('\n').filter((l) => l.endsWith(' valid')).length;
      if (valid !== groups) fail('ajv-cli validated a different number of files', r, `expected ${groups}`);
    },
  },
  {
    name: 'floor',
    script: FLOOR,
    args: (dir) => [dir],
    check(r, files) {
      if (r.code !== 0) fail('the YAML floor failed', r, 'expected exit 0');
      if (r.stdout.trim() !== String(files))
        fail('the YAML floor parsed a different number of files', r, `expected ${files}`);
    },
  },
];

type Name = Contender['name'];

interface Figures {
  wallMs: number[];
  cpuMs: number[];
  peakRssMiB: number;
}

interface Row {
  files: number;
  groups: number;
  tenants: number;
  testTenants: number;
  windows: number;
  megabytes: number;
  figures: Record<Name, Figures>;
  /** Median over rounds of validate's wall time / the other's, in the same round. */
  wallRatio: { ajv: number; floor: number };
  cpuRatio: { ajv: number; floor: number };
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
  log(`  ${gen.files} files, ${(gen.bytes / 1048576).toFixed(1)} MiB; warm-up ...`);
  const once = async (c: Contender) => {
    const r = await run(c.script, c.args(dir));
    c.check(r, gen.files, gen.groups);
    return r;
  };
  for (const c of CONTENDERS) await once(c);
  const figures = Object.fromEntries(
    CONTENDERS.map((c) => [c.name, { wallMs: [], cpuMs: [], peakRssMiB: 0 }]),
  ) as unknown as Record<Name, Figures>;
  const ratios = {
    wallAjv: [] as number[],
    wallFloor: [] as number[],
    cpuAjv: [] as number[],
    cpuFloor: [] as number[],
  };
  for (let i = 0; i < runs; i++) {
    const order = CONTENDERS.map((_, k) => CONTENDERS[(k + i) % CONTENDERS.length]!);
    const round = {} as Record<Name, RunResult>;
    for (const c of order) {
      const r = await once(c);
      round[c.name] = r;
      const f = figures[c.name];
      f.wallMs.push(r.wallMs);
      f.cpuMs.push(r.cpuMs);
      f.peakRssMiB = Math.max(f.peakRssMiB, r.rssKiB / 1024);
    }
    ratios.wallAjv.push(round.validate.wallMs / round['ajv-cli'].wallMs);
    ratios.wallFloor.push(round.validate.wallMs / round.floor.wallMs);
    ratios.cpuAjv.push(round.validate.cpuMs / round['ajv-cli'].cpuMs);
    ratios.cpuFloor.push(round.validate.cpuMs / round.floor.cpuMs);
    log(
      `  round ${i + 1}/${runs} (${order.map((c) => c.name).join(', ')}): ` +
        CONTENDERS.map((c) => `${c.name} ${round[c.name].wallMs.toFixed(0)} ms`).join(', '),
    );
  }
  return {
    files: gen.files,
    groups: gen.groups,
    tenants: gen.tenants,
    testTenants: gen.testTenants,
    windows: gen.windows,
    megabytes: gen.bytes / 1048576,
    figures,
    wallRatio: { ajv: median(ratios.wallAjv), floor: median(ratios.wallFloor) },
    cpuRatio: { ajv: median(ratios.cpuAjv), floor: median(ratios.cpuFloor) },
  };
}

// ---------------------------------------------------------------- report

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function report(rows: Row[], facts: Record<string, string>, runs: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const x = (n: number) => `${n.toFixed(2)}x`;
  const headers = [
    'files',
    'groups',
    'validate wall / CPU',
    'ajv-cli wall / CPU',
    'floor wall / CPU',
    'v/ajv wall',
    'v/ajv CPU',
    'v/floor wall',
    'peak RSS v / ajv / floor',
  ];
  const body = rows.map((r) => {
    const f = (n: Name) => `${s(median(r.figures[n].wallMs))} / ${s(median(r.figures[n].cpuMs))}`;
    const rss = CONTENDERS.map((c) => r.figures[c.name].peakRssMiB.toFixed(0)).join(' / ');
    return [
      String(r.files),
      String(r.groups),
      f('validate'),
      f('ajv-cli'),
      f('floor'),
      x(r.wallRatio.ajv),
      x(r.cpuRatio.ajv),
      x(r.wallRatio.floor),
      `${rss} MiB`,
    ];
  });
  const worst = Math.max(...rows.map((r) => r.wallRatio.ajv));
  return [
    ...Object.entries(facts).map(([k, v]) => `${k}: ${v}`),
    `method: whole processes under ${TIME}; 1 warm-up of each, then ${runs} rounds of validate, ajv-cli and the`,
    '        floor in an order rotating from round to round; medians of wall (spawn to exit) and CPU (user + sys)',
    '        time; ratios are medians of the per-round ratios; peak RSS is the largest of all runs',
    '',
    table(headers, body),
    '',
    `goal validate no slower than ajv-cli (wall): ${worst <= 1 ? 'met' : `NOT met (worst median ratio ${worst.toFixed(2)}x)`}`,
  ].join('\n');
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const opts = readOptions(process.argv.slice(2));
  for (const [what, path] of [
    ['CLI', CLI],
    ['floor', FLOOR],
    ['ajv-cli', AJV_CLI],
    ['GNU time', TIME],
  ] as const) {
    if (!existsSync(path))
      throw new Error(`${what} not found at ${path}; run npm ci and npm run build first`);
  }
  const log = opts.json ? (s: string) => process.stderr.write(`${s}\n`) : (s: string) => console.log(s);
  const cpu = cpus();
  const facts = {
    node: process.version,
    cpus: String(cpu.length),
    'cpu model': cpu[0]?.model ?? 'unknown',
    memory: `${(totalmem() / 1073741824).toFixed(1)} GiB`,
    platform: `${process.platform} ${process.arch}`,
    'load before (1/5/15 min)': loadavg()
      .map((n) => n.toFixed(2))
      .join(' / '),
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
      rows.push(await measure(join(root, `g${groups}`), groups, tenants, opts.runs, log));
    }
  } finally {
    if (opts.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
  if (opts.json) {
    console.log(JSON.stringify({ machine: facts, runs: opts.runs, rows }, null, 2));
  } else {
    console.log(`\n${report(rows, facts, opts.runs)}`);
  }
}

main().catch((err: unknown) => {
  console.error(`bench-validate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
