import type { Tenant } from '../../controller/model/types.js';
import type { GroupSnapshot } from '../../controller/state/types.js';

/** Group globex of the engine tests at `release`: ring early, one api service, on eu-1 in namespace globex. */
export function groupSnapshot(
  release: string,
  schemaVersion = 410,
  tenants: readonly Tenant[] = [],
): GroupSnapshot {
  return {
    ring: 'early',
    release,
    schemaVersion,
    services: { api: `app/api:${release}` },
    resources: {
      cluster: 'eu-1',
      namespace: 'globex',
      database: { instance: 'globex-db', engine: 'postgres' },
      secrets: [],
    },
    tenants,
  };
}
