import { gitChildEnvironment, loadEnvConfig, parseInstant } from '../controller/config.js';
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

describe('URLs from the environment', () => {
  it.each([
    ['GITHUB_API_URL', 'https://octo:hunter2-secret@ghe.example.com/api/v3'],
    ['GITHUB_API_URL', 'https://x-access-token@ghe.example.com/api/v3'],
    ['RINGMASTER_STATUS_URL', 'http://admin:hunter2-secret@ringmaster.example.com'],
  ])('refuses %s with credentials in it, and the message does not repeat them', (name, value) => {
    let error: unknown;
    try {
      loadEnvConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toMatch(
      new RegExp(`^${name} must not carry a user name or password \\(https?://[a-z.]+(/api/v3)?\\)`),
    );
    expect(message).not.toMatch(/hunter2|x-access-token/);
  });

  it('keeps a plain URL, without its trailing slash', () => {
    expect(loadEnvConfig({ GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }).githubApiUrl).toBe(
      'https://ghe.example.com/api/v3',
    );
  });
});

describe('gitChildEnvironment', () => {
  it("is this process's environment as it is now, with git's password prompt turned off", () => {
    process.env.RINGMASTER_TEST_MARK = 'now';
    try {
      const env = gitChildEnvironment();
      expect(env).toMatchObject({
        RINGMASTER_TEST_MARK: 'now',
        PATH: process.env.PATH,
        GIT_TERMINAL_PROMPT: '0',
      });
    } finally {
      delete process.env.RINGMASTER_TEST_MARK;
    }
  });
});
