import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { sign } from '@octokit/webhooks-methods';
import { pino } from 'pino';
import { type RunningServer, startServer } from '../../controller/server/http.js';
import { createMetrics } from '../../controller/server/metrics.js';
import {
  type GitHubWebhookOptions,
  MIN_SECRET_LENGTH,
  createGitHubWebhook,
} from '../../controller/server/webhook.js';

// The test vector from GitHub's documentation (see REFERENCE.md).
const VECTOR_SECRET = "It's a Secret to Everybody";
const VECTOR_BODY = 'Hello, World!';
const VECTOR_HEX = '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

const SECRET = 'test-secret-0123456789abcdef';

function logger(logs: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return pino({ level: 'debug' }, sink);
}

interface Delivery {
  readonly event: string;
  readonly payload: unknown;
  readonly id?: string;
  readonly secret?: string;
}

let deliveryCount = 0;

/** Headers and body of a delivery signed with `@octokit/webhooks-methods`, independent of the code under test. */
async function signed({ event, payload, id, secret = SECRET }: Delivery) {
  const body = JSON.stringify(payload);
  deliveryCount += 1;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-event': event,
    'x-github-delivery': id ?? `delivery-${deliveryCount}`,
    'x-hub-signature-256': await sign(secret, body),
  };
  return { body, headers };
}

const push = (ref: string) => ({
  ref,
  after: 'abcdef0123456789abcdef0123456789abcdef01',
  before: '0'.repeat(40),
});
const pullClosed = (merged: boolean, base: string, action = 'closed') => ({
  action,
  number: 42,
  pull_request: { number: 42, merged, base: { ref: base } },
});

describe('createGitHubWebhook', () => {
  let logs: Record<string, unknown>[];
  let triggers: string[];
  let clock: Date;

  beforeEach(() => {
    logs = [];
    triggers = [];
    clock = new Date('2026-11-22T10:00:00Z');
  });

  function handler(options: Partial<GitHubWebhookOptions> = {}) {
    return createGitHubWebhook({
      secret: SECRET,
      branch: 'main',
      log: logger(logs),
      onTrigger: (reason) => void triggers.push(reason),
      now: () => clock,
      ...options,
    });
  }

  async function deliver(hook: ReturnType<typeof handler>, delivery: Delivery) {
    const { body, headers } = await signed(delivery);
    return hook(Buffer.from(body), headers);
  }

  it('signs the reference test vector like GitHub does (checks the test helper)', async () => {
    expect(await sign(VECTOR_SECRET, VECTOR_BODY)).toBe(`sha256=${VECTOR_HEX}`);
  });

  it('accepts the reference test vector signature and refuses it with one digit changed', async () => {
    const hook = handler({ secret: VECTOR_SECRET });
    const headers = (hex: string): IncomingHttpHeaders => ({
      'x-github-event': 'ping',
      'x-github-delivery': 'vector',
      'x-hub-signature-256': `sha256=${hex}`,
    });
    // The signature passes, then the body fails as JSON: 400, not 401.
    expect(await hook(Buffer.from(VECTOR_BODY), headers(VECTOR_HEX))).toEqual({
      status: 400,
      body: 'body is not a JSON object\n',
    });
    const altered = `${VECTOR_HEX.slice(0, -1)}${VECTOR_HEX.endsWith('7') ? '8' : '7'}`;
    expect((await hook(Buffer.from(VECTOR_BODY), headers(altered))).status).toBe(401);
    expect((await hook(Buffer.from(VECTOR_BODY), headers(VECTOR_HEX.toUpperCase()))).status).toBe(400);
  });

  it('verifies over the raw bytes, so a body that is not valid UTF-8 still matches its signature', async () => {
    const body = Buffer.concat([Buffer.from('{"zen":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const hex = createHmac('sha256', SECRET).update(body).digest('hex');
    const reply = await handler()(body, {
      'x-github-event': 'ping',
      'x-github-delivery': 'raw',
      'x-hub-signature-256': `sha256=${hex}`,
    });
    expect(reply).toEqual({ status: 200, body: 'pong\n' });
  });

  it('answers a signed ping with pong and triggers nothing', async () => {
    const reply = await deliver(handler(), { event: 'ping', payload: { zen: 'Keep it logically awesome.' } });
    expect(reply).toEqual({ status: 200, body: 'pong\n' });
    expect(triggers).toEqual([]);
  });

  it.each([
    ['a push to main', 'push', push('refs/heads/main'), 200, 'triggered: push to main (abcdef012345)\n'],
    [
      'a pull request merged into main',
      'pull_request',
      pullClosed(true, 'main'),
      200,
      'triggered: pull request #42 merged into main\n',
    ],
    [
      'a push to another branch',
      'push',
      push('refs/heads/feature'),
      202,
      'ignored: push to refs/heads/feature, not refs/heads/main\n',
    ],
    [
      'a push of a tag named main',
      'push',
      push('refs/tags/main'),
      202,
      'ignored: push to refs/tags/main, not refs/heads/main\n',
    ],
    ['a push without a ref', 'push', {}, 202, 'ignored: push to no ref, not refs/heads/main\n'],
    [
      'a pull request closed unmerged',
      'pull_request',
      pullClosed(false, 'main'),
      202,
      'ignored: pull request #42 closed without merging\n',
    ],
    [
      'a pull request merged elsewhere',
      'pull_request',
      pullClosed(true, 'develop'),
      202,
      'ignored: pull request #42 merged into develop, not main\n',
    ],
    [
      'a pull request opened',
      'pull_request',
      pullClosed(false, 'main', 'opened'),
      202,
      'ignored: pull request #42 opened, not merged\n',
    ],
    ['another event', 'issues', { action: 'opened' }, 202, 'ignored: event issues is not used\n'],
  ])('answers %s', async (_name, event, payload, status, body) => {
    const reply = await deliver(handler(), { event, payload });
    expect(reply).toEqual({ status, body });
    expect(triggers).toEqual(status === 200 ? [body.replace(/^triggered: |\n$/g, '')] : []);
  });

  it('reads a form-encoded payload, as GitHub sends it when so configured', async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify(push('refs/heads/main')))}`;
    const reply = await handler()(Buffer.from(body), {
      'content-type': 'application/x-www-form-urlencoded',
      'x-github-event': 'push',
      'x-github-delivery': 'form',
      'x-hub-signature-256': await sign(SECRET, body),
    });
    expect(reply.status).toBe(200);
    expect(triggers).toEqual(['push to main (abcdef012345)']);
  });

  it.each([
    ['missing', undefined, 'MissingSignature'],
    ['sha1 instead of sha256', 'sha1=0123456789abcdef0123456789abcdef01234567', 'MalformedSignature'],
    ['not hex', `sha256=${'z'.repeat(64)}`, 'MalformedSignature'],
    ['too short', `sha256=${VECTOR_HEX.slice(0, 40)}`, 'MalformedSignature'],
    ['made with another secret', 'other-secret', 'BadSignature'],
  ])('answers 401 to a signature that is %s and logs why without the body', async (_name, given, reason) => {
    const body = JSON.stringify({ ...push('refs/heads/main'), marker: 'BODY-MARKER' });
    const signature = given === 'other-secret' ? await sign('another-secret-0123456789', body) : given;
    const headers: IncomingHttpHeaders = { 'x-github-event': 'push', 'x-github-delivery': 'd-401' };
    if (signature !== undefined) headers['x-hub-signature-256'] = signature;
    const reply = await handler()(Buffer.from(body), headers);
    expect(reply).toEqual({ status: 401, body: 'signature missing or wrong\n' });
    expect(triggers).toEqual([]);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 40,
        msg: 'GitHub webhook signature rejected',
        event: 'push',
        delivery: 'd-401',
        reason,
      }),
    ]);
    const text = JSON.stringify(logs);
    expect(text).not.toContain('BODY-MARKER');
    if (signature !== undefined) expect(text).not.toContain(signature.slice(7));
  });

  it('shortens long header values in the warn line', async () => {
    await handler()(Buffer.from('{}'), { 'x-github-event': 'e'.repeat(500), 'x-github-delivery': 'd' });
    expect(logs[0]).toEqual(expect.objectContaining({ event: `${'e'.repeat(100)}…` }));
  });

  it.each([
    ['bad JSON', 'push', '{"ref": "refs/heads/main"', 'body is not a JSON object'],
    ['a JSON array', 'push', '[]', 'body is not a JSON object'],
    ['JSON null', 'push', 'null', 'body is not a JSON object'],
    ['no event name', '', '{}', 'missing X-GitHub-Event header'],
  ])('answers 400 to a validly signed delivery with %s', async (_name, event, body, message) => {
    const reply = await handler()(Buffer.from(body), {
      'x-github-event': event,
      'x-github-delivery': 'd-400',
      'x-hub-signature-256': await sign(SECRET, body),
    });
    expect(reply).toEqual({ status: 400, body: `${message}\n` });
    expect(triggers).toEqual([]);
    expect(logs).toEqual([expect.objectContaining({ level: 40, msg: 'GitHub webhook delivery refused' })]);
  });

  it('answers a delivery id it has seen with already seen and does not trigger again', async () => {
    const hook = handler();
    const first = await deliver(hook, { event: 'push', payload: push('refs/heads/main'), id: 'same' });
    const again = await deliver(hook, { event: 'push', payload: push('refs/heads/main'), id: 'same' });
    const other = await deliver(hook, { event: 'push', payload: push('refs/heads/main'), id: 'other' });
    expect([first.status, again, other.status]).toEqual([200, { status: 200, body: 'already seen\n' }, 200]);
    expect(triggers).toHaveLength(2);
  });

  it('forgets delivery ids after rememberForMs and beyond rememberDeliveries', async () => {
    const hook = handler({ rememberForMs: 60_000, rememberDeliveries: 2 });
    const send = async (id: string) => (await deliver(hook, { event: 'push', payload: main, id })).body;
    const main = push('refs/heads/main');
    const triggered = 'triggered: push to main (abcdef012345)\n';
    expect(await send('a')).toBe(triggered);
    clock = new Date(clock.getTime() + 59_999);
    expect(await send('a')).toBe('already seen\n');
    clock = new Date(clock.getTime() + 1);
    expect(await send('a')).toBe(triggered);
    expect([await send('b'), await send('c')]).toEqual([triggered, triggered]);
    // 'a' is the oldest of three with room for two.
    expect([await send('a'), await send('c')]).toEqual([triggered, 'already seen\n']);
    expect(triggers).toHaveLength(5);
  });

  it('does not remember a delivery refused for its signature or payload', async () => {
    const hook = handler();
    const body = JSON.stringify(push('refs/heads/main'));
    const base = { 'x-github-event': 'push', 'x-github-delivery': 'retry' };
    await hook(Buffer.from(body), { ...base, 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
    await hook(Buffer.from('{'), { ...base, 'x-hub-signature-256': await sign(SECRET, '{') });
    const reply = await hook(Buffer.from(body), { ...base, 'x-hub-signature-256': await sign(SECRET, body) });
    expect(reply.status).toBe(200);
    expect(triggers).toHaveLength(1);
  });

  it('logs event, delivery and what it triggered at info, never the body', async () => {
    await deliver(handler(), { event: 'push', payload: push('refs/heads/main'), id: 'log-1' });
    expect(logs).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'GitHub webhook triggered a reconcile',
        event: 'push',
        delivery: 'log-1',
        outcome: 'triggered',
        reason: 'push to main (abcdef012345)',
      }),
    ]);
    expect(JSON.stringify(logs)).not.toContain('"before"');
  });

  it('answers without waiting for onTrigger and logs its rejection', async () => {
    const hook = handler({ onTrigger: () => Promise.reject(new Error('loop is gone')) });
    const reply = await deliver(hook, { event: 'push', payload: push('refs/heads/main') });
    expect(reply.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logs.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({
        msg: 'Webhook trigger failed',
        reason: 'push to main (abcdef012345)',
        err: expect.objectContaining({ message: 'loop is gone' }),
      }),
    ]);
  });

  it('rejects when onTrigger throws and leaves the delivery unremembered', async () => {
    let fail = true;
    const hook = handler({
      onTrigger: (reason) => {
        if (fail) throw new Error('not started');
        triggers.push(reason);
      },
    });
    const delivery = { event: 'push', payload: push('refs/heads/main'), id: 'thrown' };
    await expect(deliver(hook, delivery)).rejects.toThrow('not started');
    fail = false;
    expect((await deliver(hook, delivery)).status).toBe(200);
    expect(triggers).toHaveLength(1);
  });

  it.each([
    [
      'a secret shorter than the minimum',
      { secret: 'x'.repeat(MIN_SECRET_LENGTH - 1) },
      'WebhookSecretTooShort',
      /openssl rand -hex 32/,
    ],
    ['an empty secret', { secret: '' }, 'WebhookSecretTooShort', /at least 16/],
    [
      'a branch given as a ref',
      { branch: 'refs/heads/main' },
      'WebhookBranchInvalid',
      /without refs\/heads\//,
    ],
    ['an empty branch', { branch: '' }, 'WebhookBranchInvalid', /not a branch name/],
  ])('refuses %s with a ConfigurationError', (_name, options, reason, message) => {
    expect(() => handler(options)).toThrow(expect.objectContaining({ name: 'ConfigurationError', reason }));
    expect(() => handler(options)).toThrow(message);
  });

  it('keeps the secret out of the ConfigurationError message', () => {
    expect(() => handler({ secret: 'short-secret' })).toThrow(expect.not.stringContaining('short-secret'));
  });
});

describe('GitHub webhook through the HTTP server', () => {
  let servers: RunningServer[];
  let logs: Record<string, unknown>[];

  beforeEach(() => {
    servers = [];
    logs = [];
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function start(onTrigger: GitHubWebhookOptions['onTrigger']) {
    const log = logger(logs);
    const { registry } = createMetrics({ defaultMetrics: false });
    const server = await startServer({
      port: 0,
      getStatus: async () => undefined,
      isReady: () => true,
      registry,
      log,
      onWebhook: createGitHubWebhook({ secret: SECRET, branch: 'main', log, onTrigger }),
    });
    servers.push(server);
    return server;
  }

  async function post(server: RunningServer, delivery: Delivery, override: Record<string, string> = {}) {
    const { body, headers } = await signed(delivery);
    const res = await fetch(`${server.url}/webhook/github`, {
      method: 'POST',
      headers: { ...headers, ...override },
      body,
    });
    return [res.status, await res.text()];
  }

  it('triggers once per delivery for a push to main or a merged pull request, and never for other branches', async () => {
    const triggers: string[] = [];
    const server = await start((reason) => void triggers.push(reason));
    const main = { event: 'push', payload: push('refs/heads/main'), id: 'e2e-1' };
    expect(await post(server, main)).toEqual([200, 'triggered: push to main (abcdef012345)\n']);
    expect(await post(server, main)).toEqual([200, 'already seen\n']);
    expect(await post(server, { event: 'push', payload: push('refs/heads/feature') })).toEqual([
      202,
      'ignored: push to refs/heads/feature, not refs/heads/main\n',
    ]);
    expect(await post(server, { event: 'pull_request', payload: pullClosed(true, 'main') })).toEqual([
      200,
      'triggered: pull request #42 merged into main\n',
    ]);
    expect(triggers).toEqual(['push to main (abcdef012345)', 'pull request #42 merged into main']);
  });

  it('answers 401 to a bad signature and logs it without the body', async () => {
    const triggers: string[] = [];
    const server = await start((reason) => void triggers.push(reason));
    const delivery = {
      event: 'push',
      payload: { ...push('refs/heads/main'), marker: 'SECRET-BODY' },
      id: 'bad',
    };
    const forged = await sign('not-the-secret-0123456789', JSON.stringify(delivery.payload));
    expect(await post(server, delivery, { 'x-hub-signature-256': forged })).toEqual([
      401,
      'signature missing or wrong\n',
    ]);
    expect(triggers).toEqual([]);
    expect(logs.filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({
        msg: 'GitHub webhook signature rejected',
        reason: 'BadSignature',
        event: 'push',
        delivery: 'bad',
      }),
    ]);
    expect(JSON.stringify(logs)).not.toContain('SECRET-BODY');
    expect(JSON.stringify(logs)).not.toContain(forged.slice(7));
  });

  it('answers while the work onTrigger started is still running', async () => {
    let started = 0;
    // Never settles: if the handler awaited it, this request would hang and the test time out.
    const server = await start(() => {
      started += 1;
      return new Promise<void>(() => undefined);
    });
    expect(await post(server, { event: 'push', payload: push('refs/heads/main') })).toEqual([
      200,
      'triggered: push to main (abcdef012345)\n',
    ]);
    expect(started).toBe(1);
  });
});
