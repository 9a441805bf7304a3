import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { type RunningServer, type ServerOptions, startServer } from '../../controller/server/http.js';
import { createMetrics } from '../../controller/server/metrics.js';
import type { ControllerStatus } from '../../controller/state/status-view.js';
import { parseSamples, valueOf } from './prom-text.js';
import { STATUS } from './status-fixture.js';

describe('startServer', () => {
  let servers: RunningServer[];
  let logs: Record<string, unknown>[];
  let status: ControllerStatus | undefined;
  let ready: boolean;

  beforeEach(() => {
    servers = [];
    logs = [];
    status = STATUS;
    ready = true;
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  function logger() {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logs.push(JSON.parse(String(chunk)));
        done();
      },
    });
    return pino({ level: 'debug' }, sink);
  }

  async function start(options: Partial<ServerOptions> = {}) {
    const { metrics, registry } = createMetrics({
      defaultMetrics: false,
      now: () => new Date('2026-11-22T10:00:00Z'),
    });
    const server = await startServer({
      port: 0,
      getStatus: async () => status,
      isReady: () => ready,
      registry,
      log: logger(),
      ...options,
    });
    servers.push(server);
    return { server, metrics };
  }

  function bigBody(bytes: number): Buffer {
    return Buffer.alloc(bytes, 'x');
  }

  it('listens on 127.0.0.1 by default and reports the bound port and url', async () => {
    const { server } = await start();
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('answers /healthz with ok', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/healthz`);
    expect([res.status, res.headers.get('content-type'), await res.text()]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'ok\n',
    ]);
  });

  it.each([
    [true, 200, 'ready\n'],
    [false, 503, 'not ready: controller is starting\n'],
  ])('answers /readyz when ready is %s with %s', async (isReady, code, body) => {
    ready = isReady;
    const { server } = await start();
    const res = await fetch(`${server.url}/readyz`);
    expect([res.status, await res.text()]).toEqual([code, body]);
  });

  it('serves the metrics of its registry at /metrics', async () => {
    const { server, metrics } = await start();
    metrics.countTransition('rolled-back');
    metrics.observeStep('cutover', 2);
    metrics.observeReconcile(0.5);
    metrics.setNewestCommitTime(new Date('2026-11-22T09:59:00Z'));
    metrics.setGroupStates(STATUS);
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseSamples(await res.text());
    expect(valueOf(samples, 'ringmaster_transitions_total', { result: 'rolled-back' })).toBe(1);
    expect(valueOf(samples, 'ringmaster_step_duration_seconds_count', { step: 'cutover' })).toBe(1);
    expect(valueOf(samples, 'ringmaster_reconcile_duration_seconds_sum')).toBe(0.5);
    expect(valueOf(samples, 'ringmaster_commit_age_seconds')).toBe(60);
    expect(valueOf(samples, 'ringmaster_groups', { state: 'held' })).toBe(1);
  });

  it('serves the status as JSON at /api/status', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/api/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual(STATUS);
  });

  it('answers 503 on /api/status and / until a status exists', async () => {
    status = undefined;
    const { server } = await start();
    const api = await fetch(`${server.url}/api/status`);
    expect([api.status, await api.json()]).toEqual([
      503,
      { error: 'status not available yet: the controller has not finished its first reconcile' },
    ]);
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('status not available yet');
  });

  it('renders the status page with rings and groups, escaping what it shows', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    const html = await res.text();
    // Ready groups are counted, the others listed with a link to their page.
    expect(html).toContain('2 of 3 groups are ready');
    expect(html).toContain('<td><a href="/groups/globex">globex</a></td>');
    expect(html).not.toContain('/groups/hooli');
    expect(html).toContain('<td>2026.11.0 → 2026.11.2</td>');
    expect(html).toContain('<progress max="1" value="0"></progress> 0 / 1');
    expect(html).toContain('data-state="halted"');
    expect(html).toContain('verify failed: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more');
    // The one script is ours, from this server; nothing from the status reaches a tag.
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/live.js" defer>']);
    expect(html).toContain('<noscript><meta http-equiv="refresh"');
    const script = await fetch(`${server.url}/assets/live.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain("getElementById('live')");
  });

  it('shows the step under way with its next check, and a head that is not followed with its reason', async () => {
    status = {
      ...STATUS,
      groups: [
        ...STATUS.groups,
        {
          name: 'umbrella',
          ring: 'early',
          appliedRelease: '2026.11.0',
          desiredRelease: '2026.11.2',
          state: 'progressing',
          reason: 'observing: 3 of 60 checks healthy',
          transition: `umbrella@${'c'.repeat(12)}`,
          step: 'observe',
          since: '2026-11-22T09:58:00.000Z',
          until: '2026-11-22T10:00:30.000Z',
          backup: 'acme-umbrella-412-cccccccccccc',
        },
      ],
      head: {
        commit: 'd'.repeat(40),
        problem: 'invalid',
        reason: 'does not validate (1 errors; first: <x>)',
      },
    };
    const { server } = await start();
    const html = await (await fetch(`${server.url}/`)).text();
    expect(html).toContain(
      '<td><a href="/groups/umbrella">umbrella</a></td><td>early</td><td>2026.11.0 → 2026.11.2</td><td><span class="badge busy" data-state="progressing"><span aria-hidden="true">▶</span> progressing</span></td><td>observe (next check 10:00:30Z)</td><td>2026-11-22 09:58 UTC</td><td class="why">observing: 3 of 60 checks healthy; database snapshot acme-umbrella-412-cccccccccccc</td>',
    );
    expect(html).toContain(
      `Commit ${'d'.repeat(12)} is not followed: does not validate (1 errors; first: &lt;x&gt;)</p>`,
    );
    const api = await (await fetch(`${server.url}/api/status`)).json();
    expect(api).toEqual(status);
  });

  it('lists every group of a ring when asked, and says when the controller has moved past a linked commit', async () => {
    const { server } = await start();
    const linked = await (await fetch(`${server.url}/?commit=${'c'.repeat(40)}&ring=canary`)).text();
    expect(linked).toContain('ring canary only');
    expect(linked).toContain('<a href="/groups/hooli">hooli</a>');
    expect(linked).not.toContain('/groups/globex');
    expect(linked).not.toContain('The link was for commit');
    const older = await (await fetch(`${server.url}/?commit=${'a'.repeat(40)}&ring=canary`)).text();
    expect(older).toContain(
      `The link was for commit ${'a'.repeat(12)}; this is the state now, at commit ${'c'.repeat(12)}.`,
    );
    expect(older).toContain(`<a href="/commits/${'a'.repeat(40)}">What that commit did</a>`);
    // A ring the constellation does not have shows what needs a look rather than nothing.
    const unknown = await (await fetch(`${server.url}/?ring=%3Cscript%3E`)).text();
    expect(unknown).toContain('/groups/globex');
    expect(unknown).not.toContain('<script>');
  });

  it.each([
    ['GET', '/nowhere', 404, null],
    ['GET', '/webhook/github', 404, null],
    ['POST', '/healthz', 405, 'GET, HEAD'],
    ['DELETE', '/api/status', 405, 'GET, HEAD'],
  ])('answers %s %s with %s', async (method, path, code, allow) => {
    const { server } = await start();
    const res = await fetch(`${server.url}${path}`, { method });
    expect([res.status, res.headers.get('allow')]).toEqual([code, allow]);
  });

  it('answers HEAD like GET without a body', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    expect([res.status, res.headers.get('content-length'), await res.text()]).toEqual([200, '3', '']);
  });

  it('hands the webhook body and headers to onWebhook and answers with its reply', async () => {
    const seen: string[] = [];
    const { server } = await start({
      onWebhook: async (body, headers) => {
        seen.push(`${String(headers['x-github-event'])}:${body.toString('utf8')}`);
        return { status: 202, body: 'queued' };
      },
    });
    const res = await fetch(`${server.url}/webhook/github`, {
      method: 'POST',
      headers: { 'X-GitHub-Event': 'push' },
      body: '{"ref":"refs/heads/main"}',
    });
    expect([res.status, await res.text()]).toEqual([202, 'queued']);
    expect(seen).toEqual(['push:{"ref":"refs/heads/main"}']);
    const wrong = await fetch(`${server.url}/webhook/github`);
    expect([wrong.status, wrong.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('answers 413 to a webhook body over 1 MiB, declared or streamed, and goes on serving', async () => {
    let calls = 0;
    const { server } = await start({
      onWebhook: async () => {
        calls += 1;
        return { status: 204 };
      },
    });
    const declared = await fetch(`${server.url}/webhook/github`, {
      method: 'POST',
      body: bigBody(2 * 1024 * 1024),
    });
    expect([declared.status, await declared.text()]).toEqual([
      413,
      'request body larger than 1048576 bytes\n',
    ]);
    const chunks = Array.from({ length: 20 }, () => new Uint8Array(bigBody(64 * 1024)));
    const streamed = await fetch(`${server.url}/webhook/github`, {
      method: 'POST',
      body: new ReadableStream({
        start(controller) {
          chunks.forEach((c) => controller.enqueue(c));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const atLimit = await fetch(`${server.url}/webhook/github`, {
      method: 'POST',
      body: bigBody(1024 * 1024),
    });
    expect(atLimit.status).toBe(204);
    expect(calls).toBe(1);
  });

  it('answers 500 with a generic message when getStatus throws, logs the error and keeps serving', async () => {
    const { server } = await start({
      getStatus: async () => {
        throw new Error('state file /secret/path unreadable');
      },
    });
    const api = await fetch(`${server.url}/api/status`);
    expect([api.status, await api.json()]).toEqual([500, { error: 'internal error' }]);
    const page = await fetch(`${server.url}/`);
    expect([page.status, await page.text()]).toEqual([500, 'internal error\n']);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(logs.filter((l) => l.level === 50)).toEqual([
      expect.objectContaining({
        msg: 'HTTP handler failed',
        path: '/api/status',
        err: expect.objectContaining({ message: 'state file /secret/path unreadable' }),
      }),
      expect.objectContaining({ msg: 'HTTP handler failed', path: '/' }),
    ]);
  });

  it('logs every request at debug with method, path, status and duration', async () => {
    const { server } = await start();
    await (await fetch(`${server.url}/readyz?verbose=1`)).text();
    await (await fetch(`${server.url}/missing`)).text();
    const requests = logs.filter((l) => l.msg === 'HTTP request');
    expect(requests).toEqual([
      expect.objectContaining({ level: 20, method: 'GET', path: '/readyz', status: 200 }),
      expect.objectContaining({ level: 20, method: 'GET', path: '/missing', status: 404 }),
    ]);
    expect(requests.map((l) => typeof l.durationMs)).toEqual(['number', 'number']);
  });

  it('frees its port on close, closing keep-alive connections too', async () => {
    const { server } = await start();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await server.close();
    await server.close();
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject).listen(server.port, '127.0.0.1', () => resolve());
    });
    expect(again.address()).toEqual(expect.objectContaining({ port: server.port }));
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  it('rejects with a ConfigurationError when the port is taken', async () => {
    const { server } = await start();
    await expect(start({ port: server.port })).rejects.toMatchObject({
      name: 'ConfigurationError',
      reason: 'ListenFailed',
    });
  });
});
