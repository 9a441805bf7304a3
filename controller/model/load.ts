import type { Kind, SchemaValidator } from '../schema/validator.js';
import { KINDS } from '../schema/validator.js';
import { buildGroup, buildPolicy, buildRelease, buildRingSet } from './build.js';
import { type Diagnostic, DiagnosticSink, atFileStart } from './diagnostics.js';
import type { FileSource } from './file-source.js';
import { DEFAULT_POLICY_PATH, RING_SET_PATH, placeOf, stem } from './layout.js';
import { LazyMap } from './lazy-map.js';
import { type ParseLimits, type ParsedFile, locate, parseYamlFile } from './parse.js';
import { type FileOutcome, type LoadCache, type ModelItem, keptOutcome } from './load-cache.js';
import { type PartialModel, checkModel } from './rules.js';
import { type Wanted, listWithinCap, selectFiles } from './select-files.js';
import type { Constellation } from './types.js';

export const API_VERSION = 'ringmaster/v1';

/** What loading needs: the compiled schemas and the parse limits. */
export interface LoadOptions {
  readonly validator: SchemaValidator;
  readonly limits: ParseLimits;
  /**
   * What earlier loads learnt: unchanged files (by content id) are neither read nor parsed again, and
   * the rules that span groups check only what changed. The findings are the same as without it.
   */
  readonly cache?: LoadCache;
}

/** The outcome of loading: every finding, and the constellation when there was no error. */
export interface LoadResult {
  readonly constellation?: Constellation;
  readonly diagnostics: readonly Diagnostic[];
  /** How many files were read. */
  readonly fileCount: number;
}

/**
 * Loads the desired state from `source`: reads groups/ and policies/, parses
 * and schema-checks every file, builds the model and runs the cross-file rules.
 * Bad content becomes diagnostics; only failures to read the source throw.
 * More files than `limits.maxFiles` are one finding (too-many-files), and
 * then no file is read at all.
 */
export async function loadConstellation(source: FileSource, options: LoadOptions): Promise<LoadResult> {
  const sink = new DiagnosticSink();
  const cache = options.cache;
  const entries = await listWithinCap(source, options.limits, sink);
  if (!entries) return { diagnostics: sink.sorted(), fileCount: 0 };
  const links = entries.filter((e) => e.type === 'symlink');
  const linkTargets = await source.read(links.map((l) => l.path));
  const { paths, wanted, records } = selectFiles(entries, linkTargets, options.limits, sink, cache?.paths);
  // The outcome of each of `paths`: from the cache, or (filled in below) from reading the file.
  const outcomes = wanted.map((w, i) => keptOutcome(records[i], w));
  const toRead = new Set<string>();
  for (let i = 0; i < outcomes.length; i++) if (!outcomes[i]) toRead.add(wanted[i]!.readPath);
  const bytes = await source.read([...toRead]);
  const model: PartialModel = {
    releases: new Map(),
    groups: new Map(),
    files: new LazyMap(function* () {
      for (let i = 0; i < outcomes.length; i++) {
        const parsed = outcomes[i]?.parsed;
        if (parsed) yield [paths[i]!, parsed] as const;
      }
    }),
    failed: new Set(),
    policies: [],
    approvals: new Map(),
    retries: new Map(),
  };
  let reused = 0;
  let hasRingSet = false;
  let hasPolicyFile = false;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    let outcome = outcomes[i];
    if (outcome) reused++;
    else {
      outcome = outcomes[i] = loadFile(path, wanted[i]!, bytes.get(wanted[i]!.readPath)!, options);
      const record = records[i];
      if (record) record.outcome = outcome;
    }
    if (outcome.diagnostics.length > 0) sink.items.push(...outcome.diagnostics);
    if (outcome.item) addToModel(model, outcome.item, outcome.parsed!, sink);
    else model.failed.add(path);
    hasRingSet ||= path === RING_SET_PATH;
    hasPolicyFile ||= path.startsWith('policies/');
  }
  if (cache) {
    cache.retain(entries);
    cache.lastLoad = { reused, read: paths.length - reused };
  }
  if (!hasRingSet && !entries.some((e) => e.path === RING_SET_PATH)) {
    sink.error(
      atFileStart(RING_SET_PATH),
      'missing-file',
      `${RING_SET_PATH} is missing; it names the constellation and its rings`,
    );
  }
  if (!model.policy && !hasPolicyFile) {
    sink.error(
      atFileStart(DEFAULT_POLICY_PATH),
      'missing-file',
      'no promotion policy found; add policies/promotion.yaml (kind PromotionPolicy)',
    );
  }
  if (model.policies.length > 1) {
    for (const path of model.policies) {
      sink.error(
        atFileStart(path),
        'multiple-policies',
        `found ${model.policies.length} promotion policies (${model.policies.join(', ')}); keep exactly one`,
      );
    }
  }
  checkModel(model, sink, cache?.groupRules);
  const diagnostics = sink.sorted();
  const fileCount = paths.length;
  if (sink.hasErrors() || !model.ringSet || !model.policy) return { diagnostics, fileCount };
  const constellation: Constellation = {
    name: model.ringSet.name,
    rings: model.ringSet.rings,
    releases: model.releases,
    groups: model.groups,
    policy: model.policy,
    ringSetFile: model.ringSet.file,
    approvals: new Set(model.approvals.keys()),
    retries: new Set(model.retries.keys()),
    files: model.files,
  };
  return { constellation, diagnostics, fileCount };
}

/** Checks apiVersion and kind before the schema, so the message can list what is known. */
function checkHeader(file: ParsedFile, expected: Kind, sink: DiagnosticSink): boolean {
  const data = file.data as Record<string, unknown> | null;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return true; // the schema says "must be a mapping"
  const { apiVersion, kind } = data;
  if (apiVersion !== undefined && apiVersion !== API_VERSION) {
    sink.error(
      locate(file, ['apiVersion']),
      'unknown-api-version',
      `unknown apiVersion ${JSON.stringify(apiVersion)}; known: ${API_VERSION}`,
    );
    return false;
  }
  if (kind === 'Providers') {
    sink.error(
      locate(file, ['kind']),
      'wrong-place',
      `a Providers file does not belong at ${file.path}: it lives with the controller's deployment, outside groups/ and policies/; move it there and pass it with --providers FILE`,
    );
    return false;
  }
  if (kind !== undefined && !KINDS.includes(kind as Kind)) {
    sink.error(
      locate(file, ['kind']),
      'unknown-kind',
      `unknown kind ${JSON.stringify(kind)}; known: ${KINDS.join(', ')}`,
    );
    return false;
  }
  if (kind !== undefined && kind !== expected) {
    sink.error(
      locate(file, ['kind']),
      'wrong-place',
      `a ${String(kind)} does not belong at ${file.path} (a ${expected} goes here); move it to ${placeOf(kind as Kind, data)}`,
    );
    return false;
  }
  return true;
}

/** Parses one file and checks it on its own: syntax, header, schema; builds its part of the model when sound. */
function loadFile(path: string, key: Wanted, bytes: Buffer, options: LoadOptions): FileOutcome {
  const sink = new DiagnosticSink();
  const { kind } = key;
  const parsed = parseYamlFile(path, bytes, options.limits, sink);
  const sound = parsed && checkHeader(parsed, kind, sink) && options.validator.validate(kind, parsed, sink);
  const item = sound ? buildItem(kind, parsed) : undefined;
  return { key, parsed, item, diagnostics: sink.items };
}

function buildItem(kind: Kind, file: ParsedFile): ModelItem {
  switch (kind) {
    case 'RingSet':
      return { kind, ringSet: buildRingSet(file.data) };
    case 'Release':
      return { kind, release: buildRelease(file.data, file.path) };
    case 'Group':
      return { kind, group: buildGroup(file.data, file.path) };
    case 'Approval':
      return { kind, transition: (file.data as { transition: string }).transition };
    case 'Retry':
      return { kind, retry: (file.data as { retry: string }).retry };
    case 'PromotionPolicy':
      return { kind, policy: buildPolicy(file.data, file.path) };
  }
}

/** Adds a sound file's part to the model, reporting what clashes with files added before it. */
function addToModel(model: PartialModel, item: ModelItem, file: ParsedFile, sink: DiagnosticSink): void {
  switch (item.kind) {
    case 'RingSet':
      model.ringSet = { ...item.ringSet, file: file.path };
      return;
    case 'Release': {
      const { release } = item;
      const seen = model.releases.get(release.version);
      if (seen) {
        sink.error(
          locate(file, ['version']),
          'duplicate-release',
          `release ${release.version} is also described in ${seen.file}; keep one file per release`,
        );
      } else model.releases.set(release.version, release);
      return;
    }
    case 'Group': {
      const { group } = item;
      const seen = model.groups.get(group.name);
      if (seen) {
        sink.error(
          locate(file, ['name']),
          'duplicate-name',
          `group "${group.name}" is also defined in ${seen.file}; group names must be unique`,
        );
      } else model.groups.set(group.name, group);
      return;
    }
    case 'Approval':
      addById(model.approvals, item.transition, file, sink, { noun: 'approval', field: 'transition' });
      return;
    case 'Retry':
      addById(model.retries, item.retry, file, sink, { noun: 'retry', field: 'retry' });
      return;
    case 'PromotionPolicy':
      model.policies.push(file.path);
      if (!model.policy) model.policy = item.policy;
      return;
  }
}

/**
 * Adds a file named after the id it holds (an Approval, a Retry) to `byId`;
 * a file whose name is not its id is reported at the id and left out.
 */
function addById(
  byId: Map<string, string>,
  id: string,
  file: ParsedFile,
  sink: DiagnosticSink,
  what: { readonly noun: string; readonly field: string },
): void {
  if (stem(file.path) === id) {
    byId.set(id, file.path);
    return;
  }
  const folder = file.path.slice(0, file.path.lastIndexOf('/'));
  sink.error(
    locate(file, [what.field]),
    'file-name-mismatch',
    `the ${what.noun} of ${id} must be in ${folder}/${id}.yaml; rename the file or fix the ${what.field}`,
  );
}
