import { isUtf8 } from 'node:buffer';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { type DiagnosticSink, type SourcePosition, atFileStart } from './diagnostics.js';
import { quickParse } from './quick-parse.js';

/** Limits that keep hostile files from exhausting the process. */
export interface ParseLimits {
  /** Largest file read, in bytes. */
  readonly maxFileBytes: number;
  /** Most alias expansions in one file (anchors are allowed, bombs are not). */
  readonly maxAliasCount: number;
  /** Most files (entries of any kind) under groups/ and policies/; more and none is read. */
  readonly maxFiles: number;
}

/**
 * 10,000 alias expansions leave room for honest reuse (one anchor shared by the
 * tenants of a large group) and still stop a billion-laughs file at once.
 *
 * 20,000 files: twice the 10,000 groups the controller is sized for. The
 * controller keeps every group in memory (about 9 KB of live heap each), and
 * `npm start`'s heap of 384 MiB holds a 20,000-group constellation (measured:
 * README, Benchmarks); a commit of 100,000 files would run it out of memory
 * on every start.
 */
export const DEFAULT_PARSE_LIMITS: ParseLimits = Object.freeze({
  maxFileBytes: 1024 * 1024,
  maxAliasCount: 10_000,
  maxFiles: 20_000,
});

/**
 * A YAML file that parsed cleanly: its text and its data. The syntax tree with
 * source positions is not kept (for 10,000 files it would triple the memory);
 * it is parsed again from the text the first time a finding needs a position.
 * The text is kept as its UTF-8 bytes, outside the JavaScript heap (a
 * controller holds every group file of a large constellation, 13 MiB for
 * 10,000 groups, and needs a text only to point at a finding); deflating it
 * would save two thirds of that at the cost of a fifth of validate's time.
 */
export class ParsedFile {
  #syntax?: { readonly doc: Document.Parsed; readonly lines: LineCounter };
  readonly #bytes: Buffer;

  constructor(
    readonly path: string,
    /** The UTF-8 text, without a byte order mark. */
    bytes: Buffer,
    /** The document as plain data. */
    readonly data: unknown,
  ) {
    // A copy of its own: `bytes` may be a slice of a larger buffer (a batch read from git) that must not be kept.
    this.#bytes = Buffer.copyBytesFrom(bytes);
  }

  /** The text of the file (without a byte order mark). */
  get text(): string {
    return this.#bytes.toString('utf8');
  }

  /** The syntax tree and line index of the file, parsed on first use. */
  syntax(): { readonly doc: Document.Parsed; readonly lines: LineCounter } {
    if (!this.#syntax) {
      const lines = new LineCounter();
      this.#syntax = { doc: parseDocument(this.text, { ...YAML_OPTIONS, lineCounter: lines }), lines };
    }
    return this.#syntax;
  }
}

const YAML_OPTIONS = { prettyErrors: false, uniqueKeys: true, merge: false } as const;

/** A path into a document: map keys and sequence indexes. */
export type NodePath = readonly (string | number)[];

const YAML_CODES: Record<string, string> = {
  DUPLICATE_KEY: 'duplicate-key',
  MULTIPLE_DOCS: 'multiple-documents',
  RESOURCE_EXHAUSTION: 'yaml-too-deep',
};

/**
 * Parses the bytes of one YAML file. Reports bad encoding, syntax errors,
 * duplicate keys, several documents, empty files and alias bombs to `sink`
 * with their position, and returns undefined when the file cannot be used.
 * Never throws for bad content. A file the quick reading accepts (see
 * quick-parse.ts) is not parsed with positions until a finding needs one.
 */
export function parseYamlFile(
  path: string,
  bytes: Buffer,
  limits: ParseLimits,
  sink: DiagnosticSink,
): ParsedFile | undefined {
  if (!isUtf8(bytes)) {
    const at = byteOffsetPosition(path, bytes, firstInvalidUtf8(bytes));
    sink.error(
      at,
      'not-utf8',
      'file is not valid UTF-8 text; save it as UTF-8 (without other encodings or binary data)',
    );
    return undefined;
  }
  const body = hasByteOrderMark(bytes) ? bytes.subarray(3) : bytes;
  const text = body.toString('utf8');
  const quick = quickParse(text);
  if (quick) return new ParsedFile(path, body, ownStrings(quick));
  return parseLocated(path, body, text, limits, sink);
}

function hasByteOrderMark(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * Parses `text` (the UTF-8 `body`) with positions (the `yaml` package): the
 * reading every finding comes from, for files the quick reading declines.
 */
export function parseLocated(
  path: string,
  body: Buffer,
  text: string,
  limits: ParseLimits,
  sink: DiagnosticSink,
): ParsedFile | undefined {
  const lines = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  } catch (err) {
    if (err instanceof RangeError)
      sink.error(
        atFileStart(path),
        'yaml-too-deep',
        'YAML nesting is too deep to read; flatten the document',
      );
    else sink.error(atFileStart(path), 'yaml-syntax', `YAML could not be parsed: ${messageOf(err)}`);
    return undefined;
  }
  if (doc.errors.length > 0) {
    // After the first syntax error the parser's view of the rest is guesswork: report that one only.
    // Duplicate keys are independent of each other and all reported.
    const firstSyntax = doc.errors.find((e) => e.code !== 'DUPLICATE_KEY');
    for (const e of doc.errors.filter((x) => x.code === 'DUPLICATE_KEY' || x === firstSyntax)) {
      const rule = YAML_CODES[e.code] ?? 'yaml-syntax';
      // Running out of stack happens at no meaningful place: point at the file.
      const pos = rule === 'yaml-too-deep' ? { line: 1, col: 1 } : lines.linePos(e.pos[0]);
      sink.error(
        { file: path, line: pos.line, column: pos.col },
        rule,
        yamlMessage(e.code, e.message, text.slice(e.pos[0])),
      );
    }
    return undefined;
  }
  if (doc.contents === null) {
    sink.error(atFileStart(path), 'empty-file', 'file holds no YAML document; remove it or give it content');
    return undefined;
  }
  let data: unknown;
  try {
    data = ownStrings(doc.toJS({ maxAliasCount: limits.maxAliasCount }));
  } catch (err) {
    const at = firstAliasPosition(path, doc, lines);
    if (err instanceof RangeError) {
      sink.error(at, 'yaml-too-deep', 'YAML nesting is too deep to read; flatten the document');
    } else {
      sink.error(
        at,
        'alias-limit',
        `YAML aliases expand more than ${limits.maxAliasCount} times (an alias bomb?); write the values out instead`,
      );
    }
    return undefined;
  }
  return new ParsedFile(path, body, data);
}

/**
 * Strings read from a document are slices of its text and would keep the whole
 * text alive: ownStrings replaces them, in place, with copies of their own.
 * Short values (a language, a UTC offset, a database engine) recur in every
 * group file, so one copy of each is shared; the table of shared copies starts
 * over when it is full, which bounds it whatever the files hold.
 */
function ownStrings(value: unknown, seen = new Set<object>()): unknown {
  if (typeof value === 'string') return ownString(value);
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  // An alias shares its anchor's object: visit each object once.
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = ownStrings(value[i], seen);
  } else {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) record[key] = ownStrings(record[key], seen);
  }
  return value;
}

const SHARED_MAX_LENGTH = 24;
const SHARED_MAX_COUNT = 20_000;
const shared = new Map<string, string>();

function ownString(s: string): string {
  if (s.length > SHARED_MAX_LENGTH) return copyOf(s);
  let copy = shared.get(s);
  if (copy === undefined) {
    if (shared.size >= SHARED_MAX_COUNT) shared.clear();
    copy = copyOf(s);
    shared.set(copy, copy);
  }
  return copy;
}

/**
 * A copy of `s` that refers to no other string. Slicing a joined string makes
 * V8 first copy the join into a new flat string, which the slice then refers
 * to (a slice's parent is always flat): the copy keeps one character more
 * than `s`, and nothing of the text `s` was cut from. (Five times cheaper than
 * a JSON round trip.)
 */
function copyOf(s: string): string {
  return (' ' + s).slice(1);
}

/** The text written at `path` in `file` (a scalar as it appears in the file), if the node exists. */
export function sourceText(file: ParsedFile, path: NodePath): string | undefined {
  const node = file.syntax().doc.getIn(path, true) as YamlNode | undefined;
  return node?.range ? file.text.slice(node.range[0], node.range[1]).trim() : undefined;
}

/**
 * The position of the node at `path` in `file`: of the key when `on` is 'key',
 * else of the value. Falls back to the deepest node found, then to the file start.
 */
export function locate(file: ParsedFile, path: NodePath, on: 'key' | 'value' = 'value'): SourcePosition {
  const { doc, lines } = file.syntax();
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (!pair) break;
      const target = last && on === 'key' ? pair.key : (pair.value ?? pair.key);
      offset = rangeStart(target) ?? offset;
      node = target;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const pos = lines.linePos(offset);
  return { file: file.path, line: pos.line, column: pos.col };
}

function rangeStart(node: unknown): number | undefined {
  return (node as YamlNode | null)?.range?.[0];
}

function firstAliasPosition(path: string, doc: Document.Parsed, lines: LineCounter): SourcePosition {
  let offset = 0;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) offset = node.range[0];
      return visit.BREAK;
    },
  });
  const pos = lines.linePos(offset);
  return { file: path, line: pos.line, column: pos.col };
}

/** `rest` is the text from the error's position on. */
function yamlMessage(code: string, message: string, rest: string): string {
  const first = message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? message;
  if (code === 'DUPLICATE_KEY') {
    const key = /^("[^"\n]*"|'[^'\n]*'|[^:\n{},[\]]+?)\s*:/.exec(rest)?.[1];
    return `${key ? `key ${key.startsWith('"') ? key : `"${key}"`}` : 'a key'} appears twice in this mapping; keep one`;
  }
  if (code === 'MULTIPLE_DOCS') return 'file holds several YAML documents (---); keep one document per file';
  if (code === 'RESOURCE_EXHAUSTION') return 'YAML nesting is too deep to read; flatten the document';
  return `YAML syntax error: ${first}`;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

/** Index of the first byte that breaks UTF-8, or 0 when the scan finds none. */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const extra =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (extra < 0) return i;
    for (let k = 1; k <= extra; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    i += extra + 1;
  }
  return 0;
}

/** Line and column (in characters, like every other finding) of a byte offset; the bytes before it are valid UTF-8. */
function byteOffsetPosition(file: string, b: Buffer, offset: number): SourcePosition {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (b[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { file, line, column: b.subarray(lineStart, offset).toString('utf8').length + 1 };
}
