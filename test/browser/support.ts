/**
 * What the browser suites share: the whole app on a PGlite test database with a fresh web/dist, Debian's Chromium
 * through playwright-core, the screenshots folder (test-artifacts/screenshots/, git-ignored) and signing in.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { PASSWORD } from '../dashboard/support.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = resolve('test-artifacts', 'screenshots');

// Headless, without a GPU and without Chromium's own background traffic (updates, sync, QUIC): the test machine
// has no display and no network beyond loopback.
const CHROMIUM_OPTIONS = {
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

/** Where the screenshot called `name` goes. */
export function screenshotPath(name: string): string {
  return join(SCREENSHOTS, `${name}.png`);
}

/** Newest modification time of the files under `path`. */
function newestChange(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newestChange(join(path, name))));
}

/** Builds web/dist when it is missing or older than the app's sources, so the browser never tests a stale build. */
function buildWebIfMissing(): void {
  const built = resolve('web', 'dist', 'index.html');
  const sources = ['src', 'index.html', 'vite.config.ts'].map((name) => resolve('web', name));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newestChange))) return;
  const result = spawnSync(process.execPath, [resolve('node_modules/vite/bin/vite.js'), 'build', 'web', '--logLevel', 'warn'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('vite build web failed');
}

/** Checks that Chromium is installed, builds web/dist when stale, makes the screenshots folder and starts the app. */
export async function startBrowserTestApp(): Promise<TestApp> {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  buildWebIfMissing();
  mkdirSync(SCREENSHOTS, { recursive: true });
  return startTestApp('pglite');
}

/** Chromium for suites that need several sessions with separate cookies (one context each). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch(CHROMIUM_OPTIONS);
}

export interface ChromiumProfile {
  context: BrowserContext;
  page: Page;
  /** Closes the browser and deletes its profile folder. */
  close(): Promise<void>;
}

/** Chromium on a throwaway profile folder, with its first page ready. */
export async function openChromiumProfile(options: { viewport: { width: number; height: number }; timeoutMs: number }): Promise<ChromiumProfile> {
  const profile = mkdtempSync(join(tmpdir(), 'sb-chromium-'));
  const removeProfile = () => rmSync(profile, { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(profile, { ...CHROMIUM_OPTIONS, viewport: options.viewport }).catch((error: unknown) => {
    removeProfile();
    throw error;
  });
  const close = async () => {
    await context.close();
    removeProfile();
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(options.timeoutMs);
    return { context, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Fills in the sign-in form the page shows and waits for the dashboard's first screen. */
export async function submitSignIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Live calls' }).waitFor();
}

/** Opens the app's dashboard and signs in. */
export async function signIn(page: Page, app: TestApp, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${app.url}/`);
  await submitSignIn(page, email, password);
}
