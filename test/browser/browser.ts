import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, driven headless by playwright-core with a fresh profile per run. */
export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = join('test-results', 'screenshots');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

export interface Browser {
  context: BrowserContext;
  /** A new tab whose console errors and uncaught exceptions are recorded in `errors`. */
  open(width: number, name: string): Promise<Page>;
  /** `name: message` of every console error so far, from every tab. */
  errors: string[];
  screenshot(page: Page, file: string): Promise<void>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'dg-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  for (const page of context.pages()) await page.close();
  const errors: string[] = [];
  mkdirSync(SCREENSHOTS, { recursive: true });
  return {
    context,
    errors,
    async open(width, name) {
      const page = await context.newPage();
      await page.setViewportSize({ width, height: 900 });
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(`${name}: ${message.text()}`);
      });
      page.on('pageerror', (error) => errors.push(`${name}: ${error.message}`));
      return page;
    },
    async screenshot(page, file) {
      await page.screenshot({ path: join(SCREENSHOTS, file), fullPage: true });
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** True when the page is wider than its viewport (something does not fit at 360 px). */
export function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}
