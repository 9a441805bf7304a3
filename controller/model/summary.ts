import type { Constellation } from './types.js';

/** One ring at a glance. */
export interface RingSummary {
  readonly name: string;
  readonly release: string;
  readonly line: string;
  readonly schemaVersion: number;
  readonly groups: number;
  readonly suspendedGroups: number;
  readonly tenants: number;
  readonly testTenants: number;
}

/** One group at a glance. */
export interface GroupSummary {
  readonly name: string;
  readonly ring: string;
  readonly release: string;
  readonly tenants: number;
  readonly testTenants: number;
  readonly suspended: boolean;
  readonly cluster: string;
  readonly database: string;
  readonly window?: string;
}

export interface ConstellationSummary {
  readonly name: string;
  readonly rings: readonly RingSummary[];
  readonly groups: readonly GroupSummary[];
  readonly releases: number;
  readonly tenants: number;
}

/** Summarises a constellation: rings in order with their release and counts, groups by ring then name. */
export function summarize(c: Constellation): ConstellationSummary {
  const ringIndex = new Map(c.rings.map((r) => [r.name, r.index]));
  const groups = [...c.groups.values()]
    .sort((a, b) => ringIndex.get(a.ring)! - ringIndex.get(b.ring)! || a.name.localeCompare(b.name))
    .map((g): GroupSummary => {
      const mw = g.maintenanceWindow;
      return {
        name: g.name,
        ring: g.ring,
        release: c.rings[ringIndex.get(g.ring)!]!.release,
        tenants: g.tenants.length,
        testTenants: g.tenants.filter((t) => t.testOf !== undefined).length,
        suspended: g.suspended,
        cluster: g.resources.cluster,
        database: `${g.resources.database.instance} (${g.resources.database.engine})`,
        window: mw && `${mw.cron} ${mw.timezone} for ${mw.duration}`,
      };
    });
  const rings = c.rings.map((r): RingSummary => {
    const release = c.releases.get(r.release)!;
    const mine = groups.filter((g) => g.ring === r.name);
    return {
      name: r.name,
      release: r.release,
      line: release.line,
      schemaVersion: release.schemaVersion,
      groups: mine.length,
      suspendedGroups: mine.filter((g) => g.suspended).length,
      tenants: mine.reduce((n, g) => n + g.tenants, 0),
      testTenants: mine.reduce((n, g) => n + g.testTenants, 0),
    };
  });
  return {
    name: c.name,
    rings,
    groups,
    releases: c.releases.size,
    tenants: groups.reduce((n, g) => n + g.tenants, 0),
  };
}
