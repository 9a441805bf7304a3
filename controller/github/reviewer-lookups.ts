/**
 * The questions about reviewers that the review rules ask GitHub, each asked
 * once per verdict: team memberships (for `@org/team` reviewers).
 */
import type { GitHubClient } from './client.js';
import { type CallTarget, statusOf, wrapGitHubError } from './github-calls.js';
import type { TeamLookup } from './review-rules.js';

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
