import { turnedSuccessAt } from '../../controller/policy/bake-evidence.js';
import { formatElapsed, formatInstant } from '../../controller/policy/verdicts.js';
import type { CommitState, RecordedStatus } from '../../controller/status/reporter.js';

/** `state@hour` on 2026-11-20, for context ringmaster/canary unless `context:` is given. */
function statuses(...specs: string[]): RecordedStatus[] {
  return specs.map((spec) => {
    const [context, rest] = spec.includes(':') ? spec.split(':') : ['ringmaster/canary', spec];
    const [state, hour] = rest!.split('@');
    return {
      state: state as CommitState,
      context: context!,
      description: '',
      createdAt: `2026-11-20T${hour!.padStart(2, '0')}:00:00.000Z`,
    };
  });
}

describe('turnedSuccessAt', () => {
  it.each([
    ['no statuses', [], undefined],
    ['only pending', ['pending@9'], undefined],
    ['pending then success', ['pending@9', 'success@10'], 10],
    ['success kept across descriptions', ['pending@9', 'success@10', 'success@12'], 10],
    ['success after a failure', ['success@8', 'failure@9', 'pending@10', 'success@11'], 11],
    ['success then failure', ['success@10', 'failure@11'], undefined],
    ['success then error', ['success@10', 'error@11'], undefined],
    [
      'other contexts ignored',
      ['success@10', 'ringmaster/early:failure@11', 'ringmaster/canary/internal:failure@12'],
      10,
    ],
    ['context case-insensitive', ['RingMaster/Canary:success@10'], 10],
  ])('%s', (_case, specs, hour) => {
    const since = turnedSuccessAt(statuses(...specs), 'ringmaster/canary');
    expect(since?.getUTCHours()).toBe(hour);
  });
});

describe('formatElapsed and formatInstant', () => {
  it.each([
    [0, '0m'],
    [59_999, '0m'],
    [45 * 60_000, '45m'],
    [5 * 3_600_000, '5h'],
    [(5 * 60 + 30) * 60_000, '5h30m'],
    [52 * 3_600_000, '52h'],
  ])('%d ms reads %s', (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
  it.each([
    ['2026-11-20T10:00:00.000Z', '2026-11-20T10:00Z'],
    ['2026-11-20T10:00:30.000Z', '2026-11-20T10:00:30Z'],
    ['2026-11-20T10:00:30.250Z', '2026-11-20T10:00:30Z'],
  ])('%s reads %s', (iso, text) => {
    expect(formatInstant(new Date(iso))).toBe(text);
  });
});
