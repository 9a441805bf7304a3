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
});
