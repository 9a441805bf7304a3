/**
 * The quick first reading of a YAML file. `js-yaml` reads a plain group file
 * about ten times faster than the `yaml` package, which keeps the positions
 * every finding needs. So every file is read quickly first, and the located
 * parse runs only where it is needed: for a file the quick reading declines,
 * and, later and lazily, for a file with a finding to point at.
 *
 * The quick reading must never accept what the located parse would refuse,
 * nor read a value differently: a file it accepts yields exactly the data
 * `parseDocument(...).toJS()` of the located parse yields (same values, same
 * key order). It declines, and leaves the file to the located parse, wherever
 * the two could differ:
 * - plain scalars are resolved by the located parser's own YAML 1.2 core
 *   schema (its tags and their resolve functions), not by js-yaml's;
 * - anchors, and so aliases (an `&` anywhere in the text; without an anchor
 *   every alias is an error js-yaml refuses too): the located parse counts
 *   alias expansions against the limit and points at a bomb;
 * - explicit and collection keys (`? `, `]:`, `}:`): js-yaml turns them into
 *   strings its own way;
 * - directives (`%YAML 1.1` changes what a plain scalar means) and a carriage
 *   return not followed by a line feed (js-yaml breaks the line there);
 * - a quoted scalar or flow collection that goes on to the next line: the
 *   located parse holds such a continuation to indentation rules js-yaml
 *   does not know; a collection as a key of a flow mapping (`{ [a] }`);
 * - a sequence nested on the line of its parent's dash (`- - a`), which
 *   js-yaml can close at the wrong place, and a line indented less than the
 *   line before it but more than any line it could belong to (js-yaml lets
 *   a sequence go on there);
 * - a block scalar that keeps its trailing line breaks (`|+`, `>+`) and a
 *   text ending in a line of white space only: js-yaml counts those lines
 *   otherwise;
 * - a comment glued to a closing quote, bracket or comma, a document marker with
 *   content on its line, a line longer than 1,024 characters (the longest
 *   implicit key YAML allows, which js-yaml does not enforce);
 * - keys js-yaml names differently (a null key is "null" there, "" in the
 *   located parse), empty keys and `__proto__`;
 * - tags (`!`, `!!str`: js-yaml reads a few of them its own way) and byte
 *   order marks (one that opens a file is stripped before either reading);
 * - anything js-yaml refuses (syntax, duplicate keys,
 *   several documents, nesting deeper than 100), an empty document, and a
 *   document that is not a mapping (every kind of file is one).
 * The differential test in test/model/quick-parse.test.ts runs both readings
 * over the invalid-repository corpus, generated constellations and thousands
 * of mutations of them.
 */
import { FAILSAFE_SCHEMA, Type, load } from 'js-yaml';
import { type Scalar, type ScalarTag, Schema, isScalar } from 'yaml';

/** The located parser's core-schema tags that resolve plain scalars, in the order it tries them. */
const CORE_TAGS = new Schema({ schema: 'core' }).tags.filter(
  (tag): tag is ScalarTag & { test: RegExp } =>
    tag.default === true && 'test' in tag && tag.test !== undefined,
);

/** The first characters of every null, boolean and number the core schema reads. */
const MAY_RESOLVE = /[~nNtTfF0-9+\-.]/;
const NO_ERRORS = (): void => {};
const RESOLVE_OPTIONS = { intAsBigInt: false };

/** A plain scalar as the located parser's core schema reads it: null, a boolean, a number or the string itself. */
function resolvePlain(text: string): unknown {
  // Most plain scalars are names and hosts: none of the core patterns can match what starts otherwise.
  if (text.length > 0 && !MAY_RESOLVE.test(text[0]!)) return text;
  for (const tag of CORE_TAGS) {
    if (!tag.test.test(text)) continue;
    const value: unknown = tag.resolve(text, NO_ERRORS, RESOLVE_OPTIONS);
    return isScalar(value) ? (value as Scalar).value : value;
  }
  return text;
}

/**
 * js-yaml tries implicit types on plain scalars only (quoted and block
 * scalars stay strings): one type that accepts every plain scalar and
 * resolves it as above.
 */
const PLAIN_SCALAR = new Type('tag:ringmaster.dev,2026:plain', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string',
  construct: (data: string) => resolvePlain(data),
});

const SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [PLAIN_SCALAR] });

/**
 * Anchors, byte order marks, tags, explicit keys, collections as keys, directives, lone carriage
 * returns, a comment glued to a closing quote, bracket or comma (an error there, a
 * comment to js-yaml), a document marker followed by content on its line,
 * a sequence that starts on the line of its parent's dash, a block scalar
 * that keeps its trailing line breaks (`|+`), a last line of white space
 * only.
 */
const DECLINED_SYNTAX =
  /&|\uFEFF|(?:^|[\s,[{])(?:!|\?(?:\s|$))|[\]}][ \t]*:|^%|\r(?!\n)|[\]}"',]#|^(?:---|\.\.\.)(?:\S|[ \t]+[^\s#])|^[ \t]*-[ \t]+-(?:\s|$)|(?:^|\s)[|>](?:[1-9]?\+|\+[1-9])|\n[ \t]+(?![\s\S])/m;

/** Keys js-yaml would name otherwise than the located parse, or that deserve its care. */
const DECLINED_KEYS = new Set(['null', '', '__proto__']);

/**
 * The document in `text` as plain data when the quick reading is certain to
 * agree with the located parse, else undefined. Never throws.
 */
export function quickParse(text: string): Record<string, unknown> | undefined {
  if (DECLINED_SYNTAX.test(text) || layoutDiffers(text) || !indentsNest(text)) return undefined;
  let data: unknown;
  try {
    data = load(text, { schema: SCHEMA });
  } catch {
    return undefined;
  }
  if (!isMapping(data) || !keysAgree(data)) return undefined;
  return data;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when no key of `value`, at any depth, is one of DECLINED_KEYS. */
function keysAgree(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(keysAgree);
  if (!isMapping(value)) return true;
  for (const key of Object.keys(value)) {
    if (DECLINED_KEYS.has(key) || !keysAgree(value[key])) return false;
  }
  return true;
}

const NEWLINE = 10;
const SPACE = 32;
const TAB = 9;

/** YAML's limit on an implicit key, which js-yaml does not enforce. */
const MAX_LINE = 1024;

/**
 * True when a line is longer than MAX_LINE, or a quoted scalar or a flow
 * collection may go on past the end of a line, or a flow mapping has a
 * collection as a key. A quote or bracket counts only where a token can start (at the start
 * of a line, after white space or after `[`, `{`, `,`); in a block scalar or
 * a plain scalar this may see one that is none, and the file goes to the
 * located parse, which is only slower.
 */
function layoutDiffers(text: string): boolean {
  let quote = 0; // the open quote character, or 0
  const open: number[] = []; // the open flow collections' brackets, innermost last
  let previous = NEWLINE;
  let entryStart = false; // at the start of an entry of a flow mapping (after `{` or `,`, white space skipped)
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) lineStart = i + 1;
    else if (i - lineStart >= MAX_LINE) return true;
    if (quote !== 0) {
      if (c === NEWLINE) return true;
      if (c === 92 /* \ */ && quote === 34) {
        if (text.charCodeAt(i + 1) === NEWLINE) return true;
        i++;
      } else if (c === quote) quote = 0;
      previous = c;
      continue;
    }
    if (c === NEWLINE) {
      if (open.length > 0) return true;
    } else if (c === 35 /* # */ && (previous === SPACE || previous === TAB || previous === NEWLINE)) {
      while (i + 1 < text.length && text.charCodeAt(i + 1) !== NEWLINE) i++;
    } else if (open.length > 0 && (c === 93 || c === 125)) {
      open.pop();
    } else if (tokenMayStart(previous)) {
      if (c === 34 || c === 39) quote = c;
      else if (c === 91 || c === 123) {
        if (entryStart) return true;
        open.push(c);
      }
    }
    if (c !== SPACE && c !== TAB) {
      entryStart = open.at(-1) === 123 && (c === 123 || c === 44);
    }
    previous = c;
  }
  return quote !== 0 || open.length > 0;
}

/** After a line break, white space, `[`, `{` or `,`. */
function tokenMayStart(previous: number): boolean {
  return (
    previous === NEWLINE ||
    previous === SPACE ||
    previous === TAB ||
    previous === 91 ||
    previous === 123 ||
    previous === 44
  );
}

/**
 * True when every line that holds content (not blank, not only a comment) is
 * indented as deep as one of the open lines before it or deeper: a line that
 * comes back out lands on the indentation of a line it closes up to. A dash
 * that comes back out to a level whose last line was a key (`a:` with its
 * sequence deeper, then `- b` under `a`) counts as landing nowhere: the
 * located parse refuses it, js-yaml adds it to the sequence.
 */
function indentsNest(text: string): boolean {
  const open: number[] = [0];
  /** Whether the last line at each open level was a sequence entry. */
  const dash: boolean[] = [false];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let indent = start;
    while (indent < end && text.charCodeAt(indent) === SPACE) indent++;
    const first = text.charCodeAt(indent);
    if (indent < end && first !== 35 /* # */ && first !== 13 /* \r */) {
      const depth = indent - start;
      const entry = first === 45 /* - */ && (indent + 1 === end || isBlank(text.charCodeAt(indent + 1)));
      let closed = false;
      while (open.length > 1 && open.at(-1)! > depth) {
        open.pop();
        dash.pop();
        closed = true;
      }
      if (open.at(-1)! < depth) {
        if (closed) return false;
        open.push(depth);
        dash.push(entry);
      } else {
        if (closed && entry && !dash.at(-1)) return false;
        dash[dash.length - 1] = entry;
      }
    }
    start = end + 1;
  }
  return true;
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === 13 || c === NEWLINE;
}
