/**
 * Release versions are calendar versions YEAR.MONTH.PATCH; lines are YEAR.MONTH.
 * They compare part by part as numbers (2026.09.10 is after 2026.09.9).
 */

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The line (YEAR.MONTH) of a version. */
export function lineOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}
