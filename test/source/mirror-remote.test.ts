import { resolve } from 'node:path';
import { ConfigurationError } from '../../controller/errors.js';
import { parseRemote, redact, redactUrls, sameRemote } from '../../controller/source/mirror-remote.js';

describe('redactUrls', () => {
  it.each([
    ['https://user:secret@host/repo.git', 'https://host/repo.git'],
    ['https://ghp_TOKEN123@github.com/o/r', 'https://github.com/o/r'],
    ['https://user:p@ss@host/r', 'https://host/r'],
    [
      "fatal: unable to access 'https://u:pw@127.0.0.1:1/repo.git/': refused",
      "fatal: unable to access 'https://127.0.0.1:1/repo.git/': refused",
    ],
    ['ssh://git:pw@host:22/r.git and http://a:b@c', 'ssh://host:22/r.git and http://c'],
    ['git@github.com:o/r.git', 'git@github.com:o/r.git'],
    ['/srv/git/repo', '/srv/git/repo'],
  ])('turns %j into %j', (text, expected) => {
    expect(redactUrls(text)).toBe(expected);
  });
});

describe('parseRemote', () => {
  it('makes a local path absolute and keeps URLs and host:path as given', () => {
    expect(parseRemote('some/repo').url).toBe(resolve('some/repo'));
    expect(parseRemote('git@github.com:o/r.git').url).toBe('git@github.com:o/r.git');
    expect(parseRemote('https://u:pw@h/r.git')).toMatchObject({
      url: 'https://u:pw@h/r.git',
      label: 'https://h/r.git',
    });
  });

  it.each(['', '  ', '--upload-pack=touch /tmp/x'])('refuses the remote %j', (remote) => {
    expect(() => parseRemote(remote)).toThrow(ConfigurationError);
  });

  it('scrubs a long password wherever it appears, even outside a URL', () => {
    const remote = parseRemote('https://x-access-token:ghs_abcdef123456@github.com/o/r.git');
    expect(redact(remote, 'token ghs_abcdef123456 rejected')).toBe('token *** rejected');
  });
});

describe('sameRemote', () => {
  it.each([
    ['https://a:1@h/r.git', 'https://b:2@h/r.git', true],
    ['https://h/r.git/', 'https://h/r.git', true],
    ['https://h/r.git', 'https://h/other.git', false],
  ])('compares %j and %j as %j', (a, b, same) => {
    expect(sameRemote(a, b)).toBe(same);
  });
});
