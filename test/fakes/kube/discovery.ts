/**
 * Discovery documents: `/api` (APIVersions), `/api/v1` and `/apis/{group}/{version}`
 * (APIResourceList, subresources included), `/apis` (APIGroupList), `/apis/{group}`
 * (APIGroup) and `/version`. Test code only.
 */
import { RESOURCES, type ResourceDef, servedGroups } from './resources.js';
import { pathNotFound } from './status.js';
import type { Reply } from './types.js';

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/** The discovery reply for `path`, or undefined when the path is not a discovery path. */
export function discovery(path: string, hostPort: string): Reply | undefined {
  const trimmed = path.replace(/\/+$/, '') || '/';
  if (trimmed === '/version') return { status: 200, body: VERSION };
  if (trimmed === '/api') {
    const body = {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }],
    };
    return { status: 200, body };
  }
  if (trimmed === '/api/v1') return resourceList('', 'v1');
  if (trimmed === '/apis') {
    return {
      status: 200,
      body: { kind: 'APIGroupList', apiVersion: 'v1', groups: servedGroups().map(groupOf) },
    };
  }
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(trimmed);
  if (!m) return undefined;
  const group = servedGroups().find((g) => g.name === m[1]);
  if (!group || (m[2] !== undefined && !group.versions.includes(m[2]))) return pathNotFound();
  return m[2] === undefined
    ? { status: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...groupOf(group) } }
    : resourceList(group.name, m[2]);
}

function groupOf(group: { name: string; versions: readonly string[] }) {
  const versions = group.versions.map((version) => ({ groupVersion: `${group.name}/${version}`, version }));
  return { name: group.name, versions, preferredVersion: versions[0] };
}

function resourceList(group: string, version: string): Reply {
  const served = RESOURCES.filter((r) => r.group === group && r.versions.includes(version));
  return {
    status: 200,
    body: {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: served.flatMap(entries),
    },
  };
}

function entries(def: ResourceDef) {
  const main = {
    name: def.plural,
    singularName: def.singular,
    namespaced: true,
    kind: def.kind,
    verbs: VERBS,
    ...(def.shortNames.length ? { shortNames: def.shortNames } : {}),
  };
  if (!def.statusSubresource) return [main];
  const status = {
    name: `${def.plural}/status`,
    singularName: '',
    namespaced: true,
    kind: def.kind,
    verbs: ['get', 'patch', 'update'],
  };
  return [main, status];
}

const VERSION = {
  major: '1',
  minor: '34',
  gitVersion: 'v1.34.0-ringmaster-stand-in',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-08-27T00:00:00Z',
  goVersion: 'go1.24.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};
