import {
  boundText,
  formatValue,
  judge,
  movePlaceholders,
  resolveQuery,
  unknownPlaceholders,
} from '../../controller/policy/analysis.js';

const VARS = {
  constellation: 'shop',
  group: 'acme',
  namespace: 'acme-ns',
  cluster: 'eu-1',
  colour: 'green',
  release: '2026.11.2',
  replica: 'beta-db',
  source: 'shared-1-db',
};

describe('health analysis, the pure part', () => {
  it('fills in every placeholder, with or without spaces, and leaves what is not one of ours', () => {
    expect(
      resolveQuery('x{ns="{{namespace}}",w=~"{{ constellation }}-{{group}}-.*-{{colour}}"} {{other}}', VARS),
    ).toBe('x{ns="acme-ns",w=~"shop-acme-.*-green"} {{other}}');
    expect(unknownPlaceholders('{{group}} {{workload}} {{ workload }} {{color}}')).toEqual([
      'workload',
      'color',
    ]);
  });

  it('names the databases of a tenant move, and tells those placeholders apart', () => {
    expect(resolveQuery('lag{db="{{replica}}",of="{{ source }}"}', VARS)).toBe(
      'lag{db="beta-db",of="shared-1-db"}',
    );
    expect(movePlaceholders('{{group}} {{replica}} {{source}} {{replica}}')).toEqual(['replica', 'source']);
    expect(unknownPlaceholders('{{replica}} {{source}}')).toEqual([]);
  });

  it.each([
    [{ max: 0.01 }, { value: 0.005 }, 'pass', 'q 0.005 ≤ max 0.01'],
    [{ max: 0.01 }, { value: 0.01 }, 'pass', 'q 0.01 ≤ max 0.01'],
    [{ max: 0.01 }, { value: 0.0234567 }, 'fail', 'q 0.02346 > max 0.01'],
    [{ min: 0.99 }, { value: 0.5 }, 'fail', 'q 0.5 < min 0.99'],
    [{ min: 1, max: 2 }, { value: 1.5 }, 'pass', 'q 1.5 between 1 and 2'],
    [{ max: 500 }, { value: Infinity }, 'fail', 'q Infinity > max 500'],
    [{ max: 0.01 }, { value: NaN }, 'inconclusive', 'q inconclusive: the value is NaN'],
    [{ max: 0.01 }, { inconclusive: 'no data' }, 'inconclusive', 'q inconclusive: no data'],
  ])('judges %j against %j: %s', (bound, measurement, verdict, text) => {
    expect(judge({ name: 'q', ...bound }, measurement)).toMatchObject({ verdict, text });
  });

  it('says bounds and values shortly', () => {
    expect(boundText({ max: 1 })).toBe('max 1');
    expect(boundText({ min: 0.9 })).toBe('min 0.9');
    expect(formatValue(1 / 3)).toBe('0.3333');
    expect(formatValue(123456)).toBe('123500');
  });
});
