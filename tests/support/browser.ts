import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type BrowserContext, type ElementHandle, type Page } from 'puppeteer-core';

/** Debian's Chromium (`apt-get install -y chromium`), or CHROMIUM_PATH. puppeteer-core downloads none. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function missingChromium(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  return `No Chromium at ${CHROMIUM_PATH}: install it with \`apt-get install -y --no-install-recommends chromium\` (Debian/Ubuntu) or set CHROMIUM_PATH to a Chromium or Chrome binary.`;
}

/** Where screenshots go: TEST_ARTIFACTS_DIR, else tests/artifacts/ (gitignored). */
export const ARTIFACTS_DIR = process.env.TEST_ARTIFACTS_DIR ?? join(import.meta.dirname, '..', 'artifacts');

export interface Chromium {
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * Headless Chromium on a fresh profile, with everything that phones home off. Host names other
 * than 127.0.0.1 resolve to nothing, a second wall behind the pages' request interception.
 */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'chitlaq-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A request the page made: its URL, method and headers as Chromium sent them. */
export interface RecordedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface LoopbackOnlyPage {
  readonly page: Page;
  /** Every request of the page, in order, allowed or not. */
  readonly requests: readonly RecordedRequest[];
  /** Every WebSocket the page opened. */
  readonly webSockets: readonly string[];
  /** What the page tried to reach beyond 127.0.0.1 (in-page data: and blob: URLs are not requests). */
  offLoopback(): string[];
}

const IN_PAGE_SCHEMES = new Set(['data:', 'blob:']);

function leavesLoopback(url: string): boolean {
  const parsed = new URL(url);
  return !IN_PAGE_SCHEMES.has(parsed.protocol) && parsed.hostname !== '127.0.0.1';
}

/**
 * A new page in `context` whose every request is recorded, and aborted unless it goes to
 * 127.0.0.1: what a machine without internet would see, plus proof of it.
 */
export async function openLoopbackOnlyPage(context: BrowserContext | Browser): Promise<LoopbackOnlyPage> {
  const page = await context.newPage();
  await page.setViewport({ width: 1400, height: 900 });
  const requests: RecordedRequest[] = [];
  const webSockets: string[] = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = request.url();
    requests.push({ url, method: request.method(), headers: request.headers() });
    if (request.isInterceptResolutionHandled()) return;
    if (leavesLoopback(url)) void request.abort('blockedbyclient');
    else void request.continue();
  });
  // WebSockets do not pass through request interception; Chromium reports them here.
  const cdp = await page.createCDPSession();
  cdp.on('Network.webSocketCreated', (event) => webSockets.push(event.url));
  await cdp.send('Network.enable');
  return {
    page,
    requests,
    webSockets,
    offLoopback: () => [...requests.map((request) => request.url), ...webSockets].filter(leavesLoopback),
  };
}

/** Saves a full-page screenshot as ARTIFACTS_DIR/<name>.png and returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: path as `${string}.png` });
  return path;
}

/**
 * GraphiQL driven as a person would: tabs, the Variables and Headers editors, the run button
 * and the result pane. Selectors are GraphiQL 5's class names (render-graphiql 5.24).
 */
export class GraphiQLPage {
  constructor(readonly page: Page) {}

  /** Waits until the editor shows its tabs (the page's ~9 MB of script has run). */
  async ready(timeoutMs = 30_000): Promise<void> {
    await this.page.waitForSelector('.graphiql-tab-button', { timeout: timeoutMs });
  }

  /** The titles of the tabs, in order (GraphiQL names a tab after its first operation). */
  tabTitles(): Promise<string[]> {
    return this.page.$$eval('.graphiql-tab-button', (buttons) => buttons.map((button) => button.textContent ?? ''));
  }

  /** Activates the tab of that title. */
  async selectTab(title: string): Promise<void> {
    const button = await this.page.waitForSelector(`.graphiql-tab-button[title="${title}"]`);
    // A DOM click: the tabs are drag-reorderable, and a synthetic mouse press reads as a drag.
    await button?.evaluate((element) => (element as HTMLElement).click());
    await this.page.waitForFunction(
      (expected) => document.querySelector('.graphiql-tab-active .graphiql-tab-button')?.textContent === expected,
      {},
      title,
    );
  }

  /** The text of the query editor (Monaco renders spaces as no-break spaces). */
  async queryText(): Promise<string> {
    const text = await this.page.$eval('.graphiql-query-editor .view-lines', (lines) =>
      [...lines.querySelectorAll('.view-line')].map((line) => line.textContent ?? '').join('\n'),
    );
    return text.replaceAll('\u00a0', ' ');
  }

  /** Replaces the contents of the Variables or Headers editor with `json`, typed into it. */
  async fill(tool: 'Variables' | 'Headers', json: unknown): Promise<void> {
    const [button] = (await this.page.$$(`xpath/.//button[text()="${tool}"]`)) as ElementHandle<HTMLElement>[];
    if (button === undefined) throw new Error(`GraphiQL shows no ${tool} button`);
    await button.click();
    await this.page.click('.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor');
    await this.page.keyboard.down('Control');
    await this.page.keyboard.press('KeyA');
    await this.page.keyboard.up('Control');
    // Emptied first: typing a quote or brace over a selection would wrap it (Monaco's autoSurround).
    await this.page.keyboard.press('Backspace');
    // One insertion, not key by key: Monaco would add a closing quote and brace per keystroke.
    await this.page.keyboard.sendCharacter(JSON.stringify(json));
    await this.page.waitForFunction(
      (text) =>
        document
          .querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .view-lines')
          ?.textContent?.replaceAll('\u00a0', ' ')
          .includes(text),
      {},
      JSON.stringify(json).slice(0, 40),
    );
  }

  /** Presses the run button (for a subscription it then becomes the stop button). */
  async run(): Promise<void> {
    await this.page.click('.graphiql-execute-button');
  }

  /**
   * Waits until the result pane shows `text`. GraphiQL takes the operation name from the
   * editor a moment after a tab switch: a run clicked before that executes the previous tab's
   * name, and Yoga's GraphiQL fetcher answers "Cannot infer operation" without reaching the
   * server (seen on a loaded machine). Such a run is clicked again until GraphiQL has caught up.
   */
  async waitForResult(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const shown = await this.page.waitForFunction(
        (expected) => {
          const pane = document.querySelector('.graphiql-response .view-lines')?.textContent?.replaceAll('\u00a0', ' ') ?? '';
          return pane.includes(expected) ? 'expected' : pane.includes('Cannot infer operation') ? 'stale' : false;
        },
        { timeout: Math.max(1, deadline - Date.now()) },
        text,
      );
      if ((await shown.jsonValue()) === 'expected') return;
      if (Date.now() > deadline) throw new Error(`GraphiQL kept running a stale operation name instead of showing ${text}`);
      await this.run();
    }
  }

  /** What the result pane shows now. */
  async resultText(): Promise<string> {
    const text = await this.page.$eval('.graphiql-response .view-lines', (lines) => lines.textContent ?? '');
    return text.replaceAll('\u00a0', ' ');
  }
}
