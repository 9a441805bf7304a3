/**
 * The questions about reviewers that the review rules ask GitHub, each asked
 * once per verdict: team memberships (for `@org/team` reviewers) and write access
 * to the repository.
 */
import type { GitHubClient } from './client.js';
import { type CallTarget, statusOf, wrapGitHubError } from './github-calls.js';
import type { TeamLookup, WriteLookup } from './review-rules.js';

/** What a lookup needs: the client, and the repository and commit for messages. */
export interface LookupContext extends CallTarget {
  readonly client: GitHubClient;
}

/** Team membership lookups for one verdict, each asked once; 404 means no membership. */
export function teamLookup(ctx: LookupContext): TeamLookup {
  const asked = new Map<string, Promise<boolean>>();
  const answered404 = new Map<string, boolean>();
  return {
    isMember(org, team, login) {
      const key = `${org}/${team}/${login}`.toLowerCase();
      let answer = asked.get(key);
      if (!answer) {
        answer = isActiveMember(ctx, org, team, login, (notFound) => {
          const slug = `${org}/${team}`.toLowerCase();
          answered404.set(slug, (answered404.get(slug) ?? true) && notFound);
        });
        asked.set(key, answer);
      }
      return answer;
    },
    onlyNotFound: (org, team) => answered404.get(`${org}/${team}`.toLowerCase()) === true,
  };
}

async function isActiveMember(
  ctx: LookupContext,
  org: string,
  team: string,
  login: string,
  record: (notFound: boolean) => void,
): Promise<boolean> {
  try {
    const res = await ctx.client.rest.teams.getMembershipForUserInOrg({
      org,
      team_slug: team,
      username: login,
    });
    record(false);
    return res.data.state === 'active';
  } catch (err) {
    if (statusOf(err) !== 404)
      throw wrapGitHubError(ctx, `GetTeamMembership @${org}/${team} ${login}`, false, err);
    record(true);
    return false;
  }
}

/** GitHub's legacy permissions that carry write access (`maintain` answers `write`). */
const WRITE_PERMISSIONS: ReadonlySet<string> = new Set(['admin', 'write']);
/** GitHub's base role names that carry write access, should `permission` lag behind `role_name`. */
const WRITE_ROLES: ReadonlySet<string> = new Set(['admin', 'maintain', 'write']);

/**
 * Write access lookups for one verdict, each login asked once (case-insensitively):
 * GET /repos/{owner}/{repo}/collaborators/{username}/permission. Write access is a
 * `permission` of admin or write (maintain answers write; a custom role answers its
 * base role), or a `role_name` of admin, maintain or write. GitHub answers `none` for an
 * account without access and 404 for a login that names no account: no write access.
 * Other failures throw like `callGitHub`.
 */
export function writeLookup(ctx: LookupContext): WriteLookup {
  const asked = new Map<string, Promise<boolean>>();
  return {
    canWrite(login) {
      const key = login.toLowerCase();
      let answer = asked.get(key);
      if (!answer) {
        answer = hasWriteAccess(ctx, login);
        asked.set(key, answer);
      }
      return answer;
    },
  };
}

async function hasWriteAccess(ctx: LookupContext, login: string): Promise<boolean> {
  try {
    const { data } = await ctx.client.rest.repos.getCollaboratorPermissionLevel({
      ...ctx.repo,
      username: login,
    });
    return WRITE_PERMISSIONS.has(data.permission) || WRITE_ROLES.has(data.role_name);
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw wrapGitHubError(ctx, `GetCollaboratorPermission ${login}`, false, err);
  }
}
