/**
 * Caller insight in a real browser (Debian's Chromium) against the whole app on PGlite (issue 17): after a whole
 * signed call, the call screen highlights the caller's words behind each label; staff edit the caller's profile on
 * the customer page (audited, and what the agent hears on the next call_inbound), then clear it; an admin turns the
 * optional LLM rewrite on in the office form.
 * Screenshots: test-artifacts/screenshots/caller-insight-*.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../support/app.js';
import { aUser } from '../dashboard/support.js';
import { CLIENT, anAnalyzedCall, aCallId, inboundPath, signedPost, webhookPath } from '../retell/support.js';
import { launchChromium, screenshotPath, signIn, startBrowserTestApp } from './support.js';

const FROM = '+12125550174';
const TURNS: Array<[role: 'agent' | 'user', content: string]> = [
  ['agent', 'Thanks for calling Smart Tax Nation. Would you like to hear about our premium package?'],
  ['user', "Hi, I got a letter from the IRS and I'm really worried. It says I have to respond by tomorrow."],
  ['agent', 'I understand. I can get you in today at 4.'],
  ['user', 'Yes please, thank you so much.'],
];

describe('caller insight in a browser', () => {
  let app: TestApp;
  let browser: Browser;
  let page: Page;
  let staffEmail: string;
  let callId: string;
  let customerId: number;

  beforeAll(async () => {
    app = await startBrowserTestApp();
    callId = aCallId();
    const call = anAnalyzedCall({
      call_id: callId,
      from_number: FROM,
      transcript: TURNS.map(([role, content]) => `${role === 'agent' ? 'Agent' : 'User'}: ${content}`).join('\n'),
      transcript_object: TURNS.map(([role, content]) => ({ role, content, words: [] })),
    });
    for (const event of ['call_ended', 'call_analyzed']) expect((await signedPost(app.url!, webhookPath(), { event, call })).status).toBe(200);
    await app.applyCallEvents();
    customerId = (await app.context.db.selectFrom('customers').select('id').where('phone', '=', FROM).executeTakeFirstOrThrow()).id;
    staffEmail = await aUser(app, 'staff', [CLIENT]);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, app, staffEmail);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.dispose();
  });

  async function guidanceOnNextCall(): Promise<string> {
    const answer = await signedPost(app.url!, inboundPath(), { event: 'call_inbound', call_inbound: { from_number: FROM, to_number: '+12125550199' } });
    return (await answer.json()).call_inbound.dynamic_variables.caller_guidance;
  }

  it('the call screen highlights the caller words behind each label, never the agent lines', async () => {
    await page.goto(`${app.url}/calls/${callId}`);
    const transcript = page.getByLabel('Transcript with evidence');
    await transcript.waitFor();
    const worried = transcript.locator('mark[data-rule~="needs.reassurance.worried"]');
    await worried.waitFor();
    expect((await worried.innerText()).toLowerCase()).toContain('worried');
    // The same words also made the opening mood negative: the highlight names both labels and both rules.
    expect(await worried.getAttribute('title')).toBe('sentiment start: negative (sentiment.negative.worry)\nneeds: reassurance (needs.reassurance.worried)');
    expect(await worried.getAttribute('data-rule')).toBe('sentiment.negative.worry needs.reassurance.worried');
    const deadline = transcript.locator('mark[data-rule~="urgency.urgent.deadline_48h"]');
    expect(await deadline.innerText()).toBe('respond by tomorrow');
    // Every highlight sits in a caller turn; the agent's pitch of a "premium package" is never evidence.
    expect(await transcript.locator('p.agent mark').count()).toBe(0);
    const stored = await app.context.db.selectFrom('call_insights').select('evidence').where('call_id', '=', callId).executeTakeFirstOrThrow();
    const shown = stored.evidence.filter((item) => item.turn !== null && item.end > item.start && item.label !== 'language');
    expect(await transcript.locator('p.caller mark').count()).toBeGreaterThan(0);
    expect(await transcript.locator('p.caller mark').count()).toBeLessThanOrEqual(shown.length);
    await page.getByLabel('Caller insight').getByText('reassurance').waitFor();
    await page.screenshot({ path: screenshotPath('caller-insight-call'), fullPage: true });
  });

  it('staff edit the caller profile on the customer page; the agent hears the edit; then staff clear it', async () => {
    const original = await guidanceOnNextCall();
    expect(original).toContain('reassure first');
    await page.goto(`${app.url}/customers/${customerId}`);
    const card = page.getByRole('region', { name: 'Caller profile' });
    await card.getByText(original).waitFor();
    await card.getByRole('button', { name: 'Edit profile' }).click();

    const form = card.getByRole('form', { name: 'Edit caller profile' });
    await form.getByLabel('time pressed').check();
    const guidance = 'Returning caller with an IRS letter due tomorrow: reassure first, offer the earliest slot, keep it short.';
    await form.getByLabel('Guidance for the agent').fill(guidance);
    await form.getByRole('button', { name: 'Save profile' }).click();
    const facts = card.getByLabel('Caller profile');
    await facts.getByText(guidance).waitFor();
    await facts.getByText('reassurance, time pressed').waitFor();
    await card.getByText(`edited by ${staffEmail}`, { exact: false }).waitFor();
    await page.screenshot({ path: screenshotPath('caller-insight-profile'), fullPage: true });

    const profile = await app.context.db.selectFrom('caller_profiles').selectAll().where('customer_id', '=', customerId).executeTakeFirstOrThrow();
    expect(profile).toMatchObject({ guidance, needs: ['reassurance', 'time_pressed'], edited_by: staffEmail });
    const audit = await app.context.db
      .selectFrom('audit')
      .select(['actor', 'action', 'target'])
      .where('target', '=', `customer:${customerId}`)
      .orderBy('id')
      .execute();
    expect(audit).toEqual([{ actor: staffEmail, action: 'caller_profile.edit', target: `customer:${customerId}` }]);
    expect(await guidanceOnNextCall()).toBe(guidance);

    await card.getByRole('button', { name: 'Clear profile…' }).click();
    await card.getByRole('button', { name: 'Yes, clear the profile' }).click();
    await card.getByText(/^Cleared .*; only calls after that will count\.$/).waitFor();
    expect(await guidanceOnNextCall()).toBe('');
    const actions = await app.context.db.selectFrom('audit').select('action').where('target', '=', `customer:${customerId}`).orderBy('id').execute();
    expect(actions.map((row) => row.action)).toEqual(['caller_profile.edit', 'caller_profile.clear']);
  });

  it('an admin turns the follow-up rewrite on in the office form; staff cannot', async () => {
    const office = () => page.locator(`tr[data-office="${CLIENT}"]`).getByRole('link').first();
    const nav = page.getByRole('navigation', { name: 'Screens' });
    await nav.getByRole('link', { name: 'Offices', exact: true }).click();
    await office().click();
    const toggle = page.getByLabel(/^Let the LLM reword follow-ups/);
    await toggle.waitFor();
    expect(await toggle.isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, app, await aUser(app, 'admin'));
    await nav.getByRole('link', { name: 'Offices', exact: true }).click();
    await office().click();
    expect(await toggle.isChecked()).toBe(false);
    await toggle.check();
    const saved = page.waitForResponse((response) => response.request().method() === 'PUT' && response.url().endsWith(`/v1/api/offices/${CLIENT}`));
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    expect((await saved).status()).toBe(200);
    await expect.poll(() => app.context.clients.get(CLIENT)!.config.insights.rewrite.enabled).toBe(true);
  });
});
