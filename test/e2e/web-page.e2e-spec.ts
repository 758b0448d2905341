import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { EXAMPLE_TASK } from '@app/contracts';
import { TestSystem } from './support/test-system';

/** Debian's Chromium (scripts/ensure-test-tools.sh installs it); nothing is downloaded. */
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Screenshots of every run, kept as artifacts (git-ignored; the README's copies are under docs/). */
const ARTIFACTS = join(__dirname, '..', 'artifacts');

describe('the web page in headless Chromium', () => {
  let system: TestSystem;
  let profile: string;
  let browser: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    system = await TestSystem.start({ env: { ADMIN_USER: 'ops', ADMIN_PASSWORD: 'web-e2e-pass' } });
    // A fresh profile per run; launchPersistentContext passes it as --user-data-dir.
    profile = mkdtempSync(join(tmpdir(), 'dataproc-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    page = await browser.newPage();
    // Everything the page loads comes from the gateway: any other request fails the test below.
    page.on('request', (request) => {
      if (!request.url().startsWith(system.baseUrl) && !request.url().startsWith('blob:')) outside.push(request.url());
    });
  }, 120_000);
  const outside: string[] = [];

  afterAll(async () => {
    await browser?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await system?.stop();
  }, 30_000);

  it('submits the prefilled example from the form, shows field errors, follows the bar to 100 % and the result', async () => {
    await page.goto(`${system.baseUrl}/`);
    const editor = page.locator('#task-json');
    expect(JSON.parse(await editor.inputValue())).toEqual(EXAMPLE_TASK);

    // An invalid task: the problems are listed beside the editor, naming the field; nothing is stored.
    const invalid = { ...EXAMPLE_TASK, dimensions: [{ ...EXAMPLE_TASK.dimensions[0], threshold: 2 }] };
    await editor.fill(JSON.stringify(invalid, null, 2));
    await page.click('#submit');
    await page.locator('#submit-errors li').first().waitFor();
    const problem = page.locator('#submit-errors li').first();
    expect(await problem.locator('code').innerText()).toBe('dimensions[0].threshold');
    expect(await problem.innerText()).toMatch(/must not be greater than 1/);
    // It points at the line of that field in the editor.
    const line = Number(/line (\d+)/.exec(await problem.innerText())?.[1]);
    expect((await editor.inputValue()).split('\n')[line - 1]).toMatch(/"threshold": 2/);
    expect(await editor.getAttribute('class')).toContain('invalid');
    await editor.fill('{ "data_sources": [ ');
    await page.click('#submit');
    await page.locator('#submit-errors li', { hasText: 'JSON:' }).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'web-page-validation.png') });

    await editor.fill(JSON.stringify(EXAMPLE_TASK, null, 2));
    await page.click('#submit');
    await page.waitForURL(/#\/tasks\/[0-9a-f-]{36}$/);
    const id = /#\/tasks\/(.+)$/.exec(page.url())?.[1] ?? '';
    // The bar follows the live events to 100 %, then the result is shown.
    await page.locator('#task-view .bar[aria-valuenow="100"]').first().waitFor({ timeout: 30_000 });
    await page.locator('#task-status', { hasText: 'completed' }).waitFor();
    await page.locator('.dimension').first().waitFor();

    const task = await system.task(id);
    expect(task.status).toBe('completed');
    const shown = await page.locator('.dimension').evaluateAll((sections) =>
      sections.map((section) => ({
        id: section.getAttribute('data-dimension'),
        passRate: section.querySelector('.pass-rate')?.textContent,
        bars: section.querySelectorAll('svg.histogram rect').length,
      })),
    );
    expect(shown).toEqual(
      task.result.dimensions.map((dimension: { dimension_id: string; statistics: { pass_rate: number } }) => ({
        id: dimension.dimension_id,
        passRate: `pass rate ${(100 * dimension.statistics.pass_rate).toFixed(1)} %`,
        bars: 10,
      })),
    );
    expect(await page.locator('#records').innerText()).toBe(
      `${task.progress.records_evaluated} / ${task.progress.records_total} evaluated, ${task.progress.records_failed} failed`,
    );
    expect(await page.locator('#cancel').isDisabled()).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'web-page-task.png'), fullPage: true });

    // The list shows the task, with its bar full, and filters by status.
    await page.click('text=← all tasks');
    const row = page.locator(`tr[data-id="${id}"]`);
    await row.waitFor();
    expect(await row.locator('.bar').getAttribute('aria-valuenow')).toBe('100');
    await page.selectOption('#status-filter', 'failed');
    await row.waitFor({ state: 'detached' });
    await page.selectOption('#status-filter', 'completed');
    await row.waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'web-page.png') });
    expect(outside).toEqual([]);
  }, 90_000);

  it('cancels a running task from its page', async () => {
    const id = await system.submit({
      ...EXAMPLE_TASK,
      data_sources: [{ ...EXAMPLE_TASK.data_sources[1], simulation: { records: 3000, latency_ms: 10 } }],
    });
    await page.goto(`${system.baseUrl}/#/tasks/${id}`);
    await page.locator('#task-status', { hasText: /pending|running/ }).waitFor();
    await page.click('#cancel');
    await page.locator('#task-status', { hasText: 'cancelled' }).waitFor();
    expect((await system.task(id)).status).toBe('cancelled');
  }, 60_000);

  it('retries an ended task from its page: a new task, linked to it, at the top of the list', async () => {
    const original = await system.submit(EXAMPLE_TASK);
    await system.waitForEnd(original, 30_000);
    await page.goto(`${system.baseUrl}/#/tasks/${original}`);
    await page.locator('#task-status', { hasText: 'completed' }).waitFor();
    expect(await page.locator('#retry').isDisabled()).toBe(false);
    await page.click('#retry');
    await page.waitForURL((url) => /#\/tasks\/[0-9a-f-]{36}$/.test(url.hash) && !url.hash.endsWith(original));
    const copy = /#\/tasks\/(.+)$/.exec(page.url())?.[1] ?? '';
    // The copy's own page (not the original's, still shown for a moment), followed to its end.
    await page.locator('#task-view h2', { hasText: copy }).waitFor();
    await page.locator('#task-status', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    await page.locator('#task-view h2', { hasText: copy }).waitFor();
    expect(await system.task(copy)).toMatchObject({ retry_of: original, status: 'completed' });

    // The list (GET /tasks, newest first) has the copy first, then the original.
    await page.click('text=← all tasks');
    await page.locator(`tr[data-id="${copy}"]`).waitFor();
    const ids = await page
      .locator('#task-rows tr')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')));
    expect(ids.indexOf(copy)).toBeLessThan(ids.indexOf(original));
    expect(ids.indexOf(original)).toBeGreaterThan(-1);
  }, 90_000);

  it('shows the queue dashboard behind its login', async () => {
    const dashboard = await browser
      .browser()
      ?.newContext({ httpCredentials: { username: 'ops', password: 'web-e2e-pass' } });
    const context = dashboard ?? browser;
    const tab = await context.newPage();
    await tab.goto(`${system.baseUrl}/admin/queues`);
    await tab.getByText('evaluate').first().waitFor({ timeout: 15_000 });
    await tab.screenshot({ path: join(ARTIFACTS, 'queue-dashboard.png') });
    await tab.close();
  }, 30_000);
});
