import { readFileSync } from 'node:fs';
import { runRingmaster } from '../helpers/cli.js';

describe('ringmaster --help', () => {
  it('lists the commands', async () => {
    const run = await runRingmaster(['--help']);
    expect(run.code).toBe(0);
    for (const cmd of ['validate', 'show', 'check', 'codeowners'])
      expect(run.out).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it.each([
    ['validate', '--rev <rev>'],
    ['show', '--json'],
    ['check', '--base <rev>'],
    ['codeowners', '--check'],
  ])('explains %s', async (cmd, flag) => {
    const run = await runRingmaster([cmd, '--help']);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`Usage: ringmaster ${cmd} [options]`);
    expect(run.out).toContain(flag);
  });

  it('exits 2 on an unknown command, naming it', async () => {
    const run = await runRingmaster(['deploy']);
    expect(run.code).toBe(2);
    expect(run.err).toContain("unknown command 'deploy'");
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(await runRingmaster(['--version'])).toEqual({ code: 0, out: version, err: '' });
  });

  it.each([['status'], ['plan'], ['run', '--once'], ['retry', 'globex'], ['approve', 'globex@0123456789ab']])(
    'says a missing --repo folder is missing, with exit 2: %s',
    async (...cmd) => {
      const run = await runRingmaster([
        ...cmd,
        '--repo',
        '/nonexistent/ringmaster',
        '--state',
        '/nonexistent/state',
      ]);
      expect(run).toEqual({
        code: 2,
        out: '',
        err: 'ringmaster: repository folder "/nonexistent/ringmaster" does not exist; pass --repo DIR',
      });
    },
  );
});
