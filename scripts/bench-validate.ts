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
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { RINGS, generate } from './generate-constellation.js';
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
