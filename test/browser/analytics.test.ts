/**
 * The Analytics screen in a real browser (Debian's Chromium) against the whole app on PGlite, over a known
 * history: open the screen, switch office and range, and the figures on the page equal the API's answer for the
 * same office and days; the agency table shows each office's calls. Screenshots: test-artifacts/screenshots/analytics-*.png.
 */
import { DateTime } from 'luxon';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { CLIENT_A, CLIENT_B, aUser, signIn as apiSignIn, type Api } from '../dashboard/support.js';
import { buildHistory } from '../analytics/history.js';
import { launchChromium, screenshotPath, signIn, startBrowserTestApp } from './support.js';

describe('analytics in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let api: Api;
  let adminEmail: string;

  beforeAll(async () => {
    app = await startBrowserTestApp();
    // The page picks its ranges from the browser's today; the server's clock agrees with it.
    app.clock.set(new Date());
    const zone = app.context.clients.get(CLIENT_A)!.config.timezone;
    const today = DateTime.now().setZone(zone);
    await buildHistory(app, [CLIENT_A, CLIENT_B], { fromDay: today.minus({ days: 40 }).toISODate()!, toDay: today.toISODate()!, callsPerDay: 3, seed: 7 });
    adminEmail = await aUser(app, 'admin');
    api = await apiSignIn(app, adminEmail);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  const figure = (key: string) => page.locator(`[data-figure="${key}"] dd`).innerText();
  const range = (clientId: string, days: number) => {
    const today = DateTime.now().setZone(app.context.clients.get(clientId)!.config.timezone);
    return { from: today.minus({ days: days - 1 }).toISODate()!, to: today.toISODate()! };
  };

  async function expectPageMatchesApi(clientId: string, days: number) {
    const { from, to } = range(clientId, days);
    const summary = (await api.request('GET', `/v1/api/analytics/summary?client=${clientId}&from=${from}&to=${to}`)).body;
    expect(summary.calls.total).toBeGreaterThan(0);
    await page.getByText(`${from} to ${to}`).waitFor();
    expect(await figure('calls.total')).toBe(summary.calls.total.toLocaleString('en-US'));
    expect(await figure('calls.conversations')).toBe(summary.calls.conversations.toLocaleString('en-US'));
    expect(await figure('funnel.booked')).toBe(String(summary.funnel.steps[3].count));
    expect(await figure('funnel.held')).toBe(String(summary.funnel.steps[4].count));
    expect(await figure('calls.abandoned')).toBe(String(summary.calls.abandoned));
    expect(await figure('calls.first_time')).toBe(`${summary.calls.firstTime} / ${summary.calls.returning}`);
    for (const step of summary.funnel.steps) {
      expect(await page.locator(`tr[data-figure="funnel.${step.key}"] td`).first().innerText()).toBe(String(step.count));
    }
    // The calls chart's table adds up to the same total.
    const table = page.locator('details.chart-table').first();
    await table.locator('summary').click();
    const cells = await table.locator('tbody tr td:nth-child(2)').allInnerTexts();
    expect(cells.reduce((sum, cell) => sum + Number(cell.replace(/,/g, '')), 0)).toBe(summary.calls.total);
    await table.locator('summary').click();
    expect(await page.locator('.chart canvas').count()).toBe(2);
    // The follow-up and quality tables show the summary's figures, row by row.
    const figureRow = (caption: string, label: string) =>
      page
        .locator('table', { has: page.locator('caption', { hasText: caption }) })
        .locator('tr', { has: page.getByRole('rowheader', { name: label }) })
        .locator('td')
        .innerText();
    const n = (value: number) => value.toLocaleString('en-US');
    const sms = summary.followUps.sms;
    expect(await figureRow('Follow-ups', 'Texts sent / delivered / failed')).toBe(`${n(sms.sent)} / ${n(sms.delivered)} / ${n(sms.failed)}`);
    expect(await figureRow('Follow-ups', 'Replies')).toBe(n(summary.followUps.replies));
    const sentiment = summary.quality.sentiment;
    expect(await figureRow('Quality', 'Sentiment (positive / neutral / negative / unknown)')).toBe(
      [sentiment.positive, sentiment.neutral, sentiment.negative, sentiment.unknown].map(n).join(' / '),
    );
    expect(await figureRow('Quality', 'Errors')).toBe(n(summary.quality.errors));
    // Each series has its heading, chart, table and CSV of the same metric.
    for (const [heading, caption, metric] of [
      ['Calls over time', 'Calls over time', 'calls'],
      ['Caller sentiment', 'Sentiment over time', 'sentiment'],
    ]) {
      await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
      expect(await page.locator('details.chart-table summary').getByText(`${caption} as a table`, { exact: true }).count()).toBe(1);
      const csv = await page.getByRole('link', { name: `${caption} (CSV)` }).getAttribute('href');
      expect(csv).toContain(`metric=${metric}`);
      expect(csv).toContain(`client=${clientId}`);
      expect(csv).toMatch(/format=csv$/);
    }
  }

  it('opens Analytics, switches office and range, and shows the numbers the API gives', async () => {
    await signIn(page, app, adminEmail);
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: 'Analytics', exact: true }).click();
    await page.getByRole('heading', { name: 'Analytics', level: 1 }).waitFor();

    await page.getByLabel('Analytics office').selectOption(CLIENT_A);
    await expectPageMatchesApi(CLIENT_A, 7);
    await page.screenshot({ path: screenshotPath('analytics-office'), fullPage: true });

    await page.getByLabel('Range').selectOption('last_30');
    await expectPageMatchesApi(CLIENT_A, 30);

    await page.getByLabel('Analytics office').selectOption(CLIENT_B);
    await expectPageMatchesApi(CLIENT_B, 30);
  });

  it('compares every office in one table with the API figures', async () => {
    await page.getByLabel('Analytics office').selectOption('');
    await page.getByLabel('Range').selectOption('last_7');
    const { from, to } = range(CLIENT_A, 7);
    const agency = (await api.request('GET', `/v1/api/analytics/summary?from=${from}&to=${to}`)).body;
    await page.locator('table.agency').waitFor();
    for (const row of agency.offices) {
      const cell = page.locator(`tr[data-office="${row.client}"] td[data-figure="calls"]`);
      expect((await cell.innerText()).split(' ')[0]).toBe(String(row.figures.calls));
    }
    // Sorting by calls puts the busier office first, then reverses.
    await page.getByRole('button', { name: /^Calls/ }).click();
    const order = await page.locator('table.agency tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-office')));
    const expected = [...agency.offices].sort((a: any, b: any) => a.figures.calls - b.figures.calls).map((row: any) => row.client);
    if (agency.offices[0].figures.calls !== agency.offices[1].figures.calls) expect(order).toEqual(expected);
    await page.screenshot({ path: screenshotPath('analytics-offices'), fullPage: true });
  });
});
