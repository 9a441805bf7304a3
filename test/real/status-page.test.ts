/**
 * The status pages in a real browser (`npm run test:real`): Debian's
 * Chromium, driven by playwright-core, on a controller run as an operator
 * runs it (the built CLI as a child process, the simulated providers, a
 * providers file with a console template). The rollout has a fault: in ring
 * canary one group fails verify (held, with an error carrying markup) and
 * one is slow there (the ring keeps rolling). The pages must show the
 * rolling ring, the held group with its error, the group's step timeline
 * and its console link, follow changes without a reload, work without
 * JavaScript, and run no script of the repository's. Screenshots of each
 * state go to test-artifacts/status-page/ (not committed).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { startCli, watch } from '../helpers/child.js';
import { type FixtureRepo, createFixtureRepo, groupYaml } from '../helpers/constellation.js';
import { makeTempDir, removeDir } from '../helpers/git.js';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM overrides it. */
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'status-page');
const HOSTILE = '<img src=x onerror="window.__pwned=1">';

describe('the status pages in Chromium', () => {
  let repo: FixtureRepo;
  let state: string;
  let browser: Browser;
  let controller: ReturnType<typeof startCli>;
  let output: ReturnType<typeof watch>;
  let url: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install chromium), or set CHROMIUM`,
      );
    await mkdir(ARTIFACTS, { recursive: true });
    repo = await createFixtureRepo();
    // Two more groups in canary, and room in its budget for one failure: the ring rolls on past it.
    await repo.write('groups/hooli.yaml', groupYaml('hooli', 'canary'));
    await repo.write('groups/umbrella.yaml', groupYaml('umbrella', 'canary'));
    await repo.edit('policies/promotion.yaml', 'maxParallel: 5 }', 'maxParallel: 5, failureBudget: 1 }');
    await repo.commit('canary: hooli and umbrella');
    state = await makeTempDir('ringmaster-page-');
    const faults = join(state, 'faults.yaml');
    await writeFile(
      faults,
      [
        'faults:',
        `  - { group: umbrella, step: verify, kind: permanent, message: '${HOSTILE}' }`,
        '  - { group: hooli, step: verify, kind: slow, duration: 1000h }',
        '',
      ].join('\n'),
    );
    const providers = join(state, 'providers.yaml');
    await writeFile(
      providers,
      [
        'apiVersion: ringmaster/v1',
        'kind: Providers',
        'ports: { cluster: sim, health: sim, database: sim, secrets: sim, metrics: sim }',
        'consoles:',
        '  - { name: Grafana, url: "https://grafana.example.com/d/tenants?var-namespace={namespace}&var-cluster={cluster}" }',
        '',
      ].join('\n'),
    );
    controller = startCli([
      'run',
      '--repo',
      repo.dir,
      '--state',
      state,
      '--port',
      '0',
      '--providers',
      providers,
      '--sim-faults',
      faults,
      '--poll',
      '*/2 * * * * *',
      // A health period of minutes passes in a fraction of a second; hooli's slow verify lasts the test.
      '--sim-speed',
      '1000',
    ]);
    output = watch(controller);
    await output.until(/Status page (http:\/\/\S+)/);
    url = /Status page (http:\/\/\S+)/.exec(output.text())![1]!;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    if (controller && controller.exitCode === null) {
      controller.kill('SIGTERM');
      await output.exit;
    }
    await removeDir(state);
    await removeDir(repo.dir);
  });

  /** A page that fails the test on any script error, dialog or refused resource. */
  async function open(options: { javaScript?: boolean; phone?: boolean } = {}): Promise<Page> {
    const context = await browser.newContext({
      javaScriptEnabled: options.javaScript ?? true,
      viewport: options.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('dialog', (d) => problems.push(`dialog: ${d.message()}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    (page as Page & { problems: string[] }).problems = problems;
    return page;
  }
  const problemsOf = (page: Page) => (page as Page & { problems: string[] }).problems;

  it('shows the rolling ring and the held group with its error, following changes without a reload', async () => {
    const page = await open();
    await page.goto(url);
    // Browser-side code as text: the tests' types know Node, not the DOM.
    await page.evaluate('window.__sameDocument = true');
    // The controller works on: the page catches up through its script.
    const umbrella = page.locator('#groups tr', { hasText: 'umbrella' });
    await umbrella.locator('[data-state="held"]').waitFor({ timeout: 60_000 });
    const canary = page.locator('#rings tr', { hasText: 'canary' });
    await canary.locator('[data-state="rolling"]').waitFor({ timeout: 60_000 });
    await expect(umbrella.innerText()).resolves.toContain('injected permanent fault');
    await expect(umbrella.innerText()).resolves.toContain(HOSTILE);
    await expect(canary.locator('progress').getAttribute('max')).resolves.toBe('3');
    await expect(
      page.locator('#groups tr', { hasText: 'hooli' }).locator('[data-state="progressing"]').count(),
    ).resolves.toBe(1);
    await expect(page.locator('#commits').innerText()).resolves.toContain('followed');
    // The page changes under the script, in the same document: no reload.
    const looked = await page.locator('main > p.meta').first().innerText();
    await page.locator('main > p.meta').first().filter({ hasNotText: looked }).waitFor({ timeout: 60_000 });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await expect(page.locator('#live-state').innerText()).resolves.toMatch(/^live · \d\d:\d\d:\d\d UTC$/);
    expect(await page.locator('main img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await page.screenshot({ path: join(ARTIFACTS, 'overview.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it("opens the held group's page: its step timeline, its error and its console link", async () => {
    const page = await open();
    await page.goto(url);
    await page.locator('#groups a', { hasText: 'umbrella' }).click();
    await page.waitForURL(/\/groups\/umbrella$/);
    await expect(page.locator('h1').innerText()).resolves.toMatch(/Group umbrella\s+✗ held/);
    const transition = page.locator('article.transition').first();
    const steps = await transition.locator('tbody tr').allInnerTexts();
    expect(steps.map((s) => s.split('\t')[0])).toEqual(['validate', 'prepare', 'verify']);
    expect(steps[2]).toMatch(/failed/);
    expect(steps[2]).toContain(HOSTILE);
    const grafana = page.locator('ul.consoles a', { hasText: 'Grafana' });
    await expect(grafana.getAttribute('href')).resolves.toBe(
      'https://grafana.example.com/d/tenants?var-namespace=umbrella&var-cluster=eu-1',
    );
    await expect(page.locator('dl.facts').first().innerText()).resolves.toContain('canary');
    expect(await page.locator('main img').count()).toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'group-umbrella.png'), fullPage: true });

    // From a transition to its commit: the rollout of that commit, ring by ring.
    await transition.locator('h3 a').click();
    await page.waitForURL(/\/commits\/[0-9a-f]{40}$/);
    const ring = page.locator('#ring-canary');
    await expect(ring.innerText()).resolves.toContain('umbrella');
    await expect(page.locator('ul.changes').innerText()).resolves.toMatch(/followed at start/);
    // The statuses written on it (git notes here), as GitHub would show them.
    await expect(page.locator('#statuses').innerText()).resolves.toMatch(
      /ringmaster\/canary\s+\S+ (pending|failure)/,
    );
    await page.screenshot({ path: join(ARTIFACTS, 'commit.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it('works without JavaScript, and on a phone', async () => {
    const plain = await open({ javaScript: false });
    await plain.goto(url);
    await expect(plain.locator('#groups').innerText()).resolves.toContain('umbrella');
    await expect(plain.locator('#live-state').innerText()).resolves.toBe('');
    await plain.screenshot({ path: join(ARTIFACTS, 'no-javascript.png'), fullPage: true });
    await plain.context().close();

    const phone = await open({ phone: true });
    await phone.goto(url);
    await phone.locator('#rings').waitFor();
    // Nothing wider than the screen but the tables, which scroll inside their box.
    const overflow = await phone.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true });
    expect(problemsOf(phone)).toEqual([]);
    await phone.context().close();
  });
});
