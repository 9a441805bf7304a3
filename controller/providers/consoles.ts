/**
 * Links from a group's page to its consoles, built from the templates of
 * the providers file (`consoles:`): Grafana, Kibana, the cloud console of its
 * database, the cluster's workloads. The status page is the single place to
 * start from; the consoles hold the detail.
 */
import type { Group } from '../model/types.js';

/** One template of the providers file. */
export interface ConsoleTemplate {
  readonly name: string;
  /** An http(s) address with placeholders such as `{namespace}`. */
  readonly url: string;
}

/** A link built for one group. */
export interface ConsoleLink {
  readonly name: string;
  readonly url: string;
}

/** The placeholders a template may use. */
export const CONSOLE_PLACEHOLDERS = [
  'group',
  'ring',
  'cluster',
  'namespace',
  'database',
  'engine',
  'region',
] as const;

type Placeholder = (typeof CONSOLE_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The placeholders of `url` that are not among CONSOLE_PLACEHOLDERS. */
export function unknownPlaceholders(url: string): string[] {
  const known = new Set<string>(CONSOLE_PLACEHOLDERS);
  return [...url.matchAll(PLACEHOLDER)].map((m) => m[1]!).filter((name) => !known.has(name));
}

/**
 * The links of `group`, one per template whose placeholders all have a
 * value (URL-encoded); `region` is the providers file's default region, for
 * a database that names none.
 */
export function consoleLinks(
  templates: readonly ConsoleTemplate[],
  group: Group,
  region: string | undefined,
): ConsoleLink[] {
  const { cluster, namespace, database } = group.resources;
  const values: Record<Placeholder, string | undefined> = {
    group: group.name,
    ring: group.ring,
    cluster,
    namespace,
    database: database.instance,
    engine: database.engine,
    region: database.region ?? region,
  };
  const links: ConsoleLink[] = [];
  for (const t of templates) {
    let missing = false;
    const url = t.url.replace(PLACEHOLDER, (_m, name: string) => {
      const value = values[name as Placeholder];
      if (value === undefined) missing = true;
      return encodeURIComponent(value ?? '');
    });
    if (!missing) links.push({ name: t.name, url });
  }
  return links;
}
