/** The model while it is being built, and helpers the rules share. */
import { closest } from '../schema/messages.js';
import { type SourcePosition, atFileStart } from './diagnostics.js';
import { type ParsedFile, locate } from './parse.js';
import type { Group, PromotionPolicy, Release, Ring } from './types.js';

/** The model as far as it could be built: files that failed earlier checks are missing from it. */
export interface PartialModel {
  ringSet?: { name: string; rings: Ring[]; file: string };
  releases: Map<string, Release>;
  groups: Map<string, Group>;
  policy?: PromotionPolicy;
  files: ReadonlyMap<string, ParsedFile>;
  /** Files that failed to parse or match their schema: their own errors are reported, so rules skip what depends on them. */
  failed: Set<string>;
  /** Paths of every PromotionPolicy read (there must be exactly one). */
  policies: string[];
  /** Approved transition ids, with the file that approves each. */
  approvals: Map<string, string>;
  /** Held transitions asked to be tried again through groups/retries/, with the file that asks for each. */
  retries: Map<string, string>;
}

/** True when some group file failed to load, so tenants may be missing from the model. */
export function hasFailedGroups(model: PartialModel): boolean {
  return [...model.failed].some((p) => /^groups\/[^/]+\.yaml$/.test(p) && p !== 'groups/rings.yaml');
}

/** Locates `path` inside the parsed file `file` of the model. */
export function at(
  model: PartialModel,
  file: string,
  path: readonly (string | number)[],
  on: 'key' | 'value' = 'value',
): SourcePosition {
  const parsed = model.files.get(file);
  return parsed ? locate(parsed, path, on) : atFileStart(file);
}

/** Ring names that make a "did you mean" or a list for messages. */
export function suggestRing(name: string, rings: readonly Ring[]): string {
  const names = rings.map((r) => r.name);
  const guess = closest(name, names);
  return guess ? `did you mean "${guess}"?` : `rings: ${names.join(', ')}`;
}
