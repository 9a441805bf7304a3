import { posix } from 'node:path';
import type { FileSource, SourceEntry } from '../source/file-source.js';
import type { Kind, SchemaValidator } from '../schema/validator.js';
import { KINDS } from '../schema/validator.js';
import { buildGroup, buildPolicy, buildRelease, buildRingSet } from './build.js';
import { type Diagnostic, DiagnosticSink, atFileStart } from './diagnostics.js';
import { DEFAULT_POLICY_PATH, RING_SET_PATH, STATE_FOLDERS, classifyPath, placeOf, stem } from './layout.js';
import { type ParseLimits, type ParsedFile, locate, parseYamlFile } from './parse.js';
import type { FileOutcome, LoadCache, ModelItem } from './load-cache.js';
import { type PartialModel, checkModel } from './rules.js';
import type { Constellation } from './types.js';

export const API_VERSION = 'ringmaster/v1';

/** What loading needs: the compiled schemas and the parse limits. */
export interface LoadOptions {
  readonly validator: SchemaValidator;
  readonly limits: ParseLimits;
  /** Outcomes of earlier loads, by content id: unchanged files are neither read nor parsed again. */
  readonly cache?: LoadCache;
}

/** The outcome of loading: every finding, and the constellation when there was no error. */
export interface LoadResult {
  readonly constellation?: Constellation;
  readonly diagnostics: readonly Diagnostic[];
  /** How many files were read. */
  readonly fileCount: number;
}

/** Most symlinks followed in a row before giving up. */
const MAX_LINK_HOPS = 8;

/**
 * Loads the desired state from `source`: reads groups/ and policies/, parses
 * and schema-checks every file, builds the model and runs the cross-file rules.
 * Bad content becomes diagnostics; only failures to read the source throw.
 */
export async function loadConstellation(source: FileSource, options: LoadOptions): Promise<LoadResult> {
  const sink = new DiagnosticSink();
  const entries = await source.list(STATE_FOLDERS);
  const links = entries.filter((e) => e.type === 'symlink');
  const linkTargets = await source.read(links.map((l) => l.path));
  const wanted = selectFiles(entries, linkTargets, options.limits, sink);
  const cache = options.cache;
  const keys = new Map([...wanted].map(([path, w]) => [path, w.id && `${w.kind}:${w.readPath}:${w.id}`]));
  const kept = new Map<string, FileOutcome>();
  for (const path of wanted.keys()) {
    const outcome = cache?.get(path, keys.get(path));
    if (outcome) kept.set(path, outcome);
  }
  const toRead = [...wanted].filter(([path]) => !kept.has(path)).map(([, w]) => w.readPath);
  const bytes = await source.read([...new Set(toRead)]);
  const model: PartialModel = {
    releases: new Map(),
    groups: new Map(),
    files: new Map(),
    failed: new Set(),
    policies: [],
    approvals: new Map(),
  };
  for (const [path, { readPath, kind }] of wanted) {
    let outcome = kept.get(path);
    if (!outcome) {
      outcome = loadFile(path, kind, bytes.get(readPath)!, keys.get(path) ?? '', options);
      cache?.set(path, outcome);
    }
    sink.items.push(...outcome.diagnostics);
    if (outcome.parsed) model.files.set(path, outcome.parsed);
    if (outcome.item) addToModel(model, outcome.item, outcome.parsed!, sink);
    else model.failed.add(path);
  }
  if (cache) {
    cache.retain(new Set(wanted.keys()));
    cache.lastLoad = { reused: kept.size, read: wanted.size - kept.size };
  }
  if (!entries.some((e) => e.path === RING_SET_PATH)) {
    sink.error(
      atFileStart(RING_SET_PATH),
      'missing-file',
      `${RING_SET_PATH} is missing; it names the constellation and its rings`,
    );
  }
  if (!model.policy && ![...wanted.keys()].some((p) => p.startsWith('policies/'))) {
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
  checkModel(model, sink);
  const diagnostics = sink.sorted();
  const fileCount = wanted.size;
  if (sink.hasErrors() || !model.ringSet || !model.policy) return { diagnostics, fileCount };
  const constellation: Constellation = {
    name: model.ringSet.name,
    rings: model.ringSet.rings,
    releases: model.releases,
    groups: model.groups,
    policy: model.policy,
    ringSetFile: model.ringSet.file,
    approvals: new Set(model.approvals.keys()),
    files: model.files,
  };
  return { constellation, diagnostics, fileCount };
}

/** A file to load: the path to read (a symlink's target), its kind, and its content id when the source has one. */
interface Wanted {
  readonly readPath: string;
  readonly kind: Kind;
  readonly id?: string;
}

/**
 * Decides which entries are read: reports unexpected files, oversized files
 * and symlinks that leave the folders we read. Returns path -> path to read
 * (a symlink reads its target).
 */
function selectFiles(
  entries: readonly SourceEntry[],
  linkTargets: ReadonlyMap<string, Buffer>,
  limits: ParseLimits,
  sink: DiagnosticSink,
): Map<string, Wanted> {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const wanted = new Map<string, Wanted>();
  for (const entry of entries) {
    const placement = classifyPath(entry.path);
    if (placement.type === 'ignored') continue;
    // A symlink is judged by where it points before anything else, so a linked folder cannot smuggle files in.
    const target = entry.type === 'symlink' ? resolveLink(entry, byPath, linkTargets, sink) : entry;
    if (entry.type === 'symlink' && !target) continue;
    if (placement.type === 'unexpected' || entry.type === 'other') {
      const hint = placement.type === 'unexpected' ? placement.hint : 'only regular files are read';
      sink.error(atFileStart(entry.path), 'unexpected-file', `unexpected file ${entry.path}: ${hint}`);
      continue;
    }
    if (!target) continue;
    if (target.size > limits.maxFileBytes) {
      sink.error(
        atFileStart(entry.path),
        'file-too-large',
        `file is ${target.size} bytes, over the limit of ${limits.maxFileBytes}; split it, or raise --max-file-bytes`,
      );
      continue;
    }
    wanted.set(entry.path, { readPath: target.path, kind: placement.kind, id: target.id });
  }
  return wanted;
}

function resolveLink(
  link: SourceEntry,
  byPath: ReadonlyMap<string, SourceEntry>,
  linkTargets: ReadonlyMap<string, Buffer>,
  sink: DiagnosticSink,
): SourceEntry | undefined {
  let current = link;
  for (let hop = 0; hop < MAX_LINK_HOPS && current.type === 'symlink'; hop++) {
    const text = linkTargets.get(current.path)?.toString('utf8') ?? '';
    const target = posix.normalize(posix.join(posix.dirname(current.path), text));
    if (posix.isAbsolute(text) || target === '..' || target.startsWith('../')) {
      sink.error(
        atFileStart(link.path),
        'symlink-outside',
        `symlink ${link.path} points outside the repository (${text}); replace it with the file itself`,
      );
      return undefined;
    }
    const next = byPath.get(target);
    if (!next) {
      sink.error(
        atFileStart(link.path),
        'symlink-outside',
        `symlink ${link.path} points to ${target}, which is not a file under ${STATE_FOLDERS.join('/ or ')}/; replace it with the file itself`,
      );
      return undefined;
    }
    current = next;
  }
  if (current.type === 'file') return current;
  sink.error(
    atFileStart(link.path),
    'symlink-loop',
    `symlink ${link.path} does not end in a file after ${MAX_LINK_HOPS} links`,
  );
  return undefined;
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
function loadFile(path: string, kind: Kind, bytes: Buffer, key: string, options: LoadOptions): FileOutcome {
  const sink = new DiagnosticSink();
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
    case 'Approval': {
      const id = item.transition;
      if (stem(file.path) !== id) {
        sink.error(
          locate(file, ['transition']),
          'file-name-mismatch',
          `the approval of ${id} must be in groups/approvals/${id}.yaml; rename the file or fix the transition`,
        );
      } else model.approvals.set(id, file.path);
      return;
    }
    case 'PromotionPolicy':
      model.policies.push(file.path);
      if (!model.policy) model.policy = item.policy;
      return;
  }
}
