import { Writable } from 'node:stream';
import { createLogger } from '../controller/log.js';

/** A logger whose lines are collected as text, exactly as they would be written. */
function collect(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger({ level: 'info' }, sink) };
}

describe('createLogger', () => {
  it('cuts credentials out of every URL, in fields, messages and errors', () => {
    const { lines, log } = collect();
    const remote = 'https://ringmaster:ghp_S3cretToken@git.example.com/acme/rollout.git';
    log.warn({ remote, nested: { url: `${remote}?x=1` } }, `Fetching ${remote} failed`);
    log.error({ err: new Error(`fatal: unable to access '${remote}/': 403`) }, 'Remote refused');
    const text = lines.join('');
    expect(text).not.toContain('ghp_S3cretToken');
    expect(text).not.toContain('ringmaster:');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      remote: 'https://git.example.com/acme/rollout.git',
      nested: { url: 'https://git.example.com/acme/rollout.git?x=1' },
      msg: 'Fetching https://git.example.com/acme/rollout.git failed',
    });
    expect(JSON.parse(lines[1]!).err.message).toBe(
      "fatal: unable to access 'https://git.example.com/acme/rollout.git/': 403",
    );
  });

  it.each([['token'], ['password'], ['secret'], ['authorization']])(
    'replaces a field named %s, at the top or one level down',
    (field) => {
      const { lines, log } = collect();
      log.info({ [field]: 'hunter2-value', request: { [field]: 'hunter2-value' } }, 'Calling');
      expect(lines.join('')).not.toContain('hunter2-value');
      expect(JSON.parse(lines[0]!)).toMatchObject({
        [field]: '[Redacted]',
        request: { [field]: '[Redacted]' },
      });
    },
  );
});
