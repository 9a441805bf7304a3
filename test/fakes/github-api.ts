/**
 * What the fake's endpoint handlers share: the request and reply types, GitHub's
 * error bodies, pagination with a `link` header, and commit resolution. Test code only.
 */
import type { Urls } from './github-shapes.js';
import type { ViewerRole } from './github-repos.js';
import type { FakeRepo, GitHubState } from './github-state.js';

/** What a handler answers; the HTTP layer adds rate-limit headers, ETag and JSON encoding. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Server-wide settings the handlers read. */
export interface ApiContext {
  state: GitHubState;
  urls: Urls;
  /** Accept any 40-hex sha as a known commit (it becomes known on first use). */
  anyCommit: boolean;
  /** Statuses allowed per (sha, context); GitHub's documented limit is 1000. */
  maxStatusesPerContext: number;
  /** The authenticated account's role on every repository (the `permissions` of GET /repos/{owner}/{repo}). */
  viewerRole: ViewerRole;
}

/** One routed request. */
export interface ApiRequest {
  repo: FakeRepo;
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** The full request URL, for pagination links. */
  url: URL;
  /** Parsed JSON body, `undefined` when none was sent. */
  body: unknown;
}

/** One entry of GitHub's `errors` array in a 422 Validation Failed body. */
export interface FieldError {
  resource: string;
  code: 'custom' | 'missing_field' | 'invalid' | 'already_exists';
  field?: string;
  message?: string;
}

/** 422 `Validation Failed` with GitHub's `errors` array. */
export function validationFailed(errors: FieldError[], documentationUrl: string): Reply {
  return {
    status: 422,
    body: { message: 'Validation Failed', errors, documentation_url: documentationUrl },
  };
}

/** 422 with only a message, as GitHub answers for an unknown commit. */
export function unprocessable(message: string, documentationUrl: string): Reply {
  return { status: 422, body: { message, documentation_url: documentationUrl } };
}

/** 404 `Not Found` in GitHub's shape. */
export function notFound(documentationUrl = 'https://docs.github.com/rest'): Reply {
  return { status: 404, body: { message: 'Not Found', documentation_url: documentationUrl, status: '404' } };
}

/** The request body as an object of unknown fields (`{}` when absent or not an object). */
export function fields(body: unknown): Record<string, unknown> {
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** Whether a value is a full 40-hex commit sha. */
export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/i.test(value);
}

/**
 * Resolves a commit sha the way POST /statuses does: the commit must exist (seeded,
 * or any 40-hex sha with `anyCommit`). Returns the sha, or undefined when unknown.
 */
export function resolveCommit(ctx: ApiContext, repo: FakeRepo, sha: string): string | undefined {
  if (repo.commits.has(sha)) return sha;
  if (ctx.anyCommit && isSha(sha)) {
    repo.commits.add(sha);
    return sha;
  }
  return undefined;
}

/** Resolves a ref for reads: a seeded branch name (optionally `refs/heads/...`) or a commit sha. */
export function resolveRef(ctx: ApiContext, repo: FakeRepo, ref: string): string | undefined {
  const name = ref.replace(/^(refs\/)?heads\//, '');
  return repo.branches.get(name) ?? resolveCommit(ctx, repo, ref);
}

/** GitHub's 422 for a ref that names no commit. */
export function noCommit(ref: string, documentationUrl: string): Reply {
  return unprocessable(`No commit found for SHA: ${ref}`, documentationUrl);
}

/**
 * One page of `items` per the `per_page` (default 30, at most 100) and `page`
 * (default 1) query parameters, with GitHub's `link` header when there are other pages.
 */
export function paginate<T>(items: T[], url: URL): { page: T[]; headers: Record<string, string> } {
  const perPage = clamp(Number(url.searchParams.get('per_page') ?? 30), 1, 100, 30);
  const pageNo = clamp(Number(url.searchParams.get('page') ?? 1), 1, Number.MAX_SAFE_INTEGER, 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const page = items.slice((pageNo - 1) * perPage, pageNo * perPage);
  const link = (n: number, rel: string) => {
    const target = new URL(url);
    target.searchParams.set('per_page', String(perPage));
    target.searchParams.set('page', String(n));
    return `<${target.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (pageNo > 1) links.push(link(Math.min(pageNo - 1, last), 'prev'));
  if (pageNo < last) links.push(link(pageNo + 1, 'next'), link(last, 'last'));
  if (pageNo > 1) links.push(link(1, 'first'));
  return { page, headers: links.length ? { link: links.join(', ') } : {} };
}

function clamp(n: number, min: number, max: number, fallback: number): number {
  if (!Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
