/**
 * JSON text of a large state file in pieces, one per entry of its big maps,
 * so that writing 10,000 groups never holds the whole text (and its buffer)
 * at once: a 15 MB string and its copy on the way to the disk were the
 * controller's highest moment of memory.
 */

/** An object member whose entries are produced as the text is: written as a JSON object. */
export class Entries {
  constructor(readonly entries: Iterable<readonly [string, unknown]>) {}
}

/**
 * The text `JSON.stringify(value, null, indent)` gives (plus a final newline),
 * where `value` is `top` with each Entries member made an object, in chunks
 * of about one entry each. Keys keep the order they come in (JSON.stringify
 * would put integer-like keys of a materialised object first; both read back
 * as the same object).
 */
export function* jsonChunks(top: Readonly<Record<string, unknown>>, indent: 0 | 2): Generator<string> {
  yield* object(Object.entries(top), 0, indent);
  yield '\n';
}

function* object(
  entries: Iterable<readonly [string, unknown]>,
  depth: number,
  indent: 0 | 2,
): Generator<string> {
  const inner = indent ? `\n${' '.repeat(indent * (depth + 1))}` : '';
  const colon = indent ? ': ' : ':';
  let first = true;
  yield '{';
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    const head = `${first ? '' : ','}${inner}${JSON.stringify(key)}${colon}`;
    first = false;
    if (value instanceof Entries) {
      yield head;
      yield* object(value.entries, depth + 1, indent);
    } else {
      const text = JSON.stringify(value, null, indent);
      yield head + (indent ? text.replaceAll('\n', inner) : text);
    }
  }
  yield first || !indent ? '}' : `\n${' '.repeat(indent * depth)}}`;
}
