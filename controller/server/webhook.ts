/**
 * The GitHub webhook receiver: checks the `X-Hub-Signature-256` HMAC over the
 * raw body, answers at once and, for a push to the watched branch or a pull
 * request merged into it, asks the reconcile loop to look now. Webhooks only
 * speed things up: polling stays the source of truth, so a lost, ignored or
 * duplicate delivery costs at most one poll interval.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { ConfigurationError } from '../errors.js';
import type { RouteSources, WebhookReply } from './routes.js';

/** The shortest webhook secret accepted, in characters. */
export const MIN_SECRET_LENGTH = 16;

/** How many delivery ids are remembered for deduplication, by default. */
export const REMEMBERED_DELIVERIES = 1000;

/** How long a delivery id is remembered, by default: one hour. */
export const REMEMBER_DELIVERY_MS = 60 * 60 * 1000;

/** The handler `startServer` takes as `onWebhook`. */
export type GitHubWebhookHandler = NonNullable<RouteSources['onWebhook']>;

/** Options of `createGitHubWebhook`. */
export interface GitHubWebhookOptions {
  /** The secret set on the GitHub webhook; at least `MIN_SECRET_LENGTH` characters. */
  readonly secret: string;
  /** The watched branch, without `refs/heads/`, for example `main`. */
  readonly branch: string;
  /** Receives one info line per verified delivery and one warn line per rejected one; never bodies or signatures. */
  readonly log: Logger;
  /**
   * Asks the loop to reconcile now; `reason` says why, for its logs. Called
   * without waiting: a returned promise is never awaited, only its rejection logged.
   */
  onTrigger(reason: string): void | Promise<void>;
  /** The clock for delivery memory; default the system clock. */
  readonly now?: () => Date;
  /** How many delivery ids to remember; default `REMEMBERED_DELIVERIES`. */
  readonly rememberDeliveries?: number;
  /** How long to remember a delivery id, in milliseconds; default `REMEMBER_DELIVERY_MS`. */
  readonly rememberForMs?: number;
}

type SignatureFault = 'MissingSignature' | 'MalformedSignature' | 'BadSignature';

/** What a verified delivery asks for. */
type Decision =
  | { readonly kind: 'pong' }
  | { readonly kind: 'trigger'; readonly reason: string }
  | { readonly kind: 'ignore'; readonly why: string };

const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
// Header values go into logs before they are authenticated; keep them short.
const MAX_LOGGED_HEADER = 100;

/**
 * Builds the `onWebhook` handler. Answers: 401 for a missing or wrong
 * signature; 400 for a missing event name or a body that is not a JSON object
 * (as `application/json`, or form-encoded in `payload`); 200 `already seen`
 * for a delivery id seen recently (then nothing is triggered); 200 `pong` to
 * `ping`; 200 `triggered: <reason>` after calling `onTrigger` for a push to
 * `refs/heads/<branch>` or a pull request merged into `branch`; 202
 * `ignored: <why>` for anything else. Never awaits `onTrigger`; a synchronous
 * throw from it rejects (the server answers 500) and the delivery is not remembered.
 * Throws a ConfigurationError when the secret is too short or the branch empty.
 */
export function createGitHubWebhook(options: GitHubWebhookOptions): GitHubWebhookHandler {
  checkOptions(options);
  const { secret, branch, log } = options;
  const seen = new DeliveryMemory(
    options.rememberDeliveries ?? REMEMBERED_DELIVERIES,
    options.rememberForMs ?? REMEMBER_DELIVERY_MS,
    options.now ?? (() => new Date()),
  );
  return async (body, headers) => {
    const event = headerOf(headers, 'x-github-event');
    const delivery = headerOf(headers, 'x-github-delivery');
    const context = { event: forLog(event), delivery: forLog(delivery) };
    const fault = checkSignature(secret, body, headerOf(headers, 'x-hub-signature-256'));
    if (fault !== undefined) {
      log.warn({ ...context, reason: fault }, 'GitHub webhook signature rejected');
      return { status: 401, body: 'signature missing or wrong\n' };
    }
    if (event === undefined) return reject(log, context, 'MissingEvent', 'missing X-GitHub-Event header');
    if (delivery !== undefined && seen.has(delivery)) {
      log.info({ ...context, outcome: 'duplicate' }, 'GitHub webhook delivery already seen');
      return { status: 200, body: 'already seen\n' };
    }
    const payload = parsePayload(body, headerOf(headers, 'content-type'));
    if (payload === undefined) return reject(log, context, 'BadPayload', 'body is not a JSON object');
    const decision = decide(event, payload, branch);
    if (decision.kind === 'trigger') fireTrigger(options.onTrigger, decision.reason, log);
    if (delivery !== undefined) seen.add(delivery);
    return answer(log, context, decision);
  };
}

function checkOptions({ secret, branch }: GitHubWebhookOptions): void {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new ConfigurationError(
      'WebhookSecretTooShort',
      `GitHub webhook secret is ${secret.length} characters long; it needs at least ${MIN_SECRET_LENGTH}. ` +
        'Make one with `openssl rand -hex 32` and set it both on the GitHub webhook and for the controller.',
    );
  if (branch === '' || branch.startsWith('refs/'))
    throw new ConfigurationError(
      'WebhookBranchInvalid',
      `GitHub webhook branch "${branch}" is not a branch name; give it without refs/heads/, for example "main".`,
    );
}

/** The first value of a header, or undefined when absent or empty. */
function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

function forLog(value: string | undefined): string | undefined {
  return value === undefined || value.length <= MAX_LOGGED_HEADER
    ? value
    : `${value.slice(0, MAX_LOGGED_HEADER)}…`;
}

/** Compares the HMAC of the raw bytes in constant time; both sides are 32 bytes once the format matched. */
function checkSignature(
  secret: string,
  body: Buffer,
  header: string | undefined,
): SignatureFault | undefined {
  if (header === undefined) return 'MissingSignature';
  const hex = SIGNATURE.exec(header)?.[1];
  if (hex === undefined) return 'MalformedSignature';
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(hex, 'hex')) ? undefined : 'BadSignature';
}

function reject(
  log: Logger,
  context: Record<string, string | undefined>,
  reason: string,
  message: string,
): WebhookReply {
  log.warn({ ...context, reason }, 'GitHub webhook delivery refused');
  return { status: 400, body: `${message}\n` };
}

/** The payload as an object; GitHub sends it as JSON or, if so configured, form-encoded in `payload`. */
function parsePayload(body: Buffer, contentType: string | undefined): Record<string, unknown> | undefined {
  let text: string | null = body.toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded'))
    text = new URLSearchParams(text).get('payload');
  if (text === null) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path` when it is a string (or a number, as text). */
function textAt(value: unknown, ...path: string[]): string | undefined {
  let at = value;
  for (const key of path) at = isObject(at) ? at[key] : undefined;
  if (typeof at === 'number') return String(at);
  return typeof at === 'string' ? at : undefined;
}

function decide(event: string, payload: Record<string, unknown>, branch: string): Decision {
  if (event === 'ping') return { kind: 'pong' };
  if (event === 'push') return decidePush(payload, branch);
  if (event === 'pull_request') return decidePull(payload, branch);
  return { kind: 'ignore', why: `event ${event} is not used` };
}

function decidePush(payload: Record<string, unknown>, branch: string): Decision {
  const ref = textAt(payload, 'ref');
  if (ref !== `refs/heads/${branch}`)
    return { kind: 'ignore', why: `push to ${ref ?? 'no ref'}, not refs/heads/${branch}` };
  const after = textAt(payload, 'after');
  return { kind: 'trigger', reason: `push to ${branch}${after ? ` (${after.slice(0, 12)})` : ''}` };
}

function decidePull(payload: Record<string, unknown>, branch: string): Decision {
  const pull = `pull request #${textAt(payload, 'number') ?? textAt(payload, 'pull_request', 'number') ?? '?'}`;
  const action = textAt(payload, 'action');
  if (action !== 'closed')
    return { kind: 'ignore', why: `${pull} ${action ?? 'without action'}, not merged` };
  const merged = isObject(payload.pull_request) && payload.pull_request.merged === true;
  if (!merged) return { kind: 'ignore', why: `${pull} closed without merging` };
  const base = textAt(payload, 'pull_request', 'base', 'ref');
  if (base !== branch)
    return { kind: 'ignore', why: `${pull} merged into ${base ?? 'no base'}, not ${branch}` };
  return { kind: 'trigger', reason: `${pull} merged into ${branch}` };
}

function fireTrigger(onTrigger: GitHubWebhookOptions['onTrigger'], reason: string, log: Logger): void {
  // Not awaited: GitHub wants an answer within 10 s and a reconcile can take minutes.
  Promise.resolve(onTrigger(reason)).catch((err: unknown) => {
    log.error({ err, reason }, 'Webhook trigger failed');
  });
}

function answer(log: Logger, context: Record<string, string | undefined>, decision: Decision): WebhookReply {
  switch (decision.kind) {
    case 'pong':
      log.info({ ...context, outcome: 'pong' }, 'GitHub webhook ping');
      return { status: 200, body: 'pong\n' };
    case 'trigger':
      log.info(
        { ...context, outcome: 'triggered', reason: decision.reason },
        'GitHub webhook triggered a reconcile',
      );
      return { status: 200, body: `triggered: ${decision.reason}\n` };
    case 'ignore':
      log.info({ ...context, outcome: 'ignored', why: decision.why }, 'GitHub webhook ignored');
      return { status: 202, body: `ignored: ${decision.why}\n` };
  }
}

/** Delivery ids seen recently: at most `limit`, none older than `ttlMs`; oldest first. */
class DeliveryMemory {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly ttlMs: number,
    private readonly now: () => Date,
  ) {}

  has(id: string): boolean {
    this.prune();
    return this.seen.has(id);
  }

  add(id: string): void {
    this.seen.delete(id);
    this.seen.set(id, this.now().getTime());
    this.prune();
  }

  private prune(): void {
    const cutoff = this.now().getTime() - this.ttlMs;
    for (const [id, at] of this.seen) {
      if (this.seen.size <= this.limit && at > cutoff) break;
      this.seen.delete(id);
    }
  }
}
