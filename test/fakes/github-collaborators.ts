/**
 * The collaborator permission endpoint of the fake. Test code only.
 *
 * GET /repos/{owner}/{repo}/collaborators/{username}/permission, per GitHub's
 * description of "Get repository permissions for a user": `permission` is the legacy
 * base role, `admin`, `write`, `read` or `none`, where `maintain` maps to `write` and
 * `triage` to `read`; `role_name` names the role itself, custom roles included (a
 * custom role's `permission` is that of the base role it inherits). An account with
 * no role answers 200 with `none`, as on a private repository (a public one answers
 * `read`; neither lets an approval count); a login that names no account answers 404.
 */
import { type ApiContext, type ApiRequest, type Reply, notFound } from './github-api.js';
import { DOCS, collaboratorPermissionJson } from './github-shapes.js';
import type { RepoRole } from './github-state.js';

const LEGACY: Record<RepoRole, 'admin' | 'write' | 'read'> = {
  admin: 'admin',
  maintain: 'write',
  write: 'write',
  triage: 'read',
  read: 'read',
};

/** GET /repos/{owner}/{repo}/collaborators/{username}/permission. */
export function collaboratorPermission(ctx: ApiContext, req: ApiRequest): Reply {
  const username = req.params.username ?? '';
  if (!ctx.state.accountExists(username)) return notFound(DOCS.rest);
  const role = req.repo.roles.get(username.toLowerCase());
  const user = ctx.state.user(username);
  if (role === undefined)
    return { status: 200, body: collaboratorPermissionJson(ctx.urls, user, 'none', 'none') };
  const [name, base] = typeof role === 'string' ? [role, role] : [role.name, role.base];
  return { status: 200, body: collaboratorPermissionJson(ctx.urls, user, LEGACY[base], name) };
}
