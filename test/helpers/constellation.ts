import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SimpleGit } from 'simple-git';
import { loadConstellation } from '../../controller/model/load.js';
import { DEFAULT_PARSE_LIMITS } from '../../controller/model/parse.js';
import type { Constellation } from '../../controller/model/types.js';
import { createSchemaValidator } from '../../controller/schema/validator.js';
import { DirectorySource } from '../../controller/source/dir-source.js';
import { commitAll, copyTree, initRepo, makeTempDir } from './git.js';

/** A temporary git repository holding the base fixture constellation, committed once. */
export interface FixtureRepo {
  readonly dir: string;
  readonly git: SimpleGit;
  readonly baseSha: string;
  /** Replaces `from` with `to` in a file (exactly once, or it throws). */
  edit(path: string, from: string | RegExp, to: string): Promise<void>;
  write(path: string, text: string): Promise<void>;
  commit(message: string): Promise<string>;
}

export async function createFixtureRepo(): Promise<FixtureRepo> {
  const dir = await makeTempDir();
  await copyTree(join('test', 'fixtures', 'base'), dir);
  const git = await initRepo(dir);
  const baseSha = await commitAll(git, 'base constellation');
  return {
    dir,
    git,
    baseSha,
    async edit(path, from, to) {
      const text = await readFile(join(dir, path), 'utf8');
      const next = text.replace(from, to);
      if (next === text) throw new Error(`edit of ${path} changed nothing`);
      await writeFile(join(dir, path), next);
    },
    async write(path, text) {
      await writeFile(join(dir, path), text);
    },
    commit: (message) => commitAll(git, message),
  };
}

/** The text of a release file as the fixtures write them. */
export function releaseYaml(version: string, schemaVersion: number, extra = ''): string {
  const line = version.split('.').slice(0, 2).join('.');
  return [
    'apiVersion: ringmaster/v1',
    'kind: Release',
    `version: "${version}"`,
    `line: "${line}"`,
    `schemaVersion: ${schemaVersion}`,
    ...(extra ? [extra] : []),
    'services:',
    `  api: { image: "registry.example.com/app/api:${version}" }`,
    `  worker: { image: "registry.example.com/app/worker:${version}" }`,
    '',
  ].join('\n');
}

/**
 * The text of a group file as the fixtures write them: on cluster eu-1 in its
 * own namespace, with its own postgres database and one tenant.
 */
export function groupYaml(
  name: string,
  ring: string,
  options: {
    readonly secrets?: readonly string[];
    readonly tenant?: string;
    readonly language?: string;
  } = {},
): string {
  const secrets = options.secrets ?? [];
  return [
    'apiVersion: ringmaster/v1',
    'kind: Group',
    `name: ${name}`,
    `ring: ${ring}`,
    'resources:',
    '  cluster: eu-1',
    `  namespace: ${name}`,
    `  database: { instance: ${name}-db, engine: postgres }`,
    ...(secrets.length
      ? ['  secrets:', ...secrets.map((secret) => `    - { name: ${secret}, keys: [username, password] }`)]
      : ['  secrets: []']),
    'tenants:',
    `  - { id: ${options.tenant ?? name}, host: ${name}.example.com, language: ${options.language ?? 'en-GB'}, utcOffset: "+00:00" }`,
    '',
  ].join('\n');
}

/** The constellation in the folder `dir`, which must validate (a fixture does). */
export async function loadFixture(dir: string): Promise<Constellation> {
  const result = await loadConstellation(new DirectorySource(dir), {
    validator: createSchemaValidator('schemas'),
    limits: DEFAULT_PARSE_LIMITS,
  });
  if (!result.constellation)
    throw new Error(`fixture does not validate: ${JSON.stringify(result.diagnostics)}`);
  return result.constellation;
}

/**
 * Moves tenant beta of the base fixture out of shared-1 (ring early) into a
 * new group `beta` of its own in `ring`, on its own database `beta-db`
 * (`extra` lines go after its ring); not committed.
 */
export async function moveBetaToItsOwnGroup(repo: FixtureRepo, ring = 'early', extra = ''): Promise<void> {
  await repo.edit(
    'groups/shared-1.yaml',
    '  - { id: beta, host: beta.example.com, language: fr-FR, utcOffset: "+01:00" }\n',
    '',
  );
  await repo.write(
    'groups/beta.yaml',
    groupYaml('beta', ring)
      .replace(`ring: ${ring}`, `ring: ${ring}${extra}`)
      .replace('language: en-GB, utcOffset: "+00:00"', 'language: fr-FR, utcOffset: "+01:00"'),
  );
}
