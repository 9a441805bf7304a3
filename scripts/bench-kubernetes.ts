/**
 * `npm run bench:engine -- --provider kubernetes [--groups N]`: the
 * controller's own cost of a transition against Kubernetes. The API stand-in
 * of the tests runs in a child process with no latency (its Deployments roll
 * out over two looks; the controller's clock runs 10,000 times faster, so the
 * look after `pollSeconds` comes at once); the controller runs here, through the code
 * `ringmaster run --providers` uses, on a generated constellation (default
 * 1,000 groups). A first reconcile creates every group, then a commit
 * promotes the broad ring. Reported per transition of that promotion: wall
 * time, this process's CPU time (the controller's own cost), the stand-in's
 * CPU time, and API requests and writes, also per service.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { openController } from '../controller/cli/controller-options.js';
import { createRunner, lookAndSettle } from '../controller/cli/runner.js';
import { createContext } from '../controller/main.js';
import { createMetrics } from '../controller/server/metrics.js';
import { generate } from './generate-constellation.js';

/** What the Kubernetes benchmark takes. */
export interface KubernetesBenchOptions {
  readonly groups: number;
  readonly tenants: number;
  readonly policy: string;
  readonly json: boolean;
}

interface Counts {
  readonly requests: number;
  readonly writes: number;
  readonly byKind: Record<string, number>;
  readonly cpuMs: number;
}

/** Runs the benchmark and prints its report (or JSON) on standard output. */
export async function benchKubernetes(o: KubernetesBenchOptions): Promise<void> {
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const root = mkdtempSync(join(tmpdir(), 'ringmaster-bench-kube-'));
  const repo = join(root, 'repo');
  const state = join(root, 'state');
  // The stand-in keeps every object and request in memory: not the controller's heap settings.
  const child = fork(fileURLToPath(new URL('./kube-stand-in-child.js', import.meta.url)), {
    stdio: 'inherit',
    execArgv: ['--max-old-space-size=4096'],
  });
  let parts: Awaited<ReturnType<typeof openController>> | undefined;
  try {
    const { kubeconfig } = await reply<{ kubeconfig: string }>(child);
    log(`generating ${o.groups} groups, ${o.tenants} tenants in ${repo} ...`);
    generate(repo, o.groups, o.tenants);
    writeFileSync(join(repo, 'policies', 'promotion.yaml'), o.policy);
    const git = simpleGit({ baseDir: repo });
    await git.init(['--initial-branch=main']);
    await git.addConfig('user.email', 'bench@example.com').addConfig('user.name', 'bench');
    await git.add('.').commit('generated constellation');
    writeFileSync(join(root, 'kubeconfig'), kubeconfig);
    const clusters = ['prod-eu-1', 'prod-eu-2', 'prod-us-1', 'prod-us-2', 'prod-ap-1'];
    writeFileSync(
      join(root, 'providers.yaml'),
      `apiVersion: ringmaster/v1\nkind: Providers\nclusters:\n${clusters.map((c) => `  ${c}: { context: bench, kubeconfig: kubeconfig }\n`).join('')}`,
    );
    const ctx = createContext({ out: () => {}, err: log }, process.env);
    parts = await openController(ctx, {
      repo,
      branch: 'main',
      rev: 'HEAD',
      state,
      simLatency: 0,
      // Rollouts are looked at again after pollSeconds (10 s) of the controller's clock: make that 1 ms.
      simSpeed: 10000,
      logFile: join(state, 'ringmaster.log'),
      logLevel: 'warn',
      providers: join(root, 'providers.yaml'),
    });
    const runner = createRunner(ctx, parts, {
      workers: 64,
      metrics: createMetrics({ now: ctx.now }).metrics,
    });
    const tick = async (label: string) => {
      const before = await reply<Counts>(child, 'count');
      const cpu = process.cpuUsage();
      const started = performance.now();
      const report = await lookAndSettle(runner);
      const ms = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const after = await reply<Counts>(child, 'count');
      const failed = report.ran.filter((e) => e.status !== 'succeeded');
      if (failed.length)
        throw new Error(`${label}: ${failed.length} transitions did not succeed: ${failed[0]!.reason}`);
      const n = report.ran.length;
      log(`  ${label}: ${n} transitions in ${(ms / 1000).toFixed(1)} s`);
      return {
        transitions: n,
        wallMs: ms / n,
        cpuMs: (used.user + used.system) / 1000 / n,
        requests: (after.requests - before.requests) / n,
        writes: (after.writes - before.writes) / n,
        standInCpuMs: (after.cpuMs - before.cpuMs) / n,
        byKind: Object.fromEntries(
          Object.entries(after.byKind)
            .map(([kind, count]) => [kind, (count - (before.byKind[kind] ?? 0)) / n] as const)
            .filter(([, perTransition]) => perTransition > 0)
            .sort((a, b) => b[1] - a[1]),
        ),
      };
    };
    log('create: first reconcile ...');
    const create = await tick('create');
    const ringsPath = join(repo, 'groups', 'rings.yaml');
    const rings = readFileSync(ringsPath, 'utf8');
    writeFileSync(ringsPath, rings.replace(/(name: broad\n\s+release: )"[^"]+"/, '$1"2026.11.0"'));
    await git.add('.').commit('promote 2026.11.0 to broad');
    log('promote: broad to 2026.11.0 ...');
    const promote = await tick('promote');
    const services = (
      readFileSync(join(repo, 'groups', 'releases', '2026.11.0.yaml'), 'utf8').match(/image:/g) ?? []
    ).length;
    const result = {
      machine: `${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
      groups: o.groups,
      services,
      create,
      promote,
    };
    if (o.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(report(result));
  } finally {
    await parts?.close();
    child.send('stop');
    rmSync(root, { recursive: true, force: true });
  }
}

type Phase = {
  transitions: number;
  wallMs: number;
  cpuMs: number;
  requests: number;
  writes: number;
  standInCpuMs: number;
  /** Requests per transition by method and resource (`/<name>`: one object, else a list). */
  byKind: Record<string, number>;
};

function report(r: {
  machine: string;
  groups: number;
  services: number;
  create: Phase;
  promote: Phase;
}): string {
  const row = (what: string, p: Phase) =>
    `| ${what} | ${p.transitions} | ${p.wallMs.toFixed(2)} ms | ${p.cpuMs.toFixed(2)} ms | ${p.standInCpuMs.toFixed(2)} ms | ${p.requests.toFixed(1)} | ${p.writes.toFixed(1)} (${(p.writes / r.services).toFixed(1)} per service) |`;
  return [
    `${r.groups} groups, ${r.services} services per release, against the Kubernetes API stand-in (no latency); ${r.machine}`,
    '',
    '| Phase | Transitions | Wall per transition | Controller CPU per transition | Stand-in CPU per transition | API requests per transition | Writes per transition |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row('Promote broad (new colour, switch, retire the old)', r.promote),
    row('First reconcile (create every group)', r.create),
    '',
    'Requests per transition of the promotion, by kind:',
    '',
    ...Object.entries(r.promote.byKind).map(([kind, count]) => `- ${kind}: ${count.toFixed(2)}`),
    '',
  ].join('\n');
}

/** The child's next message, after sending it `message` when given. */
function reply<T>(child: ChildProcess, message?: string): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => reject(new Error(`the API stand-in exited (${code})`)));
    if (message) child.send(message);
  });
}
