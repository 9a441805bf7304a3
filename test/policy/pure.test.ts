import { parseDuration } from '../../controller/policy/duration.js';
import { activeFreeze, dayAfter } from '../../controller/policy/freeze.js';
import { compareVersions, lineOf } from '../../controller/model/versions.js';
import type { PromotionPolicy } from '../../controller/model/types.js';

describe('parseDuration', () => {
  it.each([
    ['0h', 0],
    ['90m', 90 * 60_000],
    ['1h30m', 90 * 60_000],
    ['24h', 86_400_000],
    ['14d', 14 * 86_400_000],
    ['1d2h3m', (26 * 60 + 3) * 60_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it.each(['', 'h', '1.5h', '2w', '30m1h', '-1h', '1 h'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('compareVersions', () => {
  it.each([
    ['2026.09.10', '2026.09.9', 1],
    ['2026.09.8', '2026.10.0', -1],
    ['2026.11.2', '2026.11.2', 0],
    ['2027.01.0', '2026.12.99', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
  it('finds the line of a version', () => {
    expect(lineOf('2026.09.8')).toBe('2026.09');
  });
});

describe('activeFreeze', () => {
  const policy = {
    freeze: [
      { name: 'year-end', from: '2026-12-20', to: '2027-01-04' },
      { name: 'audit', from: '2026-11-01', to: '2026-11-03', rings: ['stable'] },
    ],
  } as unknown as PromotionPolicy;

  it.each([
    ['2026-12-19T23:59:59Z', 'broad', undefined],
    ['2026-12-20T00:00:00Z', 'broad', 'year-end'],
    ['2027-01-04T23:59:59Z', 'canary', 'year-end'],
    ['2027-01-05T00:00:00Z', 'canary', undefined],
    ['2026-11-02T12:00:00Z', 'stable', 'audit'],
    ['2026-11-02T12:00:00Z', 'early', undefined],
  ])('at %s ring %s is held by %s', (now, ring, name) => {
    expect(activeFreeze(policy, ring, new Date(now))?.name).toBe(name);
  });

  it('names the day promotions may go again', () => {
    expect(dayAfter('2027-01-04')).toBe('2027-01-05');
    expect(dayAfter('2028-02-28')).toBe('2028-02-29');
  });
});
