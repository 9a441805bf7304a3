import { ConfigurationError, PermanentError } from '../../controller/errors.js';
import {
  type RecordedStatus,
  assertWithinLimit,
  fitDescription,
  groupContext,
  isUnchanged,
  latestByContext,
  ringContext,
  validateStatus,
} from '../../controller/status/reporter.js';

const recorded = (context: string, state: RecordedStatus['state'], description: string): RecordedStatus => ({
  context,
  state,
  description,
  createdAt: '2026-11-22T10:00:00.000Z',
});

describe('fitDescription', () => {
  it.each([
    ['a short text', 'All 3 groups on 2026.11.2', 'All 3 groups on 2026.11.2'],
    ['exactly 140 characters', 'a'.repeat(140), 'a'.repeat(140)],
    ['141 characters', 'a'.repeat(141), `${'a'.repeat(139)}…`],
    ['a cut after a space', `${'a'.repeat(138)} bcd`, `${'a'.repeat(138)}…`],
  ])('turns %s into a valid description', (_, text, expected) => {
    const fitted = fitDescription(text);
    expect(fitted).toBe(expected);
    expect(() => validateStatus({ state: 'pending', context: 'c', description: fitted })).not.toThrow();
  });

  it('never splits an emoji or a letter with its accent', () => {
    const family = '👨‍👩‍👧'; // 8 UTF-16 code units, one character
    const fitted = fitDescription(`${'a'.repeat(135)}${family}${'e\u0301'.repeat(10)}`);
    expect(fitted).toBe(`${'a'.repeat(135)}…`);
    const accents = fitDescription(`${'a'.repeat(136)}${'e\u0301'.repeat(10)}`);
    expect(accents).toBe(`${'a'.repeat(136)}e\u0301…`);
    expect(accents.length).toBe(139);
  });
});

describe('status contexts', () => {
  it('names a ring and a group of a ring', () => {
    expect(ringContext('canary')).toBe('ringmaster/canary');
    expect(groupContext('canary', 'globex')).toBe('ringmaster/canary/globex');
  });

  it.each([
    ['an empty ring', () => ringContext(''), /ring name .* got ""/],
    ['a ring with a slash', () => ringContext('a/b'), /ring name .* got "a\/b"/],
    ['an empty group', () => groupContext('canary', ''), /group name .* got ""/],
  ])('refuses %s', (_, make, message) => {
    expect(make).toThrow(ConfigurationError);
    expect(make).toThrow(message);
  });
});

describe('latestByContext and isUnchanged', () => {
  const history = [
    recorded('ringmaster/canary', 'pending', 'Rolling out'),
    recorded('ringmaster/canary/globex', 'failure', 'Failed'),
    recorded('ringmaster/canary', 'success', 'Done'),
  ];

  it('keeps the last status of each context', () => {
    const latest = latestByContext(history);
    expect([...latest.values()].map((s) => `${s.context} ${s.state}`)).toEqual([
      'ringmaster/canary success',
      'ringmaster/canary/globex failure',
    ]);
  });

  it.each([
    ['the same state and description as the latest', 'success', 'Done', true],
    ['an earlier state and description only', 'pending', 'Rolling out', false],
    ['a changed description', 'success', 'Done again', false],
    ['a changed state', 'error', 'Done', false],
  ] as const)('says whether %s is unchanged', (_, state, description, expected) => {
    expect(isUnchanged(history, { state, description, context: 'ringmaster/canary' })).toBe(expected);
  });

  it('finds nothing unchanged in a context without statuses', () => {
    expect(isUnchanged(history, { state: 'success', description: 'Done', context: 'ringmaster/early' })).toBe(
      false,
    );
  });
});

describe('assertWithinLimit', () => {
  const full = Array.from({ length: 1000 }, (_, i) => recorded('ringmaster/canary', 'pending', `Wave ${i}`));

  it('allows the 1000th status of a context and refuses the 1001st', () => {
    expect(() => assertWithinLimit('abc123', full.slice(1), 'ringmaster/canary')).not.toThrow();
    expect(() => assertWithinLimit('abc123', full, 'ringmaster/canary')).toThrow(PermanentError);
    expect(() => assertWithinLimit('abc123', full, 'ringmaster/canary')).toThrow(
      'Commit abc123 already has 1000 statuses for context "ringmaster/canary"',
    );
  });

  it('counts each context on its own', () => {
    expect(() => assertWithinLimit('abc123', full, 'ringmaster/early')).not.toThrow();
  });
});
