import { runnableCommands, invocation } from '../../controller/cli/invocation.js';
import { renderStatus } from '../../controller/cli/render-status.js';
import { PLAIN, RICH, pickStyle } from '../../controller/cli/style.js';
import { STATUS } from '../server/status-fixture.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

describe('states on a terminal', () => {
  it('get symbols and colours on a terminal, plain words when piped, with NO_COLOR or on a dumb terminal', () => {
    expect(pickStyle(true, {})).toBe(RICH);
    expect(pickStyle(false, {})).toBe(PLAIN);
    expect(pickStyle(true, { NO_COLOR: '1' })).toBe(PLAIN);
    // NO_COLOR set but empty does not count (no-color.org).
    expect(pickStyle(true, { NO_COLOR: '' })).toBe(RICH);
    expect(pickStyle(true, { TERM: 'dumb' })).toBe(PLAIN);
  });

  it('colour the state column of the status tables without moving the columns', () => {
    const rich = renderStatus(STATUS, RICH);
    expect(rich).toContain('\u001b[31;1m✗ held');
    expect(rich).toContain('\u001b[32m✓ ready');
    expect(rich).toContain('■ halted');
    // Without the colour codes, the columns line up as in the plain table (the state words one symbol wider).
    const lines = rich.replace(ANSI, '').split('\n');
    const header = lines.find((l) => l.startsWith('GROUP'))!;
    const globex = lines.find((l) => l.startsWith('globex'))!;
    expect(globex.indexOf('2026.11.0')).toBe(header.indexOf('APPLIED'));
    const plain = renderStatus(STATUS);
    expect(plain).not.toMatch(ANSI);
    expect(plain).toMatch(/^globex +early +held +2026\.11\.0/m);
  });
});

describe('commands as the person can run them', () => {
  const reason = 'waiting for approval before cutover: ringmaster approve globex@0123456789ab';

  it.each([
    [{}, 'ringmaster'],
    [{ npm_command: 'exec' }, 'npx ringmaster'],
    [{ npm_command: 'start', npm_lifecycle_event: 'start' }, 'npx ringmaster'],
    [{ npm_command: 'run-script', npm_lifecycle_event: 'ringmaster' }, 'npm run ringmaster --'],
  ])('under %j print %s', (env, prefix) => {
    expect(invocation(env)).toBe(prefix);
    expect(runnableCommands(env)(reason)).toBe(
      `waiting for approval before cutover: ${prefix} approve globex@0123456789ab`,
    );
  });

  it('leave other mentions of ringmaster alone', () => {
    const text = 'ringmaster/canary pending; the ringmaster controller; ringmaster retry globex';
    expect(runnableCommands({ npm_command: 'exec' })(text)).toBe(
      'ringmaster/canary pending; the ringmaster controller; npx ringmaster retry globex',
    );
  });
});
