/** Shared pieces of the sim provider tests. */
import type { StackColor } from '../../controller/model/naming.js';
import type { StepName } from '../../controller/engine/step-names.js';
import type { CallContext, Providers, StackSpec } from '../../controller/providers/ports.js';
import { type FaultPlan, parseFaults } from '../../controller/providers/sim/faults.js';
import { type SimOptions, createSimProviders } from '../../controller/providers/sim/provider.js';
import { WorldFile } from '../../controller/providers/sim/state.js';

/** The clock of every simulated world in the tests. */
export const NOW = new Date('2026-11-02T10:00:00Z');

/** A call of `group` during `step`; transition `<group>@t1` unless told. */
export function ctx(group: string, step: StepName, attempt = 1, transition = `${group}@t1`): CallContext {
  return { constellation: 'acme', group, transition, step, attempt };
}

/** A one-service stack of `group` in cluster eu-1, namespace = group. */
export function spec(group: string, color: StackColor, release = '2026.11.1', replicas = 2): StackSpec {
  return {
    cluster: 'eu-1',
    namespace: group,
    color,
    release,
    schemaVersion: 400,
    services: { web: { image: `web:${release}`, replicas, port: 8080, healthPath: '/healthz' } },
    tenants: [{ id: group, host: `${group}.app.example.com`, language: 'en-GB', utcOffset: '+00:00' }],
    database: { instance: `${group}-db`, engine: 'postgres' },
    secrets: [`prod/${group}/db`],
  };
}

/** The tenant hosts of the groups of `spec`, for switching traffic. */
export const HOSTS: readonly string[] = ['globex.app.example.com'];

/** A fault plan from the entries of a `faults:` list, in YAML. */
export function faults(yaml: string): FaultPlan {
  return parseFaults('faults.yaml', Buffer.from(`faults:\n${yaml}`));
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function failureOf(p: Promise<unknown>): Promise<Error> {
  const outcome = await p.then(
    (value: unknown) => ({ value }),
    (err: unknown) => ({ err }),
  );
  if (!('err' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.err as Error;
}

/**
 * Opens sim providers (on the world file `statePath()`) and world files for a
 * test, and closes every one of them in `closeAll` (afterEach, before the
 * folder goes): a second open stands for another process, and is closed too.
 */
export function simOpener(statePath: () => string) {
  const opened: { close?: () => Promise<void> }[] = [];
  return {
    sim: async (options: Partial<SimOptions> = {}): Promise<Providers> => {
      const providers = await createSimProviders({ statePath: statePath(), now: () => NOW, ...options });
      opened.push(providers);
      return providers;
    },
    openWorld: async (path: string): Promise<WorldFile> => {
      const file = await WorldFile.open(path);
      opened.push(file);
      return file;
    },
    closeAll: async (): Promise<void> => {
      await Promise.all(opened.splice(0).map((o) => o.close?.()));
    },
  };
}
