/**
 * Commit status endpoints of the fake, with GitHub's validation rules and the
 * combined-state rule. Test code only.
 *
 * The error bodies follow answers GitHub gave in public reports, since the REST docs
 * only say "validation error": description (dcoapp/app#29), target_url
 * (jenkinsci/ghprb-plugin#661), the 1000-per-context limit (a z0al/dependent-issues
 * run log), state and "No commit found for SHA" (a public test suite run against
 * api.github.com, which also shows the commit is checked before the fields).
 */
import {
  type ApiContext,
  type ApiRequest,
  type FieldError,
  type Reply,
  fields,
  noCommit,
  paginate,
  resolveCommit,
  resolveRef,
  validationFailed,
} from './github-api.js';
import { DOCS, repoJson, simpleStatusJson, statusJson } from './github-shapes.js';
import { type StatusState, type StoredStatus, STATUS_STATES, isoSeconds } from './github-state.js';

/** Longest accepted `description`, in characters (Unicode code points, not UTF-16 units). */
export const MAX_DESCRIPTION = 140;

/**
 * POST /repos/{owner}/{repo}/statuses/{sha}. The commit is checked first (422 with
 * only a message), then every field; all field errors come back together.
 */
export function createStatus(ctx: ApiContext, req: ApiRequest): Reply {
  const sha = resolveCommit(ctx, req.repo, req.params.sha ?? '');
  if (!sha) return noCommit(req.params.sha ?? '', DOCS.createStatus);
  const body = fields(req.body);
  const errors: FieldError[] = [];
  const state = body.state;
  if (typeof state !== 'string' || !(STATUS_STATES as readonly string[]).includes(state)) {
    errors.push(custom('state', 'state is not included in the list'));
  }
  const description = optionalString(body.description);
  if (description !== null && [...description].length > MAX_DESCRIPTION) {
    errors.push(custom('description', `description is too long (maximum is ${MAX_DESCRIPTION} characters)`));
  }
  const targetUrl = optionalString(body.target_url) || null;
  if (targetUrl !== null && !isHttpUrl(targetUrl)) {
    errors.push(custom('target_url', 'target_url must use http(s) scheme'));
  }
  const context = body.context === undefined || body.context === null ? 'default' : String(body.context);
  if (context === '') errors.push({ resource: 'Status', code: 'missing_field', field: 'context' });
  const written = req.repo.statuses.filter((s) => s.sha === sha && sameContext(s.context, context)).length;
  if (context !== '' && written >= ctx.maxStatusesPerContext) {
    errors.push({
      resource: 'Status',
      code: 'custom',
      message: 'This SHA and context has reached the maximum number of statuses.',
    });
  }
  if (errors.length) return validationFailed(errors, DOCS.createStatus);
  const now = isoSeconds(ctx.state.now());
  const status: StoredStatus = {
    id: ctx.state.id(),
    sha,
    state: state as StatusState,
    description,
    target_url: targetUrl,
    context,
    created_at: now,
    updated_at: now,
    creator: ctx.state.viewer,
  };
  req.repo.statuses.push(status);
  return { status: 201, body: statusJson(ctx.urls, req.repo, status) };
}

/** GET /repos/{owner}/{repo}/commits/{ref}/statuses: every status of the commit, newest first. */
export function listStatuses(ctx: ApiContext, req: ApiRequest): Reply {
  const sha = resolveRef(ctx, req.repo, req.params.ref ?? '');
  if (!sha) return noCommit(req.params.ref ?? '', DOCS.listStatuses);
  const all = req.repo.statuses.filter((s) => s.sha === sha).reverse();
  const { page, headers } = paginate(all, req.url);
  return { status: 200, body: page.map((s) => statusJson(ctx.urls, req.repo, s)), headers };
}

/**
 * GET /repos/{owner}/{repo}/commits/{ref}/status: the latest status per context
 * (contexts compare case-insensitively), newest first and paginated, with the
 * combined state over all contexts.
 */
export function combinedStatus(ctx: ApiContext, req: ApiRequest): Reply {
  const sha = resolveRef(ctx, req.repo, req.params.ref ?? '');
  if (!sha) return noCommit(req.params.ref ?? '', DOCS.combinedStatus);
  const latest = latestPerContext(req.repo.statuses.filter((s) => s.sha === sha));
  const { page, headers } = paginate(latest, req.url);
  const repoUrl = `${ctx.urls.api}/repos/${req.repo.owner}/${req.repo.name}`;
  return {
    status: 200,
    headers,
    body: {
      state: combinedState(latest.map((s) => s.state)),
      statuses: page.map((s) => simpleStatusJson(ctx.urls, req.repo, s)),
      sha,
      total_count: latest.length,
      repository: repoJson(ctx.urls, req.repo),
      commit_url: `${repoUrl}/commits/${sha}`,
      url: `${repoUrl}/commits/${sha}/status`,
    },
  };
}

/**
 * GitHub's documented rule: `failure` if any context's latest status is error or
 * failure; `pending` if there are none or any is pending; otherwise `success`.
 */
export function combinedState(latest: readonly StatusState[]): 'failure' | 'pending' | 'success' {
  if (latest.some((s) => s === 'error' || s === 'failure')) return 'failure';
  if (latest.length === 0 || latest.includes('pending')) return 'pending';
  return 'success';
}

/** The newest status of each context, newest first. */
export function latestPerContext(statuses: readonly StoredStatus[]): StoredStatus[] {
  const byContext = new Map<string, StoredStatus>();
  for (const s of statuses) byContext.set(s.context.toLowerCase(), s);
  return [...byContext.values()].sort((a, b) => b.id - a.id);
}

function custom(field: string, message: string): FieldError {
  return { resource: 'Status', code: 'custom', field, message };
}

function optionalString(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

function sameContext(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
