import { ConfigurationError } from './errors.js';
import { DEFAULT_PARSE_LIMITS } from './model/parse.js';
import { redactUrls } from './source/mirror-remote.js';

/** Settings from the environment, read once at start. Flags of each command override them. */
export interface EnvConfig {
  /** Default repository folder (RINGMASTER_REPO, else the current folder). */
  readonly repo: string;
  /** Largest file read, in bytes (RINGMASTER_MAX_FILE_BYTES, default 1 MiB). */
  readonly maxFileBytes: number;
  /** Most files under groups/ and policies/ read from one commit or folder (RINGMASTER_MAX_FILES, default 20,000). */
  readonly maxFiles: number;
  /** Token for the GitHub API (GITHUB_TOKEN); absent when unset or empty. */
  readonly githubToken?: string;
  /** The GitHub REST API's base URL (GITHUB_API_URL: GitHub Enterprise, tests); absent means api.github.com. */
  readonly githubApiUrl?: string;
  /** The secret GitHub signs webhook deliveries with (GITHUB_WEBHOOK_SECRET); without it /webhook/github is off. */
  readonly githubWebhookSecret?: string;
  /** Where people reach the controller's status page (RINGMASTER_STATUS_URL), for the links on commit statuses. */
  readonly statusUrl?: string;
  /** The kubeconfig files (KUBECONFIG, a path list; the first is read); absent: ~/.kube/config. */
  readonly kubeconfig?: string;
  /** The user's home folder (HOME), for ~/.kube/config. */
  readonly home?: string;
  /** The API server of the cluster this process runs in (KUBERNETES_SERVICE_HOST); absent outside a pod. */
  readonly kubernetesServiceHost?: string;
  /** The default AWS region (AWS_REGION, else AWS_DEFAULT_REGION). */
  readonly awsRegion?: string;
}

/**
 * The environment of the git children the controller starts itself (the
 * commands of `source/git-run.ts`, the long-lived `cat-file` and `update-ref`):
 * this process's as it is now, with GIT_TERMINAL_PROMPT=0. A controller has
 * nobody at a terminal to answer git's question for a password: git fails
 * with its message instead of waiting for ever.
 */
export function gitChildEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0' };
}

/** Parses the environment into a frozen EnvConfig. Throws ConfigurationError on a bad value. */
export function loadEnvConfig(env: Readonly<Record<string, string | undefined>>): EnvConfig {
  return Object.freeze({
    repo: env.RINGMASTER_REPO || '.',
    maxFileBytes: env.RINGMASTER_MAX_FILE_BYTES
      ? parsePositiveInt(env.RINGMASTER_MAX_FILE_BYTES, 'RINGMASTER_MAX_FILE_BYTES')
      : DEFAULT_PARSE_LIMITS.maxFileBytes,
    maxFiles: env.RINGMASTER_MAX_FILES
      ? parsePositiveInt(env.RINGMASTER_MAX_FILES, 'RINGMASTER_MAX_FILES')
      : DEFAULT_PARSE_LIMITS.maxFiles,
    ...(env.GITHUB_TOKEN ? { githubToken: env.GITHUB_TOKEN } : {}),
    ...(env.GITHUB_API_URL ? { githubApiUrl: parseHttpUrl(env.GITHUB_API_URL, 'GITHUB_API_URL') } : {}),
    ...(env.GITHUB_WEBHOOK_SECRET ? { githubWebhookSecret: env.GITHUB_WEBHOOK_SECRET } : {}),
    ...(env.RINGMASTER_STATUS_URL
      ? { statusUrl: parseHttpUrl(env.RINGMASTER_STATUS_URL, 'RINGMASTER_STATUS_URL') }
      : {}),
    ...(env.KUBECONFIG ? { kubeconfig: env.KUBECONFIG } : {}),
    ...(env.HOME ? { home: env.HOME } : {}),
    ...(env.KUBERNETES_SERVICE_HOST ? { kubernetesServiceHost: env.KUBERNETES_SERVICE_HOST } : {}),
    ...(env.AWS_REGION || env.AWS_DEFAULT_REGION
      ? { awsRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION }
      : {}),
  });
}

/**
 * Parses an http(s) URL and drops a trailing slash; `name` says where it came
 * from in the error. A URL with credentials in it is refused: they would
 * travel into logs and links, and tokens have their own variables.
 */
export function parseHttpUrl(text: string, name: string): string {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw new ConfigurationError(
      'BadUrl',
      `${name} must be an http or https URL like https://api.github.com, got "${redactUrls(text)}"`,
    );
  }
  if (url.username || url.password) {
    throw new ConfigurationError(
      'CredentialsInUrl',
      `${name} must not carry a user name or password (${redactUrls(text)}); give the URL without them (a token goes in its own variable, such as GITHUB_TOKEN)`,
    );
  }
  return text.replace(/\/+$/, '');
}

/** Parses a whole number above zero; `name` says where it came from in the error. */
export function parsePositiveInt(text: string, name: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new ConfigurationError('BadNumber', `${name} must be a whole number above 0, got "${text}"`);
  }
  return n;
}

/** Parses an ISO 8601 instant for --now. */
export function parseInstant(text: string, name: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) {
    throw new ConfigurationError(
      'BadTime',
      `${name} must be a date or time like 2026-12-24 or 2026-12-24T10:00:00Z, got "${text}"`,
    );
  }
  return d;
}
