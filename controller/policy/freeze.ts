import type { Freeze, PromotionPolicy } from '../model/types.js';

/** The freeze of `policy` that holds `ring` on the UTC day of `now`, if any (both ends included). */
export function activeFreeze(policy: PromotionPolicy, ring: string, now: Date): Freeze | undefined {
  const day = now.toISOString().slice(0, 10);
  return policy.freeze.find(
    (f) => f.from <= day && day <= f.to && (f.rings === undefined || f.rings.includes(ring)),
  );
}

/** The first day after a freeze, when promotions may go again. */
export function dayAfter(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
