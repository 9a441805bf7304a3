import { compareNames } from '../../controller/model/naming.js';

/** Every name of up to `length` characters the group schema allows, over a small alphabet that has each kind. */
function names(length: number): string[] {
  const first = ['a', 'm', 'z'];
  const rest = ['a', 'z', '0', '9', '-'];
  let level = first;
  const all = [...level];
  for (let i = 1; i < length; i++) {
    level = level.flatMap((n) => rest.map((c) => n + c));
    all.push(...level);
  }
  // The schema: ^[a-z]([-a-z0-9]*[a-z0-9])?$
  return all.filter((n) => /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(n));
}

describe('compareNames', () => {
  it('orders every allowed name as localeCompare does', () => {
    const all = names(5);
    expect(all.length).toBeGreaterThan(1000);
    const byLocale = [...all].sort((a, b) => a.localeCompare(b));
    const byCompareNames = [...all].sort(compareNames);
    expect(byCompareNames).toEqual(byLocale);
  });

  it('says equal only for equal names', () => {
    expect(compareNames('smb-1', 'smb-1')).toBe(0);
    expect(compareNames('smb-1', 'smb1')).toBeLessThan(0);
    expect(compareNames('smb-10', 'smb-9')).toBeLessThan(0);
  });
});
