/**
 * The text a snapshot's hash is taken of. Held groups keep the hash in the
 * state, so a faster writer must give exactly the text the first one gave:
 * that writer is kept here and both run over the embedded default's
 * snapshots and thousands of seeded values with the shapes JSON can take.
 */
import { createHash } from 'node:crypto';
import { snapshotHash, snapshotOf, stableJson } from '../../controller/plan/snapshot.js';
import { rng } from '../../scripts/generate-constellation.js';
import { loadFixture } from '../helpers/constellation.js';

/** The first writer, as it was. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const KEYS = [
  'a',
  'B',
  'b',
  '10',
  '2',
  '',
  'é',
  '\u{1F600}',
  'z"q',
  'line\nbreak',
  '__proto_',
  'tenants',
  'Z',
];
const LEAVES: unknown[] = [
  null,
  true,
  false,
  0,
  -0,
  1.5,
  1e21,
  -7,
  'text',
  '',
  'quote " and \\',
  '\u2028',
  undefined,
];

function value(next: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const roll = next();
  if (depth > 4 || roll < 0.4) return pick(LEAVES);
  const size = Math.floor(next() * 5);
  if (roll < 0.7) return Array.from({ length: size }, () => value(next, depth + 1));
  const record: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) record[pick(KEYS)] = value(next, depth + 1);
  return record;
}

describe('the text a snapshot hash is taken of', () => {
  it('is the first writer’s text for every snapshot of the embedded default', async () => {
    const desired = await loadFixture('.');
    for (const group of desired.groups.values()) {
      const snapshot = snapshotOf(desired, group);
      expect(stableJson(snapshot)).toBe(reference(snapshot));
      const expected = createHash('sha256').update(reference(snapshot)).digest('hex').slice(0, 16);
      expect(snapshotHash(snapshot)).toBe(expected);
    }
  });

  it('is the first writer’s text for 5,000 seeded values of every shape', () => {
    const next = rng(20261208);
    let objects = 0;
    for (let i = 0; i < 5000; i++) {
      const v = { root: value(next, 0) };
      expect(stableJson(v)).toBe(reference(v));
      if (typeof v.root === 'object' && v.root !== null && !Array.isArray(v.root)) objects++;
    }
    // The generator made nested objects, not only leaves.
    expect(objects).toBeGreaterThan(500);
  });

  it('leaves undefined members out, sorts keys by code unit, and keeps undefined array elements empty', () => {
    expect(stableJson({ b: 1, a: undefined, B: [undefined, 2], é: null, '10': 'x', '2': 'y' })).toBe(
      '{"10":"x","2":"y","B":[,2],"b":1,"é":null}',
    );
  });
});
