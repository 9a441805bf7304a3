/**
 * Organization team endpoints of the fake. Test code only.
 *
 * GET /orgs/{org}/teams/{team_slug}/memberships/{username} answers 200 with the
 * membership's `state` (`active`, or `pending` for an unaccepted invitation) and
 * 404 when the user has no membership, per GitHub's OpenAPI description ("if user
 * has no team membership"). GitHub also answers 404 for a team the token cannot
 * see; the fake knows no team visibility, and no child teams.
 */
import { type ApiContext, type Reply, notFound } from './github-api.js';
import { DOCS, teamMembershipJson } from './github-shapes.js';

/** One routed request under `/orgs/{org}`: decoded path parameters only. */
export interface OrgRequest {
  params: Record<string, string>;
  url: URL;
}

/** GET /orgs/{org}/teams/{team_slug}/memberships/{username}. */
export function teamMembership(ctx: ApiContext, req: OrgRequest): Reply {
  const { org = '', team = '', username = '' } = req.params;
  const state = ctx.state.teamMembership(org, team, username);
  if (!state) return notFound(DOCS.teamMembership);
  return { status: 200, body: teamMembershipJson(ctx.urls, org, team, username, state) };
}
