import { DiagnosticSink } from '../../controller/model/diagnostics.js';
import { DEFAULT_PARSE_LIMITS, locate, parseYamlFile, sourceText } from '../../controller/model/parse.js';
import { closest } from '../../controller/schema/messages.js';

function parse(text: string | Buffer) {
  const sink = new DiagnosticSink();
  const file = parseYamlFile(
    'groups/x.yaml',
    Buffer.isBuffer(text) ? text : Buffer.from(text),
    DEFAULT_PARSE_LIMITS,
    sink,
  );
  return { file, diagnostics: sink.sorted() };
}

describe('parseYamlFile', () => {
  it('keeps positions so any node can be located later', () => {
    const { file } = parse(
      'name: x\ntenants:\n  - { id: a, host: a.example.com }\n  - id: b\n    host: b.example.com\n',
    );
    expect(locate(file!, ['tenants', 1, 'host'])).toEqual({ file: 'groups/x.yaml', line: 5, column: 11 });
    expect(locate(file!, ['tenants', 0, 'host'], 'key')).toEqual({
      file: 'groups/x.yaml',
      line: 3,
      column: 14,
    });
    expect(locate(file!, ['tenants', 7])).toEqual({ file: 'groups/x.yaml', line: 3, column: 3 });
  });

  it('gives back the text it read, without a byte order mark, and points into it', () => {
    const text = 'name: zürich-ß\ndescription: "Café 東京 — a long value that outlives its file text"\n';
    const { file } = parse(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    expect(file!.text).toBe(text);
    expect(file!.data).toEqual({
      name: 'zürich-ß',
      description: 'Café 東京 — a long value that outlives its file text',
    });
    expect(sourceText(file!, ['description'])).toBe('"Café 東京 — a long value that outlives its file text"');
    expect(locate(file!, ['description'])).toEqual({ file: 'groups/x.yaml', line: 2, column: 14 });
  });

  it('reads the same values from every file, long or short, repeated or not', () => {
    const files = Array.from({ length: 30 }, (_, i) =>
      parse(`id: t-${i}\nhost: tenant-number-${i}.app.example.com\nlanguage: en-GB\noffset: "+01:00"\n`),
    );
    files.forEach(({ file }, i) =>
      expect(file!.data).toEqual({
        id: `t-${i}`,
        host: `tenant-number-${i}.app.example.com`,
        language: 'en-GB',
        offset: '+01:00',
      }),
    );
  });

  it('quotes scalars as written, not as YAML read them', () => {
    const { file } = parse('line: 2026.10\n');
    expect(file!.data).toEqual({ line: 2026.1 });
    expect(sourceText(file!, ['line'])).toBe('2026.10');
  });

  it('lets honest anchors be reused thousands of times', () => {
    const tenants = Array.from({ length: 2000 }, (_, i) => `  - { id: t${i}, language: *lang }`).join('\n');
    const { file, diagnostics } = parse(`defaults: { language: &lang de-DE }\ntenants:\n${tenants}\n`);
    expect(diagnostics).toEqual([]);
    expect((file!.data as { tenants: { language: string }[] }).tenants[1999]!.language).toBe('de-DE');
  });

  it('stops a billion-laughs file', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const { file, diagnostics } = parse(`${levels.join('\n')}\n`);
    expect(file).toBeUndefined();
    expect(diagnostics).toEqual([expect.objectContaining({ rule: 'alias-limit', line: 2, column: 8 })]);
  });

  it('counts the column of a bad byte in characters, like every other finding', () => {
    const bytes = Buffer.concat([
      Buffer.from('name: x\ndescription: Müller Caf'),
      Buffer.from([0xe9]),
      Buffer.from('\n'),
    ]);
    const { diagnostics } = parse(bytes);
    expect(diagnostics).toEqual([expect.objectContaining({ rule: 'not-utf8', line: 2, column: 24 })]);
  });

  it('names the duplicated key', () => {
    const { diagnostics } = parse('name: a\nring: early\nring: broad\n');
    expect(diagnostics).toEqual([
      expect.objectContaining({
        rule: 'duplicate-key',
        line: 3,
        column: 1,
        message: 'key "ring" appears twice in this mapping; keep one',
      }),
    ]);
  });
});

describe('syntax errors', () => {
  it('reports the first syntax error of a file, not the guesses after it', () => {
    const { diagnostics } = parse('name: x\nring: early\n\tresources: {}\ntenants: [a, b\n');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toEqual(expect.objectContaining({ rule: 'yaml-syntax', line: 3, column: 1 }));
  });

  it('reports every duplicated key', () => {
    const { diagnostics } = parse('name: a\nname: b\nring: x\nring: y\n');
    expect(diagnostics.map((d) => `${d.line}:${d.rule}`)).toEqual(['2:duplicate-key', '4:duplicate-key']);
  });
});

describe('closest', () => {
  it.each([
    ['eraly', ['canary', 'early', 'broad'], 'early'],
    ['stabel', ['canary', 'stable'], 'stable'],
    ['rign', ['ring', 'name', 'tenants'], 'ring'],
    ['brod', ['canary', 'early', 'broad'], 'broad'],
    ['production', ['canary', 'early', 'broad'], undefined],
  ])('suggests for %s among %j: %s', (name, known, guess) => {
    expect(closest(name, known)).toBe(guess);
  });
});
