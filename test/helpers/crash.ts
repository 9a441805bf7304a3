/**
 * What the crash tests share: a seeded random generator, the built
 * controller run as a child that may be killed with SIGKILL, and the
 * constellation they promote (eight groups in early, no gate, no bake).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FileJournalStore } from '../../controller/state/journal-store.js';
import type { JournalEntry } from '../../controller/engine/journal.js';
import { CLI } from './child.js';
import { type FixtureRepo, createFixtureRepo } from './constellation.js';

/** The groups of ring early in the crash fixture. */
export const EARLY = ['shared-1', ...Array.from({ length: 7 }, (_, i) => `smb-${i + 1}`)];

/** A small seeded generator, so a failing trial can be replayed. */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The arguments of one crash-test run: one look of `repo` to its end with the
 * state folder `state`, time a million times faster, the log in the state
 * folder, and `extra`.
 */
export function onceArgs(repo: string, state: string, ...extra: string[]): string[] {
  return [
    'run',
    '--once',
    '--repo',
    repo,
    '--state',
    state,
    '--sim-speed',
    '1000000',
    '--log-file',
    join(state, 'log.json'),
    ...extra,
  ];
}

/** Runs `ringmaster ...args` to its end, or kills it with SIGKILL after `killAfterMs`; `env` adds to the environment. */
export function runKillable(
  args: readonly string[],
  killAfterMs?: number,
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number | null; killed: boolean }> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: 'ignore',
      env: { ...process.env, ...env },
    });
    let killed = false;
    const timer =
      killAfterMs === undefined ? undefined : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, killed });
    });
  });
}

/**
 * Runs the controller from a killed start until a run completes: killed at a
 * random moment (of `next`) the first three times, then left to finish.
 * Returns how many kills landed. Throws when it fails by itself.
 */
export async function runThroughKills(
  args: readonly string[],
  next: () => number,
  where: string,
  env: Readonly<Record<string, string>> = {},
): Promise<number> {
  let kills = 0;
  let result = await runKillable(args, 50 + Math.floor(next() * 1000), env);
  for (let restarts = 0; result.code !== 0; restarts++) {
    if (!result.killed)
      throw new Error(`the controller failed by itself (exit ${result.code}); see ${where}`);
    kills++;
    result = await runKillable(args, restarts < 2 ? 50 + Math.floor(next() * 1000) : undefined, env);
  }
  return kills;
}

/** The base fixture with eight groups in early, no manual gate and no bake, committed. */
export async function createCrashFixture(): Promise<FixtureRepo> {
  const repo = await createFixtureRepo();
  for (const name of EARLY.slice(1)) {
    await repo.write(
      `groups/${name}.yaml`,
      `apiVersion: ringmaster/v1\nkind: Group\nname: ${name}\nring: early\nresources:\n  cluster: eu-1\n  namespace: ${name}\n  database: { instance: ${name}-db, engine: postgres }\n  secrets: []\ntenants:\n  - { id: ${name}-t, host: ${name}.example.com, language: en-GB, utcOffset: "+00:00" }\n`,
    );
  }
  await repo.edit('policies/promotion.yaml', 'maxParallel: 5 }\n  stable', 'maxParallel: 3 }\n  stable');
  await repo.edit('policies/promotion.yaml', ', window: maintenance, gate: manual', '');
  // No bake: one promotion moves two rings, so a kill can fall between them.
  await repo.edit('policies/promotion.yaml', 'early: { bake: 24h', 'early: { bake: 0h');
  await repo.edit('policies/promotion.yaml', 'stable: { bake: 7d', 'stable: { bake: 0h');
  await repo.commit('eight groups in early, no manual gate, no bake');
  return repo;
}

/**
 * The journals of `commit`'s transitions in the state folder `state`; fails
 * the test when a transition is still open there.
 */
export async function journalsOf(state: string, commit: string): Promise<JournalEntry[]> {
  const store = new FileJournalStore(join(state, 'journal'));
  expect(await store.listOpen()).toEqual([]);
  const journals = await Promise.all(
    // A write cut short by SIGKILL leaves its temporary file behind; only the renamed files are journals.
    (await readdir(join(state, 'journal')))
      .filter((f) => f.includes('@') && f.endsWith('.json'))
      .map(async (f) => (await store.load(f.slice(0, -5)))!),
  );
  return journals.filter((j) => j.commit === commit);
}
