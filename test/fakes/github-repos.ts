/**
 * The repository endpoint of the fake: `GET /repos/{owner}/{repo}` with the
 * `permissions` object GitHub adds for an authenticated account (its role on
 * the repository). Test code only.
 */
import type { ApiContext, ApiRequest, Reply } from './github-api.js';
import { repoJson } from './github-shapes.js';

/** The viewer's role on every repository of the fake. */
export type ViewerRole = 'admin' | 'maintain' | 'write' | 'triage' | 'read';

const RANK: readonly ViewerRole[] = ['read', 'triage', 'write', 'maintain', 'admin'];

/** The `permissions` object of a `full-repository` for `role`: each flag is true up to the role. */
export function permissionsOf(role: ViewerRole) {
  const at = RANK.indexOf(role);
  return {
    admin: at >= RANK.indexOf('admin'),
    maintain: at >= RANK.indexOf('maintain'),
    push: at >= RANK.indexOf('write'),
    triage: at >= RANK.indexOf('triage'),
    pull: true,
  };
}

/** GET /repos/{owner}/{repo}. */
export function getRepo(ctx: ApiContext, req: ApiRequest): Reply {
  return {
    status: 200,
    body: { ...repoJson(ctx.urls, req.repo), permissions: permissionsOf(ctx.viewerRole) },
  };
}
