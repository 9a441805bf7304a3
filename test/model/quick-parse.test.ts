/**
 * The quick reading (js-yaml) against the located parse (the `yaml` package)
 * that every finding comes from. Whatever the quick reading accepts, the
 * located parse must accept without a finding and read as the very same data,
 * key order included. Everything after parsing depends only on the data and
 * the text (positions come from the located parse of the same text), so this
 * is what keeps validate's findings byte-identical to the located parse alone.
 *
 * Inputs: every file of the base constellation and of the invalid-repository
 * corpus, a generated constellation, hand-picked cases where the two parsers
 * could differ, and thousands of seeded mutations of all of them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { DiagnosticSink } from '../../controller/model/diagnostics.js';
import { DEFAULT_PARSE_LIMITS, parseLocated } from '../../controller/model/parse.js';
import { quickParse } from '../../controller/model/quick-parse.js';
import { generate, rng } from '../../scripts/generate-constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

function yamlFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...yamlFilesUnder(path));
    else if (name.endsWith('.yaml') || name.endsWith('.yml')) out.push(path);
  }
  return out;
}

/** The texts of the corpus: base constellation, invalid cases (their files and the bytes they give as base64). */
function corpusTexts(): string[] {
  const texts = yamlFilesUnder(join('test', 'fixtures', 'base')).map((p) => readFileSync(p, 'utf8'));
  const invalid = join('test', 'fixtures', 'invalid');
  for (const name of readdirSync(invalid).sort()) {
    const files = join(invalid, name, 'files');
    try {
      texts.push(...yamlFilesUnder(files).map((p) => readFileSync(p, 'utf8')));
    } catch {
      // a case without files of its own
    }
    const c = parse(readFileSync(join(invalid, name, 'case.yaml'), 'utf8')) as {
      bytes?: Record<string, string>;
    };
    for (const b64 of Object.values(c.bytes ?? {})) texts.push(Buffer.from(b64, 'base64').toString('utf8'));
  }
  return texts;
}

/** Where the two readings could part ways; each must be declined or read alike. */
const EDGE_CASES = [
  'a: 1\nb: 0x1F\nc: 0o17\nd: -0\ne: +12\nf: 1_000\ng: 012\n',
  'a: 1.5\nb: .5\nc: 1e3\nd: -.inf\ne: .NaN\nf: 1.\ng: 2026.10\nh: 1.0e+3\n',
  'a: true\nb: True\nc: TRUE\nd: yes\ne: on\nf: y\ng: False\n',
  'a: null\nb: ~\nc:\nd: Null\ne: NULL\nf: nil\n',
  'null: 1\n',
  '~: 1\n',
  ': 1\n',
  '"": 1\n',
  'true: 1\n1: 2\n1.0: 3\n',
  '__proto__: { polluted: true }\n',
  '[a, b]: 1\n',
  '[a]: 1\n',
  '{a: 1}: 2\n',
  '? a\n: 1\n',
  '? [a]\n: 1\n',
  'a: &x 1\nb: *x\n',
  'a: *x\n',
  'a: !!str 1\nb: !!int "2"\n',
  'a: !custom 1\n',
  'a: 2026-12-07\nb: 2026-12-07T10:00:00Z\n',
  '<<: { a: 1 }\nb: 2\n',
  'a: 1\na: 2\n',
  'a: 1\n---\nb: 2\n',
  '---\n',
  '--- \na: 1\n...\n',
  '# only a comment\n',
  '',
  '- a\n- b\n',
  'plain\n',
  'a: "line\\nbreak \\x41 \\u00e9 \\U0001F600 \\/ \\_ \\N \\L \\P \\e \\0"\n',
  "a: 'it''s'\nb: 'multi\n  line'\n",
  'a: |\n  keep\n  lines\n\nb: >-\n  folded\n  text\n\n\nc: |+\n  kept\n\n',
  'a: |2\n    indented\n',
  'a: >\n  one\n\n  two\n   more\n',
  'a: b\n  c\n',
  'a:\n  - b\n  -\n  - c: d\n    e: f\n',
  'a: [b, c, {d: e}, [f]]\nb: {}\nc: []\n',
  'a: {b: c, d}\n',
  'a: [b: c]\n',
  'a: b: c\n',
  'a:\tb\n',
  '\ta: b\n',
  'a:\n\t- b\n',
  'a: b #comment\nc: d#no-comment\n',
  'a: "unterminated\n',
  'a: @b\n',
  'a: `b\n',
  'a: b\r\nc: |\r\n  d\r\n  e\r\n',
  '%YAML 1.2\n---\na: 1\n',
  '%YAML 1.1\n---\na: yes\n',
  '%TAG ! tag:example.com,2000:\n---\na: !foo 1\n',
  `${'k'.repeat(1100)}: 1\n`,
  `a: ${'['.repeat(150)}${']'.repeat(150)}\n`,
  'a: "\\z"\n',
  'a: 0x\nb: 0o8\nc: +.5\nd: -.5e-3\ne: .e3\n',
  'a: "1"\nb: \'true\'\nc: "null"\n',
  'a: - b\n',
  'a:\n- b\n- c\n',
  'a: { b: 1, b: 2 }\n',
  'a: [1, 2,]\nb: {c: 1,}\n',
  'a: b\n\n\n# trailing\n',
  '\ufeffa: 1\n',
  'a: "é"\nb: 東京\nc: 😀\n',
  'a: \u0085b\n',
  'a: b\u2028c\n',
  'a: "\u0007"\n',
  // Found by the mutations below, each once read differently:
  '---# a: 1\n---# a: 1\n',
  '--- a: 1\n',
  'a: "b \\\nc"\n',
  'a: "b\nc"\n',
  'a:\n#  - b\n   -\n  - c: d\n',
  'a:\n  -  -\n  - c: d\n',
  'a: { b: 1,# c\n}\n',
  'a: { b: 1 }# c\n',
  'a: [b,\nc]\n',
  'a: { b: c, ["d"] }\n',
  'a: b\rc: d\n',
  'a: b\r\nc: d\r\n',
  'c: >+7\n ',
  'c: >+\n  a\n ',
  'c: |+\n  a\n \n',
  'c: |\n  a\n ',
  'a:\n# @ - b\n   -\n- c: d\n',
  'a:\n- b:\n    c: 1\n- d\ne: f\n',
];

const INSERTS = [
  ' ',
  '  ',
  '\t',
  '\n',
  ':',
  ': ',
  '-',
  '- ',
  '#',
  ' #',
  "'",
  '"',
  '[',
  ']',
  '{',
  '}',
  ',',
  '|',
  '>',
  '?',
  '? ',
  '!',
  '!!',
  '%',
  '@',
  '`',
  '\\',
  '&a ',
  '*a',
  '...',
  '---',
  '0',
  '0x',
  '.',
  'e',
  '~',
  'null',
  'true',
  '\r',
  '\u00e9',
];

/** One random edit of `text`: an insertion, a deletion, a duplicated or swapped line, a changed indentation. */
function mutate(text: string, random: () => number): string {
  const at = Math.floor(random() * (text.length + 1));
  const lines = text.split('\n');
  const line = Math.floor(random() * lines.length);
  switch (Math.floor(random() * 6)) {
    case 0:
    case 1:
      return text.slice(0, at) + INSERTS[Math.floor(random() * INSERTS.length)]! + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
    case 3:
      lines.splice(line, 0, lines[line]!);
      return lines.join('\n');
    case 4: {
      const other = Math.floor(random() * lines.length);
      [lines[line], lines[other]] = [lines[other]!, lines[line]!];
      return lines.join('\n');
    }
    default:
      lines[line] = random() < 0.5 ? ` ${lines[line]}` : lines[line]!.replace(/^ /, '');
      return lines.join('\n');
  }
}

interface Tally {
  accepted: number;
  declined: number;
}

/** Checks one text; returns whether the quick reading accepted it. */
function agree(text: string): boolean {
  const quick = quickParse(text);
  if (quick === undefined) return false;
  const sink = new DiagnosticSink();
  const body = Buffer.from(text, 'utf8');
  const located = parseLocated('groups/x.yaml', body, text, DEFAULT_PARSE_LIMITS, sink);
  const detail = { text, quick, located: located?.data, findings: sink.sorted() };
  expect({ ...detail, findings: detail.findings.length, same: located !== undefined }).toEqual({
    ...detail,
    findings: 0,
    same: true,
  });
  // Same values (NaN, -0 and all) and the same key order at every depth.
  if (!isDeepStrictEqual(quick, located!.data) || JSON.stringify(quick) !== JSON.stringify(located!.data)) {
    expect(detail.quick).toStrictEqual(detail.located);
    expect(JSON.stringify(detail.quick)).toBe(JSON.stringify(detail.located));
  }
  return true;
}

function check(texts: readonly string[], tally: Tally): void {
  for (const text of texts) {
    if (agree(text)) tally.accepted++;
    else tally.declined++;
  }
}

describe('the quick reading agrees with the located parse', () => {
  let generated: string[] = [];
  let dir: string;

  beforeAll(async () => {
    dir = await makeTempDir();
    generate(dir, 120, 1200);
    generated = yamlFilesUnder(dir).map((p) => readFileSync(p, 'utf8'));
  });
  afterAll(async () => {
    await removeDir(dir);
  });

  it('on the corpus and the generated constellation, accepting nearly all of the valid files', () => {
    const tally = { accepted: 0, declined: 0 };
    check(corpusTexts(), tally);
    const corpus = { ...tally };
    check(generated, tally);
    // Not vacuous: the quick reading is the one that reads a plain constellation.
    expect(tally.accepted - corpus.accepted).toBe(generated.length);
    expect(corpus.accepted).toBeGreaterThan(20);
  });

  it('on the cases where the two parsers could differ', () => {
    const tally = { accepted: 0, declined: 0 };
    check(EDGE_CASES, tally);
    // Both ways happen: numbers, booleans, block scalars and escapes are read quickly; keys, anchors and tags are not.
    expect(tally.accepted).toBeGreaterThan(20);
    expect(tally.declined).toBeGreaterThan(20);
  });

  it('on thousands of seeded mutations of all of them', () => {
    // The generator's seeded random source, so every run mutates alike.
    const random = rng(0x52494e47);
    const seeds = [...corpusTexts(), ...generated.slice(0, 40), ...EDGE_CASES].filter((t) => t.length > 0);
    const tally = { accepted: 0, declined: 0 };
    const mutants: string[] = [];
    for (let i = 0; i < 6000; i++) {
      let text = seeds[Math.floor(random() * seeds.length)]!;
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) text = mutate(text, random);
      mutants.push(text);
    }
    check(mutants, tally);
    expect(tally.accepted).toBeGreaterThan(1000);
    expect(tally.declined).toBeGreaterThan(1000);
  });
});
