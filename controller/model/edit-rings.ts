/**
 * Edits the ring set (groups/rings.yaml) as text, the way a person would: only
 * the characters of one value change, so a promotion's diff is one line.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Node as YamlNode, Scalar, isAlias, isMap, isScalar, isSeq, parse, parseDocument } from 'yaml';
import { ConfigurationError } from '../errors.js';
import { RING_SET_PATH } from './layout.js';

const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, merge: false } as const;

/**
 * Returns `text` (the ring set) with ring `ring`'s `release` set to `version`.
 *
 * The document is read with the yaml Document API to find the ring's `release`
 * node; the new value is then written over that node's source range only,
 * in the node's own quoting style (plain, single or double quotes). Rendering
 * the whole document again (`doc.toString()`) would keep comments but not the
 * spacing of flow maps, indentation or line breaks, so everything outside the
 * value stays byte for byte as it was. The result is parsed again and must
 * equal the old data with only that release changed.
 *
 * Throws ConfigurationError when the text does not parse, has no `rings`
 * list, has no ring named `ring` (the message lists the known rings), the
 * ring already runs `version`, or the release is written in a form that
 * cannot be edited in place (an alias).
 */
export function setRingRelease(text: string, ring: string, version: string): string {
  const doc = parseDocument(text, YAML_OPTIONS);
  const problem = doc.errors[0];
  if (problem)
    throw new ConfigurationError(
      'RingSetUnreadable',
      `${RING_SET_PATH} does not parse (${problem.message.split('\n')[0]}); run ringmaster validate and fix it first`,
    );
  const { node, index } = findRelease(doc.get('rings', true) as YamlNode | undefined, ring);
  if (String(node.value) === version)
    throw new ConfigurationError(
      'AlreadyReleased',
      `ring ${ring} already runs ${version} in ${RING_SET_PATH}; there is nothing to promote`,
    );
  const [start, end] = node.range ?? [];
  if (start === undefined || end === undefined)
    throw new ConfigurationError(
      'RingSetUneditable',
      `${RING_SET_PATH}: cannot locate the release of ring ${ring}`,
    );
  const edited = text.slice(0, start) + renderLike(node, version) + text.slice(end);
  assertOnlyReleaseChanged(text, edited, index, ring, version);
  return edited;
}

/** The `release` scalar of the ring named `ring`, and the ring's index in the list. */
function findRelease(rings: YamlNode | undefined, ring: string): { node: Scalar; index: number } {
  if (!isSeq(rings))
    throw new ConfigurationError(
      'RingSetUnreadable',
      `${RING_SET_PATH} has no list of rings; run ringmaster validate and fix it first`,
    );
  const known: string[] = [];
  for (const [index, item] of rings.items.entries()) {
    const name = isMap(item) ? item.get('name') : undefined;
    if (typeof name === 'string') known.push(name);
    if (name !== ring || !isMap(item)) continue;
    const node: unknown = item.get('release', true);
    if (isScalar(node)) return { node, index };
    const form = isAlias(node) ? `an alias (*${node.source})` : 'not a single value';
    throw new ConfigurationError(
      'RingSetUneditable',
      `the release of ring ${ring} in ${RING_SET_PATH} is ${form}; write it as a plain version, or edit the file by hand`,
    );
  }
  throw new ConfigurationError(
    'UnknownRing',
    `ring "${ring}" is not in ${RING_SET_PATH}; the rings are ${known.join(', ') || '(none)'}`,
  );
}

/** `version` as YAML source in the style of `node`: quotes kept, plain only where it reads back as the same string. */
function renderLike(node: Scalar, version: string): string {
  if (node.type === Scalar.QUOTE_SINGLE) return `'${version.replaceAll("'", "''")}'`;
  // A plain `2026.11` would read back as a number; such a value gets the quotes it needs.
  if (
    node.type === Scalar.PLAIN &&
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(version) &&
    parse(version) === version
  )
    return version;
  return JSON.stringify(version);
}

/** Guards the text edit: the new text must mean the old data with exactly one release changed. */
function assertOnlyReleaseChanged(
  before: string,
  after: string,
  index: number,
  ring: string,
  version: string,
): void {
  const expected = parse(before, YAML_OPTIONS) as { rings: Record<string, unknown>[] };
  const entry = expected.rings[index];
  if (entry) entry.release = version;
  let actual: unknown;
  try {
    actual = parse(after, YAML_OPTIONS);
  } catch {
    actual = undefined;
  }
  if (!isDeepStrictEqual(actual, expected))
    throw new ConfigurationError(
      'RingSetUneditable',
      `setting the release of ring ${ring} in ${RING_SET_PATH} in place would change more than that value; edit the file by hand`,
    );
}
