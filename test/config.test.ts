import { loadEnvConfig, parseInstant } from '../controller/config.js';
import { ConfigurationError } from '../controller/errors.js';
import { DEFAULT_PARSE_LIMITS } from '../controller/model/parse.js';

describe('loadEnvConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadEnvConfig({});
    expect(config).toEqual({ repo: '.', maxFileBytes: 1024 * 1024, maxFiles: DEFAULT_PARSE_LIMITS.maxFiles });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the repository, the size cap and the file count cap', () => {
    expect(
      loadEnvConfig({
        RINGMASTER_REPO: '/srv/state',
        RINGMASTER_MAX_FILE_BYTES: '2048',
        RINGMASTER_MAX_FILES: '50000',
      }),
    ).toEqual({ repo: '/srv/state', maxFileBytes: 2048, maxFiles: 50_000 });
  });

  it.each(
    ['RINGMASTER_MAX_FILE_BYTES', 'RINGMASTER_MAX_FILES'].flatMap((name) =>
      ['-5', '0', '1.5', 'lots', ''].map((value) => [name, value] as const),
    ),
  )('refuses %s=%j with a typed error', (name, value) => {
    const read = () => loadEnvConfig({ [name]: value || ' ' });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(new RegExp(`^${name} must be a whole number above 0`));
  });
});

describe('parseInstant', () => {
  it('reads dates and times', () => {
    expect(parseInstant('2026-12-24T10:00:00Z', '--now').toISOString()).toBe('2026-12-24T10:00:00.000Z');
  });
  it('names the flag when it cannot', () => {
    expect(() => parseInstant('christmas', '--now')).toThrow(
      '--now must be a date or time like 2026-12-24 or 2026-12-24T10:00:00Z, got "christmas"',
    );
  });
});
