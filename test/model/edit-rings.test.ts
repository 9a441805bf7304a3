import { ConfigurationError } from '../../controller/errors.js';
import { setRingRelease } from '../../controller/model/edit-rings.js';

const BLOCK = [
  '# The rings, earliest first.',
  'apiVersion: ringmaster/v1',
  'kind: RingSet',
  'constellation: test',
  'rings:',
  '  # canary gets every release first',
  '  - name: canary',
  '    release: "2026.11.1"',
  '',
  '  - name: early   # a day behind canary',
  '    release: "2026.11.0"    # moved by promote',
  '  - name: stable',
  '    release: "2026.10.4"',
  '',
].join('\n');

/** `text` with exactly one occurrence of `from` replaced; fails the test when there is not exactly one. */
function replaceOnce(text: string, from: string, to: string): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

describe('setRingRelease', () => {
  it('changes only the release value, keeping comments, blank lines and spacing byte for byte', () => {
    const edited = setRingRelease(BLOCK, 'early', '2026.11.1');
    expect(edited).toBe(
      replaceOnce(
        BLOCK,
        'release: "2026.11.0"    # moved by promote',
        'release: "2026.11.1"    # moved by promote',
      ),
    );
  });

  it.each([
    ['double quotes', 'release: "2026.10.4"', 'release: "2026.11.0"'],
    ['single quotes', "release: '2026.10.4'", "release: '2026.11.0'"],
    ['no quotes', 'release: 2026.10.4', 'release: 2026.11.0'],
  ])('keeps %s', (_style, before, after) => {
    const text = BLOCK.replace('release: "2026.10.4"', before);
    expect(setRingRelease(text, 'stable', '2026.11.0')).toBe(replaceOnce(text, before, after));
  });

  it('keeps flow maps with their odd spacing and trailing comments', () => {
    const text = [
      'rings:',
      '  - { name: canary, release: "2026.11.2" }',
      '  - { name: early,  release: "2026.11.0" }   # waits a day',
      '  - {name: stable, release: 2026.10.3}',
      '',
    ].join('\n');
    expect(setRingRelease(text, 'early', '2026.11.2')).toBe(
      replaceOnce(text, 'early,  release: "2026.11.0" }', 'early,  release: "2026.11.2" }'),
    );
    expect(setRingRelease(text, 'stable', '2026.11.0')).toBe(
      replaceOnce(text, '{name: stable, release: 2026.10.3}', '{name: stable, release: 2026.11.0}'),
    );
  });

  it('keeps a flow sequence on one line', () => {
    const text = 'rings: [{ name: canary, release: "2026.11.1" }, { name: early, release: "2026.11.0" }]\n';
    expect(setRingRelease(text, 'canary', '2026.11.2')).toBe(
      replaceOnce(text, 'release: "2026.11.1"', 'release: "2026.11.2"'),
    );
  });

  it('keeps Windows line endings', () => {
    const text = BLOCK.replace(/\n/g, '\r\n');
    expect(setRingRelease(text, 'canary', '2026.11.2')).toBe(
      replaceOnce(text, 'release: "2026.11.1"', 'release: "2026.11.2"'),
    );
  });

  it('quotes a plain value that would otherwise read back as a number', () => {
    const text = 'rings:\n  - name: canary\n    release: next\n';
    expect(setRingRelease(text, 'canary', '2026.11')).toBe(
      'rings:\n  - name: canary\n    release: "2026.11"\n',
    );
  });

  it('refuses an unknown ring, listing the known ones', () => {
    const edit = () => setRingRelease(BLOCK, 'prod', '2026.11.1');
    expect(edit).toThrow(ConfigurationError);
    expect(edit).toThrow('ring "prod" is not in groups/rings.yaml; the rings are canary, early, stable');
  });

  it('refuses the release the ring already runs', () => {
    expect(() => setRingRelease(BLOCK, 'early', '2026.11.0')).toThrow(
      'ring early already runs 2026.11.0 in groups/rings.yaml; there is nothing to promote',
    );
  });

  it('refuses a release written as an alias rather than rewrite the anchor', () => {
    const text = 'latest: &latest "2026.11.1"\nrings:\n  - name: canary\n    release: *latest\n';
    expect(() => setRingRelease(text, 'canary', '2026.11.2')).toThrow(/is an alias \(\*latest\)/);
  });

  it('refuses text that does not parse', () => {
    expect(() => setRingRelease('rings: [\n', 'canary', '2026.11.2')).toThrow(
      /groups\/rings\.yaml does not parse/,
    );
  });
});
